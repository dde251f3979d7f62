// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture.h"
#include "cli.h"
#include "linemode.h"
#include "log.h"
#include "model/model.h"
#include "openmode.h"
#include "servemode.h"
#include "source_live.h"
#include "ui/ui.h"

#define EXIT_USAGE 2

static int run_monitor(const struct tl_options *opt, struct tl_capture *cap)
{
	struct tl_model_config cfg = { .history = opt->history, .max_dests = opt->max_dests };
	struct tl_model *m = tl_model_new(&cfg);
	int status;

	if (!m) {
		fprintf(stderr, "tcplens: cannot allocate the model: %s\n", strerror(errno));
		return 1;
	}
	/* like top: snapshots when asked, or when there is no terminal to own */
	if ((opt->batch || !isatty(STDOUT_FILENO) || !isatty(STDIN_FILENO)) && opt->listen.set) {
		fprintf(stderr, "tcplens: --listen serves from the full-screen monitor; without a "
			"terminal (or with -b) use 'tcplens serve'\n");
		status = 2;
	} else if (opt->batch || !isatty(STDOUT_FILENO) || !isatty(STDIN_FILENO))
		status = tl_batch_run(opt, cap, m);
	else
		status = tl_monitor_run(opt, cap, m);
	tl_model_free(m);
	return status;
}

int main(int argc, char **argv)
{
	static struct tl_options opt;
	struct tl_capture *cap;
	struct tl_source *src;
	char err[512];
	int status;

	switch (tl_cli_parse(argc, argv, getenv("NO_COLOR"), &opt, err, sizeof(err))) {
	case TL_CLI_RUN:
		break;
	case TL_CLI_HELP:
		fputs(tl_cli_usage(opt.mode), stdout);
		return 0;
	case TL_CLI_VERSION:
		printf("tcplens %s\n", TCPLENS_VERSION);
		return 0;
	default:
		fprintf(stderr, "tcplens: %s\n", err);
		return EXIT_USAGE;
	}

	cap = tl_capture_open(&opt, err, sizeof(err));
	if (!cap) {
		fprintf(stderr, "tcplens: %s\n", err);
		return EXIT_USAGE;
	}
	opt.cgroup_relpath = tl_capture_cgroup_filter(cap);
	src = tl_source_live_new(cap);
	if (!src) {
		fprintf(stderr, "tcplens: out of memory\n");
		tl_capture_close(cap);
		return 1;
	}
	if (opt.mode == TL_MODE_MONITOR)
		status = run_monitor(&opt, cap);
	else if (opt.mode == TL_MODE_OPEN)
		status = tl_open_run(&opt, src);
	else if (opt.mode == TL_MODE_SERVE)
		status = tl_serve_run(&opt, src);
	else
		status = tl_linemode_run(&opt, src);
	tl_source_live_free(src);
	tl_capture_close(cap);
	return status;
}

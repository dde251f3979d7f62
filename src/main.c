// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture.h"
#include "cli.h"
#include "format.h"
#include "linemode.h"
#include "log.h"
#include "model/model.h"
#include "openmode.h"
#include "ui/ui.h"

#define EXIT_USAGE 2

/* A terminal that cannot place the cursor would get the whole screen on one
 * line: say so once, and print -b snapshots there instead. */
static bool monitor_term_ok(void)
{
	const char *term = getenv("TERM");
	int err = tl_monitor_term_check();
	char name[64];

	if (!err)
		return true;
	tl_fmt_escape(name, sizeof(name), term ? term : "", term ? strlen(term) : 0);
	if (err == -ENOTSUP)
		fprintf(stderr, "tcplens: TERM=%s cannot place the cursor: printing -b snapshots "
			"instead (a TERM such as xterm-256color gets the monitor)\n", name);
	else if (term && *term)
		fprintf(stderr, "tcplens: TERM=%s is not a known terminal type: printing -b "
			"snapshots instead (a TERM such as xterm-256color gets the monitor)\n", name);
	else
		fprintf(stderr, "tcplens: TERM is not set: printing -b snapshots instead "
			"(a TERM such as xterm-256color gets the monitor)\n");
	return false;
}

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
	if (opt->batch || !isatty(STDOUT_FILENO) || !isatty(STDIN_FILENO))
		status = tl_batch_run(opt, cap, m);
	else if (!monitor_term_ok())
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
	if (opt.mode == TL_MODE_MONITOR)
		status = run_monitor(&opt, cap);
	else if (opt.mode == TL_MODE_OPEN)
		status = tl_open_run(&opt, cap);
	else
		status = tl_linemode_run(&opt, cap);
	tl_capture_close(cap);
	return status;
}

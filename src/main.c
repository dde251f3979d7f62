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
#include "recordmode.h"
#include "source_replay.h"
#include "source_tee.h"
#include "servemode.h"
#include "source_live.h"
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

static int run_monitor(const struct tl_options *opt, struct tl_source *src)
{
	struct tl_model_config cfg = { .history = opt->history, .max_dests = opt->max_dests };
	struct tl_model *m = tl_model_new(&cfg);
	bool batch;
	int status;

	if (!m) {
		fprintf(stderr, "tcplens: cannot allocate the model: %s\n", strerror(errno));
		return 1;
	}
	/* like top: snapshots when asked, or when there is no terminal to own */
	batch = opt->batch || !isatty(STDOUT_FILENO) || !isatty(STDIN_FILENO) || !monitor_term_ok();
	if (batch && opt->listen.set) {
		fprintf(stderr, "tcplens: --listen serves from the full-screen monitor; without a "
			"terminal (or with -b) use 'tcplens serve'\n");
		status = 2;
	} else if (batch)
		status = tl_batch_run(opt, src, m);
	else
		status = tl_monitor_run(opt, src, m);
	tl_model_free(m);
	return status;
}

static int run_mode(const struct tl_options *opt, struct tl_source *src)
{
	switch (opt->mode) {
	case TL_MODE_MONITOR:
		return run_monitor(opt, src);
	case TL_MODE_OPEN:
		return tl_open_run(opt, src);
	case TL_MODE_RECORD:
		return tl_record_run(opt, src);
	case TL_MODE_SERVE:
		return tl_serve_run(opt, src);
	default:
		return tl_linemode_run(opt, src);
	}
}

/* -r: no kernel, no privileges; the filters apply in user space. */
static int run_replay(struct tl_options *opt)
{
	struct tl_source *src;
	char err[512];
	int status;

	/* a recording names cgroups by their path from the v2 root */
	opt->cgroup_relpath = opt->cgroup;
	src = tl_source_replay_open(opt, err, sizeof(err));
	if (!src) {
		fprintf(stderr, "tcplens: %s\n", err);
		return errno == ENOMEM ? 1 : EXIT_USAGE;
	}
	status = run_mode(opt, src);
	if (tl_source_replay_warnings(src))
		fprintf(stderr, "tcplens: %lu warnings reading %s: the damaged parts were skipped\n",
			tl_source_replay_warnings(src), opt->read_path);
	tl_source_replay_free(src);
	return status;
}

static int run_live(struct tl_options *opt)
{
	struct tl_source *live, *tee = NULL;
	struct tl_capture *cap;
	char err[512];
	int status;

	cap = tl_capture_open(opt, err, sizeof(err));
	if (!cap) {
		status = errno == EIO ? 1 : EXIT_USAGE;
		fprintf(stderr, "tcplens: %s\n", err);
		return status;
	}
	opt->cgroup_relpath = tl_capture_cgroup_filter(cap);
	live = tl_source_live_new(cap);
	if (!live) {
		fprintf(stderr, "tcplens: out of memory\n");
		tl_capture_close(cap);
		return 1;
	}
	/* record, or --record beside another mode: the tee sees what passes */
	if (opt->record_path) {
		tee = tl_source_tee_open(live, opt, err, sizeof(err));
		if (!tee) {
			status = errno == ENOMEM ? 1 : EXIT_USAGE;
			fprintf(stderr, "tcplens: %s\n", err);
			goto cleanup;
		}
	}
	status = run_mode(opt, tee ? tee : live);
	if (tee && opt->mode != TL_MODE_RECORD && tl_source_tee_close(tee))
		status = 1;	/* said on stderr by the recorder */
cleanup:
	tl_source_tee_free(tee);
	tl_source_live_free(live);
	tl_capture_close(cap);
	return status;
}

int main(int argc, char **argv)
{
	static struct tl_options opt;
	char err[512];

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
	/* a reader gone away is an EPIPE from write, handled where it happens */
	signal(SIGPIPE, SIG_IGN);
	return opt.read_path ? run_replay(&opt) : run_live(&opt);
}

// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Each snapshot: walk the sockets (iter/tcp), find owners in /proc, adopt
 * (owners, directions, the SYN byte), compute rates against the previous
 * snapshot, filter, print, flush. Owners only /proc can tell come from the
 * scan kept since start (src/owners.h), not from a scan per snapshot.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adopt.h"
#include "log.h"
#include "loop.h"
#include "open_filter.h"
#include "open_out.h"
#include "open_rates.h"
#include "openmode.h"
#include "owners.h"
#include "clock.h"

/* What open_step returns besides 0 (go on); 1 is the loop's Ctrl-C. */
#define STEP_EPIPE 2		/* the reader went away */
#define STEP_DONE 3		/* -n snapshots taken */
#define STEP_FAIL 4		/* said on stderr already */

struct openmode {
	const struct tl_options *opt;
	struct tl_capture *cap;
	struct tl_open_printer *pr;
	struct tl_snapshot snap[2];	/* the current one and the previous one, in turn */
	int cur;
	bool have_prev;
	const char **cgroups;		/* per socket of the current snapshot, from adoption */
	struct tl_open_rate *rates;
	size_t room;			/* entries in cgroups and rates */
	long taken;
	bool warned_procfd;
};

static int open_room(struct openmode *om, size_t n)
{
	const char **cg;
	struct tl_open_rate *r;

	if (n <= om->room)
		return 0;
	cg = realloc(om->cgroups, n * sizeof(*cg));
	if (!cg)
		return -ENOMEM;
	om->cgroups = cg;
	r = realloc(om->rates, n * sizeof(*r));
	if (!r)
		return -ENOMEM;
	om->rates = r;
	om->room = n;
	return 0;
}

/* The user's view of the stdout error: quiet for EPIPE. */
static int open_flush(void)
{
	if (fflush(stdout) != EOF && !ferror(stdout))
		return 0;
	if (errno == EPIPE)
		return STEP_EPIPE;
	tl_log("writing the output failed: %s", strerror(errno));
	return STEP_FAIL;
}

static int open_nomem(void)
{
	tl_log("out of memory");
	return STEP_FAIL;
}

static const struct tl_adopt_entry *open_adopted(const struct openmode *om, const struct tl_sock *s)
{
	return tl_adopt_table_find(tl_capture_adopt_table(om->cap), s->family, s->laddr, s->lport,
				   s->raddr, s->rport);
}

static int open_step(struct openmode *om)
{
	struct tl_snapshot *cur = &om->snap[om->cur];
	const struct tl_snapshot *prev = om->have_prev ? &om->snap[!om->cur] : NULL;
	const struct tl_adopt_entry *e;
	struct tl_owners *owners;
	const char *path;
	struct tl_sock *s;
	int n, ret;
	size_t i;

	n = tl_capture_snapshot(om->cap, cur);
	if (n < 0) {
		tl_log("cannot walk the open sockets: %s", strerror(-n));
		return STEP_FAIL;
	}
	if (tl_adopt_keep_dirs(cur, prev) < 0)
		return open_nomem();
	/* owners and directions the capture engine found at start: no /proc walk for those */
	for (i = 0; i < cur->n; i++) {
		s = &cur->socks[i];
		e = s->state == TL_TCP_LISTEN ? NULL : open_adopted(om, s);
		if (!e)
			continue;
		if (!s->owner_known && e->owner_known) {
			s->pid = e->pid;
			memcpy(s->comm, e->comm, sizeof(s->comm));
			s->comm[sizeof(s->comm) - 1] = '\0';
			s->owner_known = 1;
		}
		if (s->dir == TL_SOCK_DIR_UNKNOWN)
			s->dir = e->dir;
	}
	/* owners /proc tells: the start scan, rescanned only for sockets it lacks */
	owners = tl_capture_owners(om->cap);
	if (open_room(om, cur->n) ||
	    (owners ? tl_owners_complete(owners, cur, om->cgroups, tl_clock_mono_ns())
		    : tl_adopt_snapshot(cur, NULL, om->cgroups)) < 0 ||
	    (om->opt->interval_s > 0 && tl_open_rates(prev, cur, om->rates) < 0))
		return open_nomem();
	if (owners && tl_owners_scan_errors(owners) && !om->warned_procfd) {
		/* owners the kernel knows still show; the others stay unknown */
		tl_log("warning: cannot read /proc: owners of some sockets opened before start "
		       "stay unknown");
		om->warned_procfd = true;
	}

	/* the cgroup path that came with an owner found at start */
	for (i = 0; i < cur->n; i++) {
		s = &cur->socks[i];
		if (s->owner_known && !s->cgroup_id && !om->cgroups[i] && s->state != TL_TCP_LISTEN &&
		    (e = open_adopted(om, s)))
			om->cgroups[i] = e->cgroup;
	}
	tl_open_printer_begin(om->pr, cur->ts_ns);
	for (i = 0; i < cur->n; i++) {
		s = &cur->socks[i];
		path = s->cgroup_id ? tl_capture_cgroup_path(om->cap, s->cgroup_id) : om->cgroups[i];
		if (!tl_open_match(om->opt, s, path))
			continue;
		tl_open_printer_sock(om->pr, s, om->cgroups[i],
				     om->opt->interval_s > 0 ? &om->rates[i] : NULL);
	}
	tl_open_printer_end(om->pr);
	ret = open_flush();
	if (ret)
		return ret;

	om->cur = !om->cur;
	om->have_prev = true;
	if (++om->taken == om->opt->count)
		return STEP_DONE;
	return 0;
}

static void open_discard(void *ctx, const struct tl_record *r)
{
}

/* Session events are not this mode's: drained so the kernel never counts them lost. */
static int open_on_fd(void *ctx)
{
	struct openmode *om = ctx;

	tl_capture_drain(om->cap, open_discard, NULL);
	return 0;
}

static int open_on_timer(void *ctx)
{
	struct openmode *om = ctx;

	open_on_fd(om);
	return open_step(om);
}

static int open_on_quit(void *ctx)
{
	return 1;
}

int tl_open_run(const struct tl_options *opt, struct tl_capture *cap)
{
	struct openmode om;
	struct tl_loop *loop = NULL;
	uint64_t period_ns;
	int ret, status = 1;

	memset(&om, 0, sizeof(om));
	om.opt = opt;
	om.cap = cap;
	/* a closed pipe should end us with EPIPE from fflush, not kill us mid-line */
	signal(SIGPIPE, SIG_IGN);
	om.pr = tl_open_printer_new(opt, stdout, tl_capture_cgroup_path, cap);
	if (!om.pr) {
		tl_log("out of memory");
		goto cleanup;
	}
	if (opt->interval_s > 0) {
		period_ns = (uint64_t)(opt->interval_s * 1e9 + 0.5);
		loop = tl_loop_new();
		if (!loop) {
			tl_log("cannot set up the event loop: %s", strerror(errno));
			goto cleanup;
		}
		ret = tl_loop_set_signals(loop, open_on_quit, NULL, &om);
		if (!ret)
			ret = tl_loop_add_fd(loop, tl_capture_fd(cap), open_on_fd, &om);
		if (!ret)
			ret = tl_loop_set_timer(loop, period_ns, open_on_timer, &om);
		if (ret) {
			tl_log("cannot set up the event loop: %s", strerror(-ret));
			goto cleanup;
		}
	}
	tl_capture_announce(cap, "open TCP sockets");

	ret = open_step(&om);
	if (ret == 0 && loop)
		ret = tl_loop_run(loop);
	/* the last snapshot, Ctrl-C, or a reader gone away: all normal ends */
	if (ret == 0 || ret == 1 || ret == STEP_EPIPE || ret == STEP_DONE)
		status = 0;
	else if (ret < 0)
		tl_log("the event loop failed: %s", strerror(-ret));
cleanup:
	tl_loop_free(loop);
	tl_open_printer_free(om.pr);
	tl_snapshot_free(&om.snap[0]);
	tl_snapshot_free(&om.snap[1]);
	free(om.cgroups);
	free(om.rates);
	return status;
}

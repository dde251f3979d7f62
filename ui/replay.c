// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <time.h>

#include "replay.h"
#include "source_replay.h"
#include "when.h"

/* Everything recorded up to the instant, into the model. */
static int feed_until(struct tl_replay *r, struct tl_ui *ui, uint64_t t)
{
	struct tl_drops d;
	int n;

	tl_source_replay_until(r->src, t);
	while (!tl_source_replay_caught_up(r->src)) {
		n = tl_source_drain(r->src, r->on_record, r->ctx, 0);
		if (n < 0)
			return n;
	}
	tl_source_drops(r->src, &d);
	tl_model_set_drops(ui->m, &d);
	r->now_ns = t;
	tl_ui_set_replay_clock(t);
	return 0;
}

/* Back in time: a model of what was recorded from a minute before t. */
static int rebuild(struct tl_replay *r, struct tl_ui *ui, uint64_t t)
{
	uint64_t from = t > r->first_ns + TL_REPLAY_LOOKBACK_NS ? t - TL_REPLAY_LOOKBACK_NS : r->first_ns;
	int err = tl_ui_reset_model(ui);

	if (err)
		return err;
	tl_source_replay_seek(r->src, from);
	r->from_ns = from;
	ui->start_mono_ns = from;
	ui->rate_base_mono_ns = from;
	return feed_until(r, ui, t);
}

static int go_to(struct tl_replay *r, struct tl_ui *ui, uint64_t t)
{
	if (t < r->first_ns)
		t = r->first_ns;
	if (t > r->last_ns)
		t = r->last_ns;
	if (ui->paused)
		tl_ui_pause(ui, false);
	if (t >= r->now_ns)
		return feed_until(r, ui, t);
	return rebuild(r, ui, t);
}

int tl_replay_start(struct tl_replay *r, struct tl_ui *ui)
{
	uint64_t ival = (uint64_t)(ui->interval_s * 1e9), t, b;

	if (tl_source_replay_span(r->src, &r->first_ns, &r->last_ns))
		return -ENODATA;
	t = r->first_ns;
	if (ui->opt->begin.set && tl_when_resolve(&ui->opt->begin, r->first_ns, &b) == 0 &&
	    b > r->first_ns && b <= r->last_ns)
		t = b;
	r->from_ns = r->first_ns;
	r->now_ns = r->first_ns;
	ui->replay = true;
	ui->start_mono_ns = r->first_ns;
	ui->rate_base_mono_ns = r->first_ns;
	/* --begin: the model starts a minute before it, as after a jump */
	if (t > r->first_ns)
		return rebuild(r, ui, t + ival > r->last_ns ? r->last_ns : t + ival);
	return feed_until(r, ui, t + ival > r->last_ns ? r->last_ns : t + ival);
}

static void say_when(struct tl_ui *ui, const char *what, uint64_t t)
{
	time_t s = (time_t)(t / 1000000000u);
	char when[40];
	struct tm tm;

	localtime_r(&s, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	tl_ui_message(ui, false, "%s %s", what, when);
}

int tl_replay_apply(struct tl_replay *r, struct tl_ui *ui)
{
	uint64_t ival = (uint64_t)(ui->interval_s * 1e9), t = r->now_ns;
	enum tl_replay_req req = ui->replay_req;
	int err;

	ui->replay_req = TL_REPLAY_NONE;
	switch (req) {
	case TL_REPLAY_BACK:
		t = t > r->first_ns + ival ? t - ival : r->first_ns;
		break;
	case TL_REPLAY_FORWARD:
		t += ival;
		if (t > r->last_ns) {
			say_when(ui, "the recording ends at", r->last_ns);
			t = r->last_ns;
		}
		break;
	case TL_REPLAY_START:
		t = r->first_ns + ival;
		break;
	case TL_REPLAY_END:
		t = r->last_ns;
		break;
	case TL_REPLAY_AT:
		if (tl_when_resolve(&ui->replay_when, r->first_ns, &t) || t < r->first_ns ||
		    t > r->last_ns) {
			say_when(ui, "not in the recording, which starts at", r->first_ns);
			ui->msg_warn = true;
			return 0;
		}
		break;
	default:
		return 0;
	}
	err = go_to(r, ui, t);
	return err;
}

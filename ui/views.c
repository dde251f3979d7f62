/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Keeping the monitor's views of the model up to date. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "format.h"
#include "state.h"

#define UI_QUOTE_MAX 48	/* bytes of a bad -f echoed back */

/*
 * The recorded instant being shown, when replaying: then both clocks are
 * it, so windows, rates and ages are those of that moment. One per
 * process, like the clocks themselves.
 */
static uint64_t replay_clock_ns;

void tl_ui_set_replay_clock(uint64_t wall_ns)
{
	replay_clock_ns = wall_ns;
}

uint64_t tl_ui_replay_clock(void)
{
	return replay_clock_ns;
}

uint64_t tl_ui_mono_ns(void)
{
	struct timespec ts;

	if (replay_clock_ns)
		return replay_clock_ns;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

uint64_t tl_ui_wall_ns(void)
{
	struct timespec ts;

	if (replay_clock_ns)
		return replay_clock_ns;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

int tl_ui_init(struct tl_ui *ui, const struct tl_options *opt, struct tl_model *m)
{
	memset(ui, 0, sizeof(*ui));
	ui->opt = opt;
	ui->m = m;
	ui->scol = TL_SCOL_TIME;
	ui->sdesc = true;
	/* failing destinations first, then the slow: what a person looks for */
	ui->dcol = TL_DCOL_FAILPCT;
	ui->ddesc = true;
	ui->interval_s = opt->interval_s > 0 ? opt->interval_s : 1.0;
	ui->start_mono_ns = tl_ui_mono_ns();
	ui->rate_base_mono_ns = ui->start_mono_ns;
	tl_cost_init(&ui->cost);
	ui->sv = tl_session_view_new();
	ui->dv = tl_dest_view_new();
	ui->ov = tl_open_view_new();
	ui->ocol = TL_OCOL_RATE;
	ui->odesc = true;
	if (!ui->sv || !ui->dv || !ui->ov) {
		tl_ui_fini(ui);
		return -ENOMEM;
	}
	/* a blank -f is no filter (the parser would take it as zero terms) */
	if (opt->filter && !tl_ui_blank(opt->filter)) {
		char err[200], text[4 * UI_QUOTE_MAX + 8], why[4 * sizeof(err)];
		size_t n;

		ui->filter = tl_filter_parse(opt->filter, err, sizeof(err));
		if (!ui->filter) {
			tl_ui_fini(ui);
			/* printed on stderr: the user's bytes never reach the terminal raw,
			 * and a long one is cut like every other echoed value */
			n = strlen(opt->filter);
			tl_fmt_escape(text, sizeof(text) - 4, opt->filter, n < UI_QUOTE_MAX ? n : UI_QUOTE_MAX);
			if (n > UI_QUOTE_MAX)
				strcat(text, "...");
			tl_fmt_escape(why, sizeof(why), err, strlen(err));
			if (strlen(why) > 3 * UI_QUOTE_MAX)
				strcpy(why + 3 * UI_QUOTE_MAX, "...");
			tl_ui_message(ui, true, "bad filter '%s': %s", text, why);
			return -EINVAL;
		}
	}
	return 0;
}

int tl_ui_reset_model(struct tl_ui *ui)
{
	struct tl_model_config cfg = { .history = ui->opt->history, .max_dests = ui->opt->max_dests };
	struct tl_model *m = tl_model_new(&cfg);
	struct tl_session_view *sv = tl_session_view_new();
	struct tl_dest_view *dv = tl_dest_view_new();
	struct tl_open_view *ov = tl_open_view_new();

	if (!m || !sv || !dv || !ov) {
		tl_model_free(m);
		tl_session_view_free(sv);
		tl_dest_view_free(dv);
		tl_open_view_free(ov);
		return -ENOMEM;
	}
	if (ui->paused)
		tl_ui_pause(ui, false);
	/* the views hold pointers into the old model: they go first */
	tl_session_view_free(ui->sv);
	tl_dest_view_free(ui->dv);
	tl_open_view_free(ui->ov);
	ui->sv = sv;
	ui->dv = dv;
	ui->ov = ov;
	if (ui->dv && ui->cgroup_path)
		tl_dest_view_set_cgroup_path(ui->dv, ui->cgroup_path, ui->cgroup_ctx);
	if (ui->m_owned)
		tl_model_free(ui->m);
	ui->m = m;
	ui->m_owned = true;
	ui->sp.sel = ui->sp.top = 0;
	ui->dp.sel = ui->dp.top = 0;
	ui->op.sel = ui->op.top = 0;
	ui->rate_base_sessions = ui->rate_base_connects = 0;
	return 0;
}

void tl_ui_fini(struct tl_ui *ui)
{
	tl_session_view_free(ui->sv);
	tl_dest_view_free(ui->dv);
	tl_open_view_free(ui->ov);
	ui->ov = NULL;
	tl_filter_free(ui->filter);
	tl_model_free(ui->held);
	if (ui->m_owned)
		tl_model_free(ui->m);
	ui->m_owned = false;
	ui->sv = NULL;
	ui->dv = NULL;
	ui->filter = NULL;
	ui->held = NULL;
}

void tl_ui_message(struct tl_ui *ui, bool warn, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ui->msg, sizeof(ui->msg), fmt, ap);
	va_end(ap);
	ui->msg_warn = warn;
}

bool tl_ui_blank(const char *text)
{
	while (*text && isspace((unsigned char)*text))
		text++;
	return !*text;
}

void tl_ui_set_cgroup_path(struct tl_ui *ui, tl_cgroup_path_fn fn, void *ctx)
{
	ui->cgroup_path = fn;
	ui->cgroup_ctx = ctx;
	tl_filter_set_cgroup_path(ui->filter, fn, ctx);
	if (ui->dv)
		tl_dest_view_set_cgroup_path(ui->dv, fn, ctx);
}

const char *tl_ui_cgroup_path(const struct tl_ui *ui, bool owner_known, uint64_t cgroup_id)
{
	if (!owner_known || !cgroup_id || !ui->cgroup_path)
		return NULL;
	return ui->cgroup_path(ui->cgroup_ctx, cgroup_id);
}

int tl_ui_set_filter(struct tl_ui *ui, const char *text)
{
	struct tl_filter *f = NULL;
	char err[200] = "";

	if (ui->paused) {
		/* the latency rows are held as they were: they cannot be refiltered */
		tl_ui_message(ui, true, "filter: not while paused");
		return -EBUSY;
	}
	while (isspace((unsigned char)*text))
		text++;
	if (*text) {
		f = tl_filter_parse(text, err, sizeof(err));
		if (!f) {
			tl_ui_message(ui, true, "filter not changed: %s", err[0] ? err : "malformed");
			return -EINVAL;
		}
		tl_filter_set_cgroup_path(f, ui->cgroup_path, ui->cgroup_ctx);
	}
	tl_filter_free(ui->filter);
	ui->filter = f;
	ui->filter_retry_ns = 0;
	ui->filter_retries = 0;
	ui->sp.sel = ui->sp.top = 0;
	ui->dp.sel = ui->dp.top = 0;
	ui->op.sel = ui->op.top = 0;
	return 0;
}

void tl_ui_update_rates(struct tl_ui *ui)
{
	const struct tl_model_totals *t = tl_model_totals(ui->m);
	uint64_t now = tl_ui_mono_ns();
	double dt = (now - ui->rate_base_mono_ns) / 1e9;

	if (dt <= 0)
		return;
	ui->rate_sessions = (t->sessions - ui->rate_base_sessions) / dt;
	ui->rate_connects = (t->connects - ui->rate_base_connects) / dt;
	ui->rate_base_sessions = t->sessions;
	ui->rate_base_connects = t->connects;
	ui->rate_base_mono_ns = now;
}

static bool same_session(const struct tl_record *a, const struct tl_record *b)
{
	return a && a->ts_ns == b->ts_ns && a->lport == b->lport && a->rport == b->rport &&
	       a->pid == b->pid && a->span_ns == b->span_ns &&
	       !memcmp(a->raddr, b->raddr, sizeof(a->raddr));
}

static bool same_dest(const struct tl_dest_row *a, const struct tl_dest_row *b)
{
	return a && a->family == b->family && a->is_other == b->is_other && a->port == b->port &&
	       a->pid == b->pid && a->owner_known == b->owner_known && a->cgroup_id == b->cgroup_id &&
	       !memcmp(a->addr, b->addr, sizeof(a->addr)) && !strcmp(a->comm, b->comm);
}

/* Sequence number of the oldest retained session. */
static uint64_t history_first_seq(const struct tl_model *m)
{
	return tl_model_totals(m)->sessions - tl_model_history_len(m);
}

static void clamp_scroll(struct tl_scroll *s, size_t len)
{
	if (!len) {
		s->sel = s->top = 0;
		return;
	}
	if (s->sel >= len)
		s->sel = len - 1;
	if (s->top > s->sel)
		s->top = s->sel;
}

/* Puts the cursor back on `old` (now at index found) at the same screen row. */
static void keep_row(struct tl_scroll *s, size_t found, size_t len)
{
	size_t off = s->sel - s->top;

	s->sel = found;
	s->top = found >= off ? found - off : 0;
	clamp_scroll(s, len);
}

static void update_sessions(struct tl_ui *ui)
{
	bool follow = ui->sp.sel == 0 && ui->sp.top == 0;
	struct tl_record old;
	size_t i, len, guess, old_len = tl_session_view_len(ui->sv);
	bool have_old = false;

	if (!follow && ui->sp.sel < old_len) {
		/* NULL: the ring overwrote it since the last update */
		const struct tl_record *r = tl_session_view_get(ui->sv, ui->sp.sel);

		if (r) {
			old = *r;
			have_old = true;
		}
	}
	tl_session_view_update(ui->sv, tl_ui_session_model(ui), ui->filter, ui->scol, ui->sdesc);
	len = tl_session_view_len(ui->sv);
	if (!have_old) {
		clamp_scroll(&ui->sp, len);
		return;
	}
	/* newest-first tables move old rows down by the rows added: look there first */
	guess = ui->sp.sel + (len > old_len ? len - old_len : 0);
	if (guess < len && same_session(tl_session_view_get(ui->sv, guess), &old)) {
		keep_row(&ui->sp, guess, len);
		return;
	}
	for (i = 0; i < len; i++) {
		if (same_session(tl_session_view_get(ui->sv, i), &old)) {
			keep_row(&ui->sp, i, len);
			return;
		}
	}
	clamp_scroll(&ui->sp, len);
}

const struct tl_model *tl_ui_session_model(const struct tl_ui *ui)
{
	return ui->held ? ui->held : ui->m;
}

static void update_dests(struct tl_ui *ui)
{
	struct tl_dest_row old;
	size_t i, len, old_len = tl_dest_view_len(ui->dv);
	bool have_old = false;

	if (ui->dp.sel > 0 && ui->dp.sel < old_len) {
		const struct tl_dest_row *r = tl_dest_view_get(ui->dv, ui->dp.sel);

		if (r) {
			old = *r;
			have_old = true;
		}
	}
	tl_dest_view_update(ui->dv, ui->m, ui->group, ui->win, ui->filter, ui->dcol, ui->ddesc,
			    ui->view_wall_ns);
	len = tl_dest_view_len(ui->dv);
	if (have_old) {
		for (i = 0; i < len; i++) {
			if (same_dest(tl_dest_view_get(ui->dv, i), &old)) {
				keep_row(&ui->dp, i, len);
				return;
			}
		}
	}
	clamp_scroll(&ui->dp, len);
}

/*
 * A cgroup made since the capture's last scan of the tree has no path for
 * up to TL_CGROUPS_RESCAN_NS, and the views keep the filter's verdicts: if
 * unit=/cgroup= met such a cgroup, the views are rebuilt a second later
 * (when a rescan is allowed), at most a few times in a row, so a cgroup
 * that never resolves (gone before it was seen) does not cost a rebuild
 * every second.
 */
#define TL_FILTER_RETRY_NS 1100000000ull
#define TL_FILTER_RETRIES 5

static void retry_unresolved(struct tl_ui *ui)
{
	uint64_t now = tl_ui_mono_ns();

	if (ui->filter_retry_ns && now >= ui->filter_retry_ns) {
		ui->filter_retry_ns = 0;
		ui->filter_retries++;
		tl_session_view_invalidate(ui->sv);
		tl_dest_view_invalidate(ui->dv);
	}
}

static void note_unresolved(struct tl_ui *ui)
{
	if (!tl_filter_take_unresolved(ui->filter)) {
		/* all known now: a later new cgroup gets its retries again */
		if (!ui->filter_retry_ns)
			ui->filter_retries = 0;
		return;
	}
	if (!ui->filter_retry_ns && ui->filter_retries < TL_FILTER_RETRIES)
		ui->filter_retry_ns = tl_ui_mono_ns() + TL_FILTER_RETRY_NS;
}

void tl_ui_update_views(struct tl_ui *ui, bool force)
{
	const struct tl_model_totals *t = tl_model_totals(ui->m);

	if (ui->paused && !force)
		return;
	retry_unresolved(ui);
	/* paused: a new order of what is held (both views read no live data) */
	if (!ui->paused)
		ui->view_wall_ns = tl_ui_wall_ns();
	update_sessions(ui);
	update_dests(ui);
	note_unresolved(ui);
	tl_open_panel_update(ui);
	if (ui->paused)
		return;
	ui->view_first_seq = history_first_seq(ui->m);
	/* the title's shown and retained counts are of the same moment */
	ui->view_retained = tl_model_history_len(ui->m);
	ui->view_sessions = t->sessions;
	ui->view_connects = t->connects;
}

/*
 * The views are held as last updated, not as the model is now: what arrived
 * since was never on screen, and is what the status line counts. Sessions
 * the ring overwrote in that last interval are gone from the copy too.
 */
static void hold(struct tl_ui *ui)
{
	ui->paused_sessions = ui->view_sessions;
	ui->paused_connects = ui->view_connects;
	ui->held = tl_model_hold(ui->m, ui->view_sessions);
	if (ui->held)
		update_sessions(ui);	/* the same rows, now read from the copy */
	if (!ui->held || tl_dest_view_hold(ui->dv, tl_detail_q, TL_DETAIL_NQ))
		tl_ui_message(ui, true, "paused, but out of memory to hold the view: rows may change");
}

static void release(struct tl_ui *ui)
{
	struct tl_model *held = ui->held;

	tl_dest_view_release(ui->dv);
	ui->held = NULL;
	/* the live view first: the cursor's row is read from the copy */
	tl_ui_update_views(ui, true);
	tl_model_free(held);
}

void tl_ui_pause(struct tl_ui *ui, bool pause)
{
	if (pause == ui->paused)
		return;
	ui->paused = pause;
	if (pause)
		hold(ui);
	else
		release(ui);
}

uint64_t tl_ui_overwritten(const struct tl_ui *ui)
{
	uint64_t first = history_first_seq(ui->m);

	return first > ui->view_first_seq ? first - ui->view_first_seq : 0;
}

bool tl_ui_renew_if_gone(struct tl_ui *ui)
{
	size_t len = tl_session_view_len(ui->sv), i, end;
	uint64_t gone = tl_ui_overwritten(ui);
	int rows = ui->sp.rows > 0 ? ui->sp.rows : 1;

	if (!gone || !len || ui->held)	/* a held view never loses a row */
		return false;
	/* only the rows about to be drawn (and the cursor) matter: a paused
	 * view stays as it is while what the user looks at is still there */
	tl_scroll_fit(&ui->sp, len, rows);
	end = ui->sp.top + (size_t)rows;
	if (end > len)
		end = len;
	for (i = ui->sp.top; i < end; i++)
		if (!tl_session_view_get(ui->sv, i))
			break;
	if (i == end && tl_session_view_get(ui->sv, ui->sp.sel))
		return false;
	tl_ui_update_views(ui, true);
	if (ui->paused)
		tl_ui_message(ui, true, "view renewed: %" PRIu64 " sessions overwritten", gone);
	return true;
}

void tl_scroll_fit(struct tl_scroll *s, size_t len, int rows)
{
	if (rows < 1)
		rows = 1;
	if (!len) {
		s->sel = s->top = 0;
		return;
	}
	if (s->sel >= len)
		s->sel = len - 1;
	if (s->sel < s->top)
		s->top = s->sel;
	if (s->sel >= s->top + (size_t)rows)
		s->top = s->sel - rows + 1;
	/* no blank rows below the end while there is history above */
	if (s->top + rows > len)
		s->top = len > (size_t)rows ? len - rows : 0;
}

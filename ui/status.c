/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The two status lines at the top of the monitor. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

#include "format.h"
#include "state.h"

const char *tl_group_name(enum tl_group g)
{
	switch (g) {
	case TL_GROUP_ADDR: return "address";
	case TL_GROUP_PORT: return "port";
	case TL_GROUP_PROCESS: return "process";
	default: return "destination";
	}
}

const char *tl_window_name(enum tl_window w)
{
	switch (w) {
	case TL_WIN_60S: return "last 60s";
	case TL_WIN_10S: return "last 10s";
	default: return "since start";
	}
}

/* A status line is a list of styled pieces, laid out once they are known. */
#define TL_SEGS 24
struct line {
	int n;
	char text[TL_SEGS][TL_INPUT_MAX + 64];
	enum tl_style st[TL_SEGS];
};

static void add(struct line *l, enum tl_style st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void add(struct line *l, enum tl_style st, const char *fmt, ...)
{
	va_list ap;

	if (l->n >= TL_SEGS)
		return;
	va_start(ap, fmt);
	vsnprintf(l->text[l->n], sizeof(l->text[0]), fmt, ap);
	va_end(ap);
	l->st[l->n++] = st;
}

static int line_width(const struct line *l)
{
	int i, w = 0;

	for (i = 0; i < l->n; i++)
		w += tl_text_width(l->text[i]);
	return w;
}

static void put_line(struct tl_canvas *c, int y, const struct line *l)
{
	int i, x = 0;

	tl_canvas_fill(c, 0, y, c->w, L' ', TL_ST_STATUS);
	for (i = 0; i < l->n; i++)
		x += tl_canvas_print(c, x, y, l->text[i], l->st[i]);
}

static const char *sort_header(const struct tl_ui *ui)
{
	int i;

	if (ui->focus == TL_FOCUS_OPEN)
		return tl_open_sort_name(ui->ogroup, ui->ocol);
	if (ui->focus == TL_FOCUS_DESTS) {
		for (i = 0; i < TL_DC_COUNT; i++)
			if (tl_dest_cols[i].sort_id == (int)ui->dcol)
				return i == TL_DC_KEY ? tl_dest_key_header(ui->group) : tl_dest_cols[i].header;
	} else {
		for (i = 0; i < TL_SC_COUNT; i++)
			if (tl_session_cols[i].sort_id == (int)ui->scol)
				return tl_session_cols[i].header;
	}
	return "?";
}

/* level 0: words; 1: short words; 2: shorter, the interval moves to the
 * second line so that the drop causes still fit at 80 columns; 3: drops as
 * a total only */
static void counters(const struct tl_ui *ui, struct line *l, int level)
{
	const struct tl_model_totals *t = tl_model_totals(ui->m);
	uint64_t dropped = tl_drops_total(&t->drops);
	bool compact = level > 0;
	char up[32], ival[32];

	tl_fmt_duration(up, sizeof(up), tl_ui_mono_ns() - ui->start_mono_ns);
	tl_fmt_duration(ival, sizeof(ival), (uint64_t)(ui->interval_s * 1e9 + 0.5));
	l->n = 0;
	add(l, TL_ST_STATUS, compact ? "up " : "tcplens up ");
	add(l, TL_ST_STATUS_VALUE, "%s", up);
	add(l, TL_ST_STATUS, compact ? " sess " : "  sessions ");
	add(l, TL_ST_STATUS_VALUE, "%" PRIu64, t->sessions);
	add(l, TL_ST_STATUS, compact ? " %.0f/s conn " : " (%.1f/s)  connects ", ui->rate_sessions);
	add(l, TL_ST_STATUS_VALUE, "%" PRIu64, t->connects);
	add(l, TL_ST_STATUS, level >= 2 ? " %.0f/s fail " : compact ? " %.0f/s failed " :
	    " (%.1f/s)  failed ", ui->rate_connects);
	add(l, t->connects_failed ? TL_ST_FAIL : TL_ST_STATUS_VALUE, "%" PRIu64, t->connects_failed);
	add(l, TL_ST_STATUS, level >= 2 ? " drop " : compact ? " dropped " : "  dropped ");
	/* every cause is named once anything is lost: they need different fixes */
	/* missed counts state changes, not events: not in the total, but named */
	if (!dropped && !t->drops.missed)
		add(l, TL_ST_STATUS_VALUE, "0");
	else if (level >= 3)
		add(l, TL_ST_WARN, "%" PRIu64, dropped);
	else if (level == 2)
		add(l, TL_ST_WARN, "%" PRIu64 " (ring %" PRIu64 " map %" PRIu64 " missed %" PRIu64 ")",
		    dropped, t->drops.ringbuf, t->drops.map, t->drops.missed);
	else
		add(l, TL_ST_WARN, "%" PRIu64 " (ring %" PRIu64 ", map %" PRIu64 ", missed %" PRIu64 ")",
		    dropped, t->drops.ringbuf, t->drops.map, t->drops.missed);
	if (level < 2) {
		add(l, TL_ST_STATUS, compact ? " every " : "  every ");
		add(l, TL_ST_STATUS_VALUE, "%s", ival);
	}
}

static void interval(const struct tl_ui *ui, struct line *l)
{
	char ival[32];

	tl_fmt_duration(ival, sizeof(ival), (uint64_t)(ui->interval_s * 1e9 + 0.5));
	add(l, TL_ST_STATUS, "  every ");
	add(l, TL_ST_STATUS_VALUE, "%s", ival);
}

/*
 * level 0: words; 1: short words; 2: also without the grouping and window
 * (the latency panel's title has them) so that a message fits at 80 columns.
 */
static void choices(const struct tl_ui *ui, struct line *l, int level, bool with_interval)
{
	const struct tl_model_totals *t = tl_model_totals(ui->m);
	bool desc = ui->focus == TL_FOCUS_OPEN ? ui->odesc :
		    ui->focus == TL_FOCUS_DESTS ? ui->ddesc : ui->sdesc;
	bool compact = level > 0;

	l->n = 0;
	if (ui->paused) {
		uint64_t since = t->sessions - ui->paused_sessions + t->connects - ui->paused_connects;
		uint64_t gone = tl_ui_overwritten(ui);

		add(l, TL_ST_PAUSED, level >= 2 ? " PAUSED +%" PRIu64 " " : " PAUSED +%" PRIu64 " events ",
		    since);
		/* older sessions the ring dropped since: off-screen rows may be gone */
		if (gone)
			add(l, TL_ST_WARN, compact ? " -%" PRIu64 " old " :
			    " %" PRIu64 " old sessions overwritten ", gone);
		add(l, TL_ST_STATUS, " ");
	}
	add(l, TL_ST_STATUS, "sort ");
	add(l, TL_ST_STATUS_VALUE, "%s %s", sort_header(ui), desc ? "desc" : "asc");
	add(l, TL_ST_STATUS, "  filter ");
	add(l, ui->filter ? TL_ST_STATUS_VALUE : TL_ST_STATUS, "%s",
	    ui->filter ? tl_filter_text(ui->filter) : "none");
	if (ui->msg[0]) {
		add(l, TL_ST_STATUS, "  ");
		add(l, ui->msg_warn ? TL_ST_WARN : TL_ST_STATUS_VALUE, "%s", ui->msg);
	}
	if (level < 2 && ui->focus == TL_FOCUS_OPEN) {
		/* the Open panel has groupings of its own and no window */
		add(l, TL_ST_STATUS, compact ? "  by " : "  group ");
		add(l, TL_ST_STATUS_VALUE, "%s", tl_open_group_name(ui->ogroup));
	} else if (level < 2) {
		add(l, TL_ST_STATUS, compact ? "  by " : "  group ");
		add(l, TL_ST_STATUS_VALUE, "%s", tl_group_name(ui->group));
		add(l, TL_ST_STATUS, compact ? " " : "  window ");
		add(l, TL_ST_STATUS_VALUE, "%s", tl_window_name(ui->win));
	}
	if (with_interval)
		interval(ui, l);
}

void tl_status_draw(const struct tl_ui *ui, struct tl_canvas *c, int y)
{
	struct line l;
	bool ival_below;
	int level;

	for (level = 0; level < 3; level++) {
		counters(ui, &l, level);
		if (line_width(&l) <= c->w)
			break;
	}
	if (level == 3)
		counters(ui, &l, 3);
	put_line(c, y, &l);
	ival_below = level >= 2;
	for (level = 0; level < 2; level++) {
		choices(ui, &l, level, ival_below);
		if (line_width(&l) <= c->w)
			break;
	}
	if (level == 2)
		choices(ui, &l, 2, ival_below);
	put_line(c, y + 1, &l);
}

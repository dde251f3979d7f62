/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The two status lines at the top of the monitor. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <string.h>

#include "format.h"
#include "labels.h"
#include "state.h"

/* A status line is a list of styled pieces, laid out once they are known. */
#define TL_SEGS 24
struct line {
	int n;
	/* wider than any screen: a longer filter text is cut past the edge anyway */
	char text[TL_SEGS][TL_MSG_MAX + 64];
	enum tl_style st[TL_SEGS];
};

static void add(struct line *l, enum tl_style st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void add(struct line *l, enum tl_style st, const char *fmt, ...)
{
	va_list ap;
	char *t;
	int n;

	if (l->n >= TL_SEGS)
		return;
	t = l->text[l->n];
	va_start(ap, fmt);
	n = vsnprintf(t, sizeof(l->text[0]), fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof(l->text[0])) {
		/* a filter longer than any screen: say it goes on, cut between characters */
		size_t k = sizeof(l->text[0]) - 4;

		while (k > 0 && ((unsigned char)t[k] & 0xc0) == 0x80)
			k--;
		memcpy(t + k, "...", 4);
	}
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

/*
 * The cost of watching: tcplens's CPU, the events it takes in, and with the
 * BPF statistics held, the probes' run time per event and as a share of one
 * CPU. "-" until a whole interval has been measured.
 */
static void watch_cost(const struct tl_ui *ui, struct line *l, int level)
{
	const struct tl_cost *c = &ui->cost;
	char n[32];

	add(l, TL_ST_STATUS, level ? " cpu " : "  cpu ");
	if (c->cpu_pct < 0)
		add(l, TL_ST_STATUS_VALUE, "-");
	else
		add(l, TL_ST_STATUS_VALUE, "%.1f%%", c->cpu_pct);
	add(l, TL_ST_STATUS, level ? " " : "  ");
	if (c->events_rate < 0) {
		add(l, TL_ST_STATUS_VALUE, "-");
	} else {
		tl_fmt_count(n, sizeof(n), (uint64_t)(c->events_rate + 0.5));
		add(l, TL_ST_STATUS_VALUE, "%s", n);
	}
	add(l, TL_ST_STATUS, level ? " ev/s" : " events/s");
	if (!c->bpf_on)
		return;
	add(l, TL_ST_STATUS, level ? " bpf " : "  bpf ");
	if (c->bpf_ns_per_event < 0) {
		add(l, TL_ST_STATUS_VALUE, "-");
	} else {
		tl_fmt_count(n, sizeof(n), (uint64_t)(c->bpf_ns_per_event + 0.5));
		add(l, TL_ST_STATUS_VALUE, "%s", n);
	}
	add(l, TL_ST_STATUS, level ? " ns/ev " : " ns/event ");
	if (c->bpf_cpu_pct < 0)
		add(l, TL_ST_STATUS_VALUE, "-");
	else
		add(l, TL_ST_STATUS_VALUE, "%.2f%%", c->bpf_cpu_pct);
}

/* The panel the sort (and the cursor keys) apply to, as its title names it. */
static const char *focus_name(const struct tl_ui *ui)
{
	return ui->focus == TL_FOCUS_OPEN ? "open" : ui->focus == TL_FOCUS_DESTS ? "latency" : "sessions";
}

/* level 0: words; 1: short words; 2: shorter, no uptime, the interval moves
 * to the second line so that the drop causes and the cost of watching still
 * fit at 80 columns; 3: drops as a total only */
static void counters(const struct tl_ui *ui, struct line *l, int level)
{
	const struct tl_model_totals *t = tl_model_totals(ui->m);
	uint64_t dropped = tl_drops_total(&t->drops);
	bool compact = level > 0;
	char up[32], ival[32];
	char sess[32], conn[32], fail[32], drop[32], ring[32], map[32], missed[32];

	tl_fmt_duration(up, sizeof(up), tl_ui_mono_ns() - ui->start_mono_ns);
	tl_fmt_duration(ival, sizeof(ival), (uint64_t)(ui->interval_s * 1e9 + 0.5));
	/* big totals with separators: 4,058,481 reads at a glance */
	tl_fmt_count(sess, sizeof(sess), t->sessions);
	tl_fmt_count(conn, sizeof(conn), t->connects);
	tl_fmt_count(fail, sizeof(fail), t->connects_failed);
	tl_fmt_count(drop, sizeof(drop), dropped);
	tl_fmt_count(ring, sizeof(ring), t->drops.ringbuf);
	tl_fmt_count(map, sizeof(map), t->drops.map);
	tl_fmt_count(missed, sizeof(missed), t->drops.missed);
	l->n = 0;
	if (tl_ui_replay_clock()) {
		/* replaying: when, always; it matters more than anything else here */
		time_t when = (time_t)(tl_ui_replay_clock() / 1000000000u);
		struct tm tm;
		char at[32];

		localtime_r(&when, &tm);
		strftime(at, sizeof(at), level >= 2 ? "%H:%M:%S" : "%Y-%m-%d %H:%M:%S", &tm);
		add(l, TL_ST_PAUSED, "REPLAY");
		add(l, TL_ST_STATUS_VALUE, " %s", at);
	} else if (level < 2) {
		/* the uptime goes first: drops and the cost of watching matter more */
		add(l, TL_ST_STATUS, compact ? "up " : "tcplens up ");
		add(l, TL_ST_STATUS_VALUE, "%s", up);
	}
	add(l, TL_ST_STATUS, level >= 2 ? "sess " : compact ? " sess " : "  sessions ");
	add(l, TL_ST_STATUS_VALUE, "%s", sess);
	add(l, TL_ST_STATUS, compact ? " %.0f/s conn " : " (%.1f/s)  connects ", ui->rate_sessions);
	add(l, TL_ST_STATUS_VALUE, "%s", conn);
	add(l, TL_ST_STATUS, level >= 2 ? " %.0f/s fail " : compact ? " %.0f/s failed " :
	    " (%.1f/s)  failed ", ui->rate_connects);
	add(l, t->connects_failed ? TL_ST_FAIL : TL_ST_STATUS_VALUE, "%s", fail);
	add(l, TL_ST_STATUS, level >= 2 ? " drop " : compact ? " dropped " : "  dropped ");
	/* every cause is named once anything is lost: they need different fixes */
	/* missed counts state changes, not events: not in the total, but named */
	if (!dropped && !t->drops.missed) {
		add(l, TL_ST_STATUS_VALUE, "0");
	} else if (level >= 3) {
		add(l, TL_ST_WARN, "%s", drop);
	} else {
		char causes[96];

		tl_fmt_drop_causes(causes, sizeof(causes), &t->drops, false);
		add(l, TL_ST_WARN, "%s (%s)", drop, causes);
	}
	if (!tl_ui_replay_clock())	/* a replay's cost is not what was recorded */
		watch_cost(ui, l, level);
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
 * The paused view holds still; say in words what arrived since it was
 * taken (level 0: words, 1: short, 2: sessions only). Without a held copy (out of memory)
 * older rows may be overwritten: say how many.
 */
static void paused_note(const struct tl_ui *ui, struct line *l, int level)
{
	const struct tl_model_totals *t = tl_model_totals(ui->m);
	const char *dot = ui->utf8 ? "\u00b7" : "-";
	char ns[32], nc[32];
	uint64_t gone = ui->held ? 0 : tl_ui_overwritten(ui);

	tl_fmt_count(ns, sizeof(ns), t->sessions - ui->paused_sessions);
	tl_fmt_count(nc, sizeof(nc), t->connects - ui->paused_connects);
	if (level >= 2)
		add(l, TL_ST_PAUSED, " PAUSED %s +%s sess ", dot, ns);
	else if (level)
		add(l, TL_ST_PAUSED, " PAUSED %s +%s sess +%s conn ", dot, ns, nc);
	else
		add(l, TL_ST_PAUSED, " PAUSED %s %s new sessions, %s connects since pause ", dot, ns,
		    nc);
	if (gone)
		add(l, TL_ST_WARN, " %" PRIu64 " rows overwritten ", gone);
	add(l, TL_ST_STATUS, " ");
}

/*
 * level 0: words; 1: short words; 2: also without the grouping and window
 * (the latency panel's title has them) so that a message fits at 80 columns.
 */
static void choices(const struct tl_ui *ui, struct line *l, int level, bool with_interval)
{
	bool desc = ui->focus == TL_FOCUS_OPEN ? ui->odesc :
		    ui->focus == TL_FOCUS_DESTS ? ui->ddesc : ui->sdesc;
	bool compact = level > 0;

	l->n = 0;
	if (ui->paused)
		paused_note(ui, l, level);
	add(l, TL_ST_STATUS, "%s sort ", focus_name(ui));
	add(l, TL_ST_STATUS_VALUE, "%s %s", sort_header(ui), desc ? "desc" : "asc");
	/* at 80 columns "filter none" gives way to the panel's name and a message */
	if (ui->filter || level < 2) {
		add(l, TL_ST_STATUS, "  filter ");
		add(l, ui->filter ? TL_ST_STATUS_VALUE : TL_ST_STATUS, "%s",
		    ui->filter ? tl_filter_text(ui->filter) : "none");
	}
	if (ui->msg[0]) {
		add(l, TL_ST_STATUS, "  ");
		add(l, ui->msg_warn ? TL_ST_WARN : TL_ST_STATUS_VALUE, "%s", ui->msg);
	}
	if (level < 2 && ui->focus == TL_FOCUS_OPEN) {
		/* the Open panel has groupings of its own and no window */
		add(l, TL_ST_STATUS, "  by ");
		add(l, TL_ST_STATUS_VALUE, "%s", tl_open_group_name(ui->ogroup));
	} else if (level < 2) {
		/* short words: the panel's name before the sort took the room */
		add(l, TL_ST_STATUS, "  by ");
		add(l, TL_ST_STATUS_VALUE, "%s", tl_group_name(ui->group));
		add(l, TL_ST_STATUS, compact ? " " : ", ");
		add(l, TL_ST_STATUS_VALUE, "%s", tl_window_name(ui->win));
	}
	/* a message matters more than the interval at the narrowest */
	if (with_interval && (level < 2 || !ui->msg[0]))
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

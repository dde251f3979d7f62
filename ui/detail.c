/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The detail view: every field of one session or one destination. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "format.h"
#include "labels.h"
#include "state.h"

const double tl_detail_q[TL_DETAIL_NQ] = { 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1.0 };

void tl_detail_open(struct tl_ui *ui)
{
	struct tl_detail *d = &ui->detail;
	const struct tl_dest_row *row;
	int i;

	if (ui->focus == TL_FOCUS_OPEN) {
		tl_open_detail_open(ui);
		return;
	}
	memset(d, 0, sizeof(*d));
	if (ui->focus == TL_FOCUS_DESTS) {
		if (tl_dest_view_stale(ui->dv)) {
			/* as for an overwritten session: renew, say so, stay paused */
			tl_ui_update_views(ui, true);
			if (ui->paused)
				tl_ui_message(ui, true, "view renewed: a latency row was folded into "
					      "(other) to make room");
		}
		if (ui->dp.sel >= tl_dest_view_len(ui->dv))
			return;
		row = tl_dest_view_get(ui->dv, ui->dp.sel);
		if (!row)
			return;
		d->is_dest = true;
		d->row = *row;
		d->group = ui->group;
		d->win = ui->win;
		for (i = 0; i < TL_DETAIL_NQ; i++)
			d->q_ns[i] = d->row.ok ? tl_dest_view_quantile(ui->dv, ui->dp.sel, tl_detail_q[i]) : 0;
		d->fail_ret = tl_dest_view_failures(ui->dv, ui->dp.sel, &d->fail);
	} else {
		const struct tl_record *r;

		if (ui->sp.sel >= tl_session_view_len(ui->sv))
			return;
		r = tl_session_view_get(ui->sv, ui->sp.sel);
		if (!r) {
			/* the next draw renews the view (tl_ui_renew_if_gone) */
			tl_ui_message(ui, true, "that session is no longer retained: newer ones "
				      "overwrote it (history keeps %zu)", tl_model_history_cap(ui->m));
			return;
		}
		d->rec = *r;
	}
	ui->screen = TL_SCREEN_DETAIL;
	ui->sub.top = ui->sub.sel = 0;
}

#define NL 64
#define LL 240

static void fmt_when(char *buf, size_t len, uint64_t ns)
{
	time_t secs = (time_t)(ns / 1000000000ull);
	struct tm tm;
	char t[40];

	if (!ns || !localtime_r(&secs, &tm)) {
		snprintf(buf, len, "-");
		return;
	}
	strftime(t, sizeof(t), "%Y-%m-%d %H:%M:%S", &tm);
	snprintf(buf, len, "%.32s.%06u", t, (unsigned int)((ns % 1000000000ull) / 1000));
}

/* The owner's cgroup: its unit (unless the key already is it), path and
 * id, each unknown as such. */
static size_t cgroup_lines(const struct tl_ui *ui, bool owner_known, uint64_t id, bool unit,
			   char out[][LL])
{
	const char *path = tl_ui_cgroup_path(ui, owner_known, id);
	char p[200], u[TL_CELL_MAX];
	size_t n = 0;

	tl_fmt_unit(u, sizeof(u), path);
	tl_fmt_cgroup_path(p, sizeof(p), path);
	if (unit)
		snprintf(out[n++], LL, "  Unit            %s", u);
	if (!owner_known || !id) {
		snprintf(out[n++], LL, "  Cgroup          - (unknown)");
		return n;
	}
	snprintf(out[n++], LL, "  Cgroup          %s", path ? p : "- (its path is not known)");
	snprintf(out[n++], LL, "  Cgroup id       %" PRIu64, id);
	return n;
}

static size_t session_lines(const struct tl_ui *ui, const struct tl_record *r, char out[][LL])
{
	char a[TL_ADDR_MAX], b[64], c[64];
	size_t n = 0;

	fmt_when(b, sizeof(b), r->ts_ns);
	snprintf(out[n++], LL, "  Ended           %s", b);
	tl_fmt_pid(b, sizeof(b), r);
	{
		char comm[TL_COMM_MAX];

		tl_fmt_comm(comm, sizeof(comm), r);
		snprintf(out[n++], LL, "  Process         pid %s  comm %s%s", b, comm,
			 r->owner_known ? "" : "  (owner unknown)");
	}
	n += cgroup_lines(ui, r->owner_known, r->cgroup_id, true, out + n);
	snprintf(out[n++], LL, "  Direction       %s (%s)", tl_fmt_dir_short(r->dir),
		 r->dir == TL_REC_ACTIVE ? "active: this host connected" : "passive: accepted");
	snprintf(out[n++], LL, "  Family          IPv%u", r->family);
	tl_fmt_addr(a, sizeof(a), r->family, r->laddr);
	snprintf(out[n++], LL, "  Local address   %s", a);
	snprintf(out[n++], LL, "  Local port      %u", r->lport);
	tl_fmt_addr(a, sizeof(a), r->family, r->raddr);
	snprintf(out[n++], LL, "  Remote address  %s", a);
	snprintf(out[n++], LL, "  Remote port     %u", r->rport);
	tl_fmt_bytes(b, sizeof(b), r->tx_bytes);
	snprintf(out[n++], LL, "  Sent            %s (%" PRIu64 " payload bytes)", b, r->tx_bytes);
	tl_fmt_bytes(b, sizeof(b), r->rx_bytes);
	snprintf(out[n++], LL, "  Received        %s (%" PRIu64 " payload bytes)", b, r->rx_bytes);
	tl_fmt_duration(b, sizeof(b), r->span_ns);
	snprintf(out[n++], LL, "  Lifespan        %s (%" PRIu64 " ns, handshake start to close)", b,
		 r->span_ns);
	snprintf(out[n++], LL, "  Retransmits     %" PRIu32 " segments", r->retrans);
	tl_fmt_duration(c, sizeof(c), (uint64_t)r->srtt_us * 1000);
	snprintf(out[n++], LL, "  Smoothed RTT    %s (%" PRIu32 " us, at close)", c, r->srtt_us);
	return n;
}

/* Failures by result, errors by errno, and how long connects took to fail. */
static size_t fail_lines(const struct tl_detail *d, char out[][LL])
{
	const struct tl_dest_fail *f = &d->fail;
	char b[32], e[32], p[32], q[32];	/* durations and errno names are short */
	size_t n = 0, used;
	uint32_t i;

	if (d->row.connects == d->row.ok)
		return 0;
	snprintf(out[n++], LL, "  Failed          %" PRIu64 " refused, %" PRIu64 " timed out, %" PRIu64
		 " aborted, %" PRIu64 " errors", d->row.refused, d->row.timeouts, d->row.aborted,
		 d->row.errors);
	if (d->fail_ret) {
		snprintf(out[n++], LL, "  (errnos and times to failure not available: the row was "
			 "folded into (other))");
		return n;
	}
	if (f->errors) {
		used = (size_t)snprintf(out[n], LL, "  Errors by errno");
		for (i = 0; i < f->nerr && used < LL; i++) {
			tl_fmt_errno(b, sizeof(b), f->err_no[i]);
			used += (size_t)snprintf(out[n] + used, LL - used, "%s %s %" PRIu64,
						 i ? "," : "", b, f->err_n[i]);
		}
		if (f->err_other && used < LL)
			snprintf(out[n] + used, LL - used, "%s %" PRIu64 " with other errnos",
				 f->nerr ? "," : "", f->err_other);
		n++;
	}
	tl_fmt_duration(b, sizeof(b), f->ttf_min_ns);
	tl_fmt_duration(e, sizeof(e), f->ttf_p50_ns);
	tl_fmt_duration(p, sizeof(p), f->ttf_p99_ns);
	tl_fmt_duration(q, sizeof(q), f->ttf_max_ns);
	snprintf(out[n++], LL, "  Time to failure min %s  p50 %s  p99 %s  max %s", b, e, p, q);
	snprintf(out[n++], LL, "                  (from connect() to the RST, the error or close, or "
		 "the kernel giving up)");
	return n;
}

static size_t dest_lines(const struct tl_ui *ui, const struct tl_detail *d, char out[][LL])
{
	static const char *const qname[TL_DETAIL_NQ] = { "p25", "p50", "p75", "p90", "p95",
							 "p99", "p99.9", "p100" };
	const struct tl_dest_row *r = &d->row;
	char k[TL_CELL_MAX], b[64], e[64];
	uint32_t top = 0;
	size_t n = 0;
	int i;

	tl_dest_key(k, sizeof(k), r, d->group);
	snprintf(out[n++], LL, "  %-15s %s", tl_dest_key_header(d->group), k);
	if (r->is_other) {
		snprintf(out[n++], LL, "  (past %zu rows: new destinations while no row was idle, and",
			 ui->opt->max_dests);
		snprintf(out[n++], LL, "  rows idle for 10 s, folded here to give their row to a new one)");
	}
	if (d->group == TL_GROUP_UNIT && !r->is_other)
		n += cgroup_lines(ui, r->owner_known, r->cgroup_id, false, out + n);
	snprintf(out[n++], LL, "  Window          %s", tl_window_name(d->win));
	tl_fmt_percent(b, sizeof(b), r->connects - r->ok, r->connects);
	snprintf(out[n++], LL, "  Connects        %" PRIu64 ": %" PRIu64 " answered, %" PRIu64
		 " failed (%s)", r->connects, r->ok, r->connects - r->ok, b);
	n += fail_lines(d, out + n);
	fmt_when(b, sizeof(b), r->last_ts_ns);
	snprintf(out[n++], LL, "  Last connect    %s", b);
	if (!r->ok) {
		snprintf(out[n++], LL, "  (no answered connect: no latency)");
		return n;
	}
	tl_fmt_duration(b, sizeof(b), r->min_ns);
	tl_fmt_duration(e, sizeof(e), r->max_ns);
	snprintf(out[n++], LL, "  Latency min     %s   max %s (exact)", b, e);
	tl_fmt_duration(b, sizeof(b), r->last_ns);
	snprintf(out[n++], LL, "  Latency last    %s", b);
	for (i = 0; i < TL_DETAIL_NQ; i++) {
		tl_fmt_duration(b, sizeof(b), d->q_ns[i]);
		snprintf(out[n++], LL, "  %-15s %s", qname[i], b);
	}
	out[n++][0] = '\0';
	snprintf(out[n++], LL, "#Histogram of answered connects (log-spaced bins)");
	for (i = 0; i < TL_HIST_BINS; i++)
		if (r->hist[i] > top)
			top = r->hist[i];
	if (r->hist_hi_ns <= r->hist_lo_ns) {
		tl_fmt_duration(b, sizeof(b), r->hist_lo_ns);
		snprintf(out[n++], LL, "  all %" PRIu64 " at %s", r->ok, b);
		return n;
	}
	for (i = 0; i < TL_HIST_BINS; i++) {
		double lo = (double)r->hist_lo_ns, hi = (double)r->hist_hi_ns;
		double a = lo, z = hi;
		char bar[3 * 32 + 1];
		int len = top ? (int)((uint64_t)r->hist[i] * 32 / top) : 0, j;
		size_t bl = 0;

		if (lo > 0 && hi > lo) {
			a = lo * pow(hi / lo, (double)i / TL_HIST_BINS);
			z = lo * pow(hi / lo, (double)(i + 1) / TL_HIST_BINS);
		}
		if (r->hist[i] && !len)
			len = 1;
		for (j = 0; j < len; j++) {
			const char *blk = ui->utf8 ? "\u2588" : "#";
			size_t kk = strlen(blk);

			memcpy(bar + bl, blk, kk);
			bl += kk;
		}
		bar[bl] = '\0';
		tl_fmt_duration(b, sizeof(b), (uint64_t)a);
		tl_fmt_duration(e, sizeof(e), (uint64_t)z);
		snprintf(out[n++], LL, "  %8s - %-8s %8" PRIu32 " %s", b, e, r->hist[i], bar);
	}
	return n;
}

void tl_detail_draw(struct tl_ui *ui, struct tl_canvas *c, int y, int h)
{
	static char text[NL][LL];
	const char *lines[NL];
	size_t n, i;

	if (ui->detail.is_open) {
		tl_open_detail_draw(ui, c, y, h);
		return;
	}
	n = ui->detail.is_dest ? dest_lines(ui, &ui->detail, text) : session_lines(ui, &ui->detail.rec, text);
	for (i = 0; i < n; i++)
		lines[i] = text[i];
	tl_text_page_draw(ui, c, y, h,
			  ui->detail.is_dest ? "Destination detail: Esc to go back" :
			  "Session detail: Esc to go back", lines, n);
}

/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The detail of an Open panel row: full addresses, owner, cgroup path,
 * counters, and for a connection its rate history as sparklines. The row
 * is a copy made at Enter; the history is read from the view at each draw,
 * so it grows while the detail is shown (and holds still while paused).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "format.h"
#include "state.h"

void tl_open_detail_open(struct tl_ui *ui)
{
	struct tl_detail *d = &ui->detail;
	const struct tl_open_row *row;
	const char *path;

	if (!ui->ov || ui->op.sel >= tl_open_view_len(ui->ov))
		return;
	row = tl_open_view_get(ui->ov, ui->op.sel);
	memset(d, 0, sizeof(*d));
	d->is_open = true;
	d->orow = *row;
	d->ogroup = ui->ogroup;
	path = tl_open_view_cgroup(ui->ov, row);
	if (path) {
		d->ocgroup_cut = strlen(path) >= sizeof(d->ocgroup);
		tl_fmt_escape(d->ocgroup, sizeof(d->ocgroup), path, strlen(path));
	}
	ui->screen = TL_SCREEN_DETAIL;
	ui->sub.top = ui->sub.sel = 0;
}

#define NL 48
#define LL 640

/* samples as one line of block characters scaled to the largest */
static void spark(char *out, size_t len, const float *v, size_t n, bool utf8)
{
	static const char *const blocks[] = { "\u2581", "\u2582", "\u2583", "\u2584", "\u2585",
					      "\u2586", "\u2587", "\u2588" };
	static const char ascii[] = "_.-~=+*#";
	float top = 0;
	size_t i, o = 0;

	for (i = 0; i < n; i++)
		if (v[i] > top)
			top = v[i];
	out[0] = '\0';
	for (i = 0; i < n && o + 4 < len; i++) {
		int lvl = top > 0 ? (int)(v[i] / top * 7.0f + 0.5f) : 0;

		if (utf8) {
			memcpy(out + o, blocks[lvl], 3);
			o += 3;
		} else {
			out[o++] = ascii[lvl];
		}
	}
	out[o] = '\0';
}

static size_t open_lines(struct tl_ui *ui, const struct tl_detail *d, char out[][LL])
{
	const struct tl_open_row *row = &d->orow;
	const struct tl_sock *s = &row->s;
	bool group = d->ogroup != TL_OGROUP_CONN && d->ogroup != TL_OGROUP_LISTEN;
	char cells[TL_OC_COUNT][TL_CELL_MAX], a[TL_ADDR_MAX], b[64], c[64];
	float tx[TL_OPEN_HIST], rx[TL_OPEN_HIST], top;
	size_t n = 0, nh, i;

	tl_open_cells(row, d->ogroup, tl_open_snap_uptime(ui), cells);
	if (group) {
		snprintf(out[n++], LL, "  Grouped by      %s", tl_open_group_name(d->ogroup));
		if (d->ogroup == TL_OGROUP_PROCESS)
			snprintf(out[n++], LL, "  Process         pid %s  comm %s%s", cells[TL_OC_PID],
				 cells[TL_OC_COMM], s->owner_known ? "" : "  (owner unknown)");
		if (d->ogroup == TL_OGROUP_HOST) {
			tl_fmt_addr(a, sizeof(a), s->family, s->raddr);
			snprintf(out[n++], LL, "  Remote host     %s", a);
		}
	} else {
		snprintf(out[n++], LL, "  State           %s", cells[TL_OC_STATE]);
		snprintf(out[n++], LL, "  Process         pid %s  comm %s%s", cells[TL_OC_PID],
			 cells[TL_OC_COMM], s->owner_known ? "" : "  (owner unknown)");
	}
	snprintf(out[n++], LL, "  Unit            %s", cells[TL_OC_UNIT]);
	snprintf(out[n++], LL, "  Cgroup          %s%s", d->ocgroup[0] ? d->ocgroup : "- (unknown)",
		 d->ocgroup_cut ? "..." : "");
	if (group) {
		snprintf(out[n++], LL, "  Connections     %" PRIu32 " (%" PRIu32 " with a rate; new ones "
			 "have none until the next snapshot)", row->count, row->nrate);
	} else {
		snprintf(out[n++], LL, "  Direction       %s", s->state == TL_TCP_LISTEN ? "- (listening)" :
			 s->dir == TL_SOCK_DIR_ACTIVE ? "out (active: this host connected)" :
			 s->dir == TL_SOCK_DIR_PASSIVE ? "in (passive: accepted)" : "? (unknown)");
		snprintf(out[n++], LL, "  Family          IPv%u", s->family);
		tl_fmt_addr(a, sizeof(a), s->family, s->laddr);
		snprintf(out[n++], LL, "  Local address   %s port %u", a, s->lport);
		if (s->state != TL_TCP_LISTEN) {
			tl_fmt_addr(a, sizeof(a), s->family, s->raddr);
			snprintf(out[n++], LL, "  Remote address  %s port %u", a, s->rport);
		}
		snprintf(out[n++], LL, "  Age             %s%s", cells[TL_OC_AGE],
			 s->age_known ? "" : " (open before tcplens started)");
		snprintf(out[n++], LL, "  Socket cookie   %" PRIu64 "   inode %" PRIu64 "%s", s->cookie,
			 s->inode, s->inode ? "" : " (no file: not accepted yet, or orphaned)");
	}
	if (s->state == TL_TCP_LISTEN) {
		snprintf(out[n++], LL, "  Accept queue    %" PRIu32 " waiting, limit %" PRIu32 "%s",
			 s->accept_queue, s->accept_queue_max,
			 row->full ? "  FULL: new connections are dropped" : "");
		snprintf(out[n++], LL, "  Accepted        %s per second (since the last snapshot)",
			 cells[TL_OC_ACCEPTS]);
		snprintf(out[n++], LL, "  Queue drops     %" PRIu32 " (kernel count since the listener "
			 "was made)", s->drops);
		return n;
	}
	tl_fmt_bytes(b, sizeof(b), s->tx_bytes);
	snprintf(out[n++], LL, "  Sent            %s (%" PRIu64 " payload bytes)", b, s->tx_bytes);
	tl_fmt_bytes(b, sizeof(b), s->rx_bytes);
	snprintf(out[n++], LL, "  Received        %s (%" PRIu64 " payload bytes)", b, s->rx_bytes);
	snprintf(out[n++], LL, "  Rate            send %s  receive %s (at Enter)",
		 cells[TL_OC_TXRATE], cells[TL_OC_RXRATE]);
	snprintf(out[n++], LL, "  Retransmits     %" PRIu32 " segments", s->retrans);
	if (group)
		return n;
	tl_fmt_duration(c, sizeof(c), (uint64_t)s->srtt_us * 1000);
	snprintf(out[n++], LL, "  Smoothed RTT    %s (%" PRIu32 " us)", c, s->srtt_us);
	out[n++][0] = '\0';
	nh = ui->ov ? tl_open_view_history(ui->ov, s->cookie, tx, rx, TL_OPEN_HIST) : 0;
	snprintf(out[n++], LL, "#Rate history: %zu snapshots, oldest left%s", nh,
		 ui->ov && !nh ? " (closed since, or no interval measured yet)" : "");
	if (!nh)
		return n;
	for (top = 0, i = 0; i < nh; i++)
		if (tx[i] > top)
			top = tx[i];
	tl_fmt_rate(b, sizeof(b), (uint64_t)(top * 1000.0f));
	{
		char line[3 * TL_OPEN_HIST + 1];

		spark(line, sizeof(line), tx, nh, ui->utf8);
		snprintf(out[n++], LL, "  TX/s %s  max %s", line, b);
		for (top = 0, i = 0; i < nh; i++)
			if (rx[i] > top)
				top = rx[i];
		tl_fmt_rate(b, sizeof(b), (uint64_t)(top * 1000.0f));
		spark(line, sizeof(line), rx, nh, ui->utf8);
		snprintf(out[n++], LL, "  RX/s %s  max %s", line, b);
	}
	return n;
}

void tl_open_detail_draw(struct tl_ui *ui, struct tl_canvas *c, int y, int h)
{
	static char text[NL][LL];
	const char *lines[NL];
	size_t n, i;

	n = open_lines(ui, &ui->detail, text);
	for (i = 0; i < n; i++)
		lines[i] = text[i];
	tl_text_page_draw(ui, c, y, h,
			  ui->detail.orow.s.state == TL_TCP_LISTEN ? "Listener detail: Esc to go back" :
			  ui->detail.ogroup == TL_OGROUP_CONN ? "Connection detail: Esc to go back" :
			  "Open group detail: Esc to go back", lines, n);
}

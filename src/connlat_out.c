// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * tcpconnlat's columns, as in bcc's tools/tcpconnlat.py. Only answered
 * connects by default, like tcpconnlat; -x adds RESULT and SYN_RTX and
 * shows the connects that failed too. Records are appended piece by piece
 * (no printf): this runs once per event.
 */
#include "format.h"
#include "line.h"
#include "printer_impl.h"

void tl_connlat_header(struct tl_printer *p)
{
	struct tl_line l;

	tl_line_init(&l);
	/* tcpconnlat's "%-9s" with no separator; "%-8s " reads the same and
	 * keeps a space when the value outgrows the column */
	if (p->time_rel)
		tl_line_printf(&l, "%-8s ", "TIME(s)");
	tl_line_printf(&l, "%-6s %-12s %-2s %-16s ", "PID", "COMM", "IP", "SADDR");
	if (p->show_lport)
		tl_line_printf(&l, "%-6s ", "LPORT");
	tl_line_printf(&l, "%-16s %-5s ", "DADDR", "DPORT");
	if (p->extended)
		tl_line_printf(&l, "%-9s %-11s %s", "LAT(ms)", "RESULT", "SYN_RTX");
	else
		tl_line_printf(&l, "%s", "LAT(ms)");
	tl_line_write(&l, p->out);
}

/* "%-Nu " */
static void port_column(struct tl_line *l, uint16_t port, unsigned int width)
{
	size_t start = l->len;

	tl_line_u64(l, port);
	tl_line_pad_from(l, start, width);
	tl_line_char(l, ' ');
}

/* "%-Ns " of an address */
static void addr_column(struct tl_line *l, const struct tl_record *r, const uint8_t addr[16])
{
	size_t start = l->len;

	tl_line_addr(l, r->family, addr);
	tl_line_pad_from(l, start, 16);
	tl_line_char(l, ' ');
}

/* -x: "%-9s %-11s %u" of latency, result, SYN retransmits */
static void extended_tail(struct tl_line *l, const struct tl_record *r)
{
	size_t start = l->len;

	tl_line_fixed(l, r->span_ns, 1000000ULL, 2);
	tl_line_pad_from(l, start, 9);
	tl_line_char(l, ' ');
	start = l->len;
	if (r->result == TL_REC_ERROR) {
		tl_line_lit(l, "error(");
		tl_line_u64(l, tl_err_abs(r->err));
		tl_line_char(l, ')');
	} else {
		tl_line_str(l, tl_fmt_result(r->result));
	}
	tl_line_pad_from(l, start, 11);
	tl_line_char(l, ' ');
	tl_line_u64(l, r->retrans);
}

void tl_connlat_record(struct tl_printer *p, const struct tl_record *r)
{
	struct tl_line l;
	size_t start;

	if (r->kind != TL_REC_CONNECT)
		return;
	if (!p->extended && r->result != TL_REC_OK)
		return;
	if (r->span_ns < p->min_lat_ns)
		return;
	tl_line_init(&l);
	if (p->time_rel) {
		start = l.len;
		tl_line_fixed(&l, tl_printer_rel_ns(p, r->ts_ns), 1000000000ULL, 3);
		tl_line_pad_from(&l, start, 8);
		tl_line_char(&l, ' ');
	}
	start = l.len;
	tl_line_pid(&l, r);
	tl_line_pad_from(&l, start, 6);
	tl_line_char(&l, ' ');
	tl_line_comm_column(&l, r, 12);
	tl_line_char(&l, ' ');
	start = l.len;
	tl_line_u64(&l, r->family);
	tl_line_pad_from(&l, start, 2);
	tl_line_char(&l, ' ');
	addr_column(&l, r, r->laddr);
	if (p->show_lport)
		port_column(&l, r->lport, 6);
	addr_column(&l, r, r->raddr);
	port_column(&l, r->rport, 5);
	if (p->extended)
		extended_tail(&l, r);
	else
		tl_line_fixed(&l, r->span_ns, 1000000ULL, 2);
	tl_line_write(&l, p->out);
}

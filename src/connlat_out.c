// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * tcpconnlat's columns, as in bcc's tools/tcpconnlat.py. Only answered
 * connects by default, like tcpconnlat; -x adds RESULT and SYN_RTX and
 * shows the connects that failed too.
 */
#include "format.h"
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

void tl_connlat_record(struct tl_printer *p, const struct tl_record *r)
{
	char pid[16], comm[TL_COMM_MAX], saddr[TL_ADDR_MAX], daddr[TL_ADDR_MAX], lat[32],
		rel[32], result[32];
	struct tl_line l;

	if (r->kind != TL_REC_CONNECT)
		return;
	if (!p->extended && r->result != TL_REC_OK)
		return;
	if (r->span_ns < p->min_lat_ns)
		return;
	tl_fmt_pid(pid, sizeof(pid), r);
	tl_fmt_comm(comm, sizeof(comm), r);
	tl_fmt_addr(saddr, sizeof(saddr), r->family, r->laddr);
	tl_fmt_addr(daddr, sizeof(daddr), r->family, r->raddr);
	tl_printer_fixed(lat, sizeof(lat), r->span_ns, 1000000ULL, 2);

	tl_line_init(&l);
	if (p->time_rel) {
		tl_printer_fixed(rel, sizeof(rel), tl_printer_rel_ns(p, r->ts_ns), 1000000000ULL, 3);
		tl_line_printf(&l, "%-8s ", rel);
	}
	tl_line_printf(&l, "%-6s ", pid);
	tl_line_column(&l, comm, 12);
	tl_line_printf(&l, " %-2u %-16s ", r->family, saddr);
	if (p->show_lport)
		tl_line_printf(&l, "%-6u ", r->lport);
	tl_line_printf(&l, "%-16s %-5u ", daddr, r->rport);
	if (p->extended) {
		if (r->result == TL_REC_ERROR)
			snprintf(result, sizeof(result), "error(%d)", r->err < 0 ? -r->err : r->err);
		else
			snprintf(result, sizeof(result), "%s", tl_fmt_result(r->result));
		tl_line_printf(&l, "%-9s %-11s %u", lat, result, r->retrans);
	} else {
		tl_line_printf(&l, "%s", lat);
	}
	tl_line_write(&l, p->out);
}

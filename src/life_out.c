// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * tcplife's columns: the same header, widths and number formats as bcc's
 * tools/tcplife.py, so scripts written against it keep working. Differences
 * by design: the owner may be unknown ("-", "[unknown]") instead of wrong,
 * and the process name is escaped.
 */
#include <string.h>
#include <time.h>

#include "format.h"
#include "printer_impl.h"

#define KIB 1024

/* CSV has no quoting in tcplife; a comma in a name would shift the columns. */
static void csv_safe(char *dst, size_t len, const char *src)
{
	size_t o = 0;

	for (; *src && o + 5 < len; src++) {
		if (*src == ',') {
			memcpy(dst + o, "\\x2c", 4);
			o += 4;
		} else {
			dst[o++] = *src;
		}
	}
	dst[o] = '\0';
}

static void time_prefix(struct tl_printer *p, struct tl_line *l, const struct tl_record *r)
{
	char tbuf[32];

	if (p->time_hms) {
		time_t secs = (time_t)(r->ts_ns / 1000000000ULL);
		struct tm tm;

		if (!localtime_r(&secs, &tm) || !strftime(tbuf, sizeof(tbuf), "%H:%M:%S", &tm))
			strcpy(tbuf, "??:??:??");
		tl_line_printf(l, p->csv ? "%s," : "%-8s ", tbuf);
	}
	if (p->time_rel) {
		tl_printer_fixed(tbuf, sizeof(tbuf), tl_printer_rel_ns(p, r->ts_ns), 1000000000ULL, 6);
		tl_line_printf(l, p->csv ? "%s," : "%-9s ", tbuf);
	}
}

void tl_life_header(struct tl_printer *p)
{
	struct tl_line l;

	tl_line_init(&l);
	if (p->time_hms)
		tl_line_printf(&l, p->csv ? "%s," : "%-8s ", "TIME");
	if (p->time_rel)
		tl_line_printf(&l, p->csv ? "%s," : "%-9s ", "TIME(s)");
	if (p->csv)
		tl_line_printf(&l, "PID,COMM,IP,LADDR,LPORT,RADDR,RPORT,TX_KB,RX_KB,MS");
	else if (p->wide)
		tl_line_printf(&l, "%-5s %-16s %-2s %-26s %-5s %-26s %-5s %6s %6s %s", "PID", "COMM",
			       "IP", "LADDR", "LPORT", "RADDR", "RPORT", "TX_KB", "RX_KB", "MS");
	else
		tl_line_printf(&l, "%-5s %-10s %-15s %-5s %-15s %-5s %5s %5s %s", "PID", "COMM",
			       "LADDR", "LPORT", "RADDR", "RPORT", "TX_KB", "RX_KB", "MS");
	tl_line_write(&l, p->out);
}

void tl_life_record(struct tl_printer *p, const struct tl_record *r)
{
	char pid[16], comm[TL_COMM_MAX], csv_comm[4 * TL_COMM_MAX], laddr[TL_ADDR_MAX],
		raddr[TL_ADDR_MAX], ms[32];
	unsigned long long tx = r->tx_bytes / KIB, rx = r->rx_bytes / KIB;
	struct tl_line l;

	if (r->kind != TL_REC_SESSION)
		return;
	tl_fmt_pid(pid, sizeof(pid), r);
	tl_fmt_comm(comm, sizeof(comm), r);
	tl_fmt_addr(laddr, sizeof(laddr), r->family, r->laddr);
	tl_fmt_addr(raddr, sizeof(raddr), r->family, r->raddr);
	tl_printer_fixed(ms, sizeof(ms), r->span_ns, 1000000ULL, 2);

	tl_line_init(&l);
	time_prefix(p, &l, r);
	if (p->csv) {
		csv_safe(csv_comm, sizeof(csv_comm), comm);
		tl_line_printf(&l, "%s,%s,%u,%s,%u,%s,%u,%llu,%llu,%s", pid, csv_comm, r->family,
			       laddr, r->lport, raddr, r->rport, tx, rx, ms);
	} else if (p->wide) {
		tl_line_printf(&l, "%-5s ", pid);
		tl_line_column(&l, comm, 16);
		tl_line_printf(&l, " %-2u %-26s %-5u %-26s %-5u %6llu %6llu %s", r->family, laddr,
			       r->lport, raddr, r->rport, tx, rx, ms);
	} else {
		tl_line_printf(&l, "%-5s ", pid);
		tl_line_column(&l, comm, 10);
		tl_line_printf(&l, " %-15s %-5u %-15s %-5u %5llu %5llu %s", laddr, r->lport, raddr,
			       r->rport, tx, rx, ms);
	}
	tl_line_write(&l, p->out);
}

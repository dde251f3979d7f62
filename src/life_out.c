// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * tcplife's columns: the same header, widths and number formats as bcc's
 * tools/tcplife.py, so scripts written against it keep working. Differences
 * by design: the owner may be unknown ("-", "[unknown]") instead of wrong,
 * and the process name is escaped. Records are appended piece by piece
 * (no printf): this runs once per event.
 */
#include <string.h>
#include <time.h>

#include "format.h"
#include "line.h"
#include "printer_impl.h"

#define KIB 1024

/*
 * The process name is the one field that may hold a comma or a quote:
 * quoted as RFC 4180 says (the field in double quotes, a quote doubled), so
 * a CSV reader gets the name back. Control bytes are escaped before, so no
 * line break can reach the output.
 */
static void csv_comm(struct tl_line *l, const struct tl_record *r)
{
	char comm[TL_COMM_MAX];
	size_t i, n = tl_fmt_comm(comm, sizeof(comm), r);

	if (!memchr(comm, ',', n) && !memchr(comm, '"', n)) {
		tl_line_mem(l, comm, n);
		return;
	}
	tl_line_char(l, '"');
	for (i = 0; i < n; i++) {
		if (comm[i] == '"')
			tl_line_char(l, '"');
		tl_line_char(l, comm[i]);
	}
	tl_line_char(l, '"');
}

/* "%-Ns " or, for CSV, "%s," */
static void column_end(struct tl_printer *p, struct tl_line *l, size_t start, unsigned int width)
{
	if (p->csv) {
		tl_line_char(l, ',');
		return;
	}
	tl_line_pad_from(l, start, width);
	tl_line_char(l, ' ');
}

/* Local time changes once a second, so localtime_r runs once a second. */
static const char *hms(struct tl_printer *p, uint64_t ts_ns)
{
	time_t secs = (time_t)(ts_ns / 1000000000ULL);
	struct tm tm;

	if (p->have_hms && p->hms_secs == (int64_t)secs)
		return p->hms;
	if (!localtime_r(&secs, &tm) || !strftime(p->hms, sizeof(p->hms), "%H:%M:%S", &tm))
		strcpy(p->hms, "??:??:??");
	p->have_hms = true;
	p->hms_secs = (int64_t)secs;
	return p->hms;
}

static void time_prefix(struct tl_printer *p, struct tl_line *l, const struct tl_record *r)
{
	size_t start;

	if (p->time_hms) {
		start = l->len;
		tl_line_str(l, hms(p, r->ts_ns));
		column_end(p, l, start, 8);
	}
	if (p->time_rel) {
		start = l->len;
		tl_line_fixed(l, tl_printer_rel_ns(p, r->ts_ns), 1000000000ULL, 6);
		column_end(p, l, start, 9);
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

static void csv_record(struct tl_line *l, const struct tl_record *r)
{
	tl_line_pid(l, r);
	tl_line_char(l, ',');
	csv_comm(l, r);
	tl_line_char(l, ',');
	tl_line_u64(l, r->family);
	tl_line_char(l, ',');
	tl_line_addr(l, r->family, r->laddr);
	tl_line_char(l, ',');
	tl_line_u64(l, r->lport);
	tl_line_char(l, ',');
	tl_line_addr(l, r->family, r->raddr);
	tl_line_char(l, ',');
	tl_line_u64(l, r->rport);
	tl_line_char(l, ',');
	tl_line_u64(l, r->tx_bytes / KIB);
	tl_line_char(l, ',');
	tl_line_u64(l, r->rx_bytes / KIB);
	tl_line_char(l, ',');
	tl_line_fixed(l, r->span_ns, 1000000ULL, 2);
}

/* wide (-w): " %-2u %-26s %-5u %-26s %-5u %6llu %6llu %s"; else no IP column,
 * addresses in 15 and sizes in 5 */
static void column_record(struct tl_line *l, const struct tl_record *r, bool wide)
{
	unsigned int addr_w = wide ? 26 : 15, kb_w = wide ? 6 : 5;
	size_t start = l->len;

	tl_line_pid(l, r);
	tl_line_pad_from(l, start, 5);
	tl_line_char(l, ' ');
	tl_line_comm_column(l, r, wide ? 16 : 10);
	tl_line_char(l, ' ');
	if (wide) {
		start = l->len;
		tl_line_u64(l, r->family);
		tl_line_pad_from(l, start, 2);
		tl_line_char(l, ' ');
	}
	start = l->len;
	tl_line_addr(l, r->family, r->laddr);
	tl_line_pad_from(l, start, addr_w);
	tl_line_char(l, ' ');
	start = l->len;
	tl_line_u64(l, r->lport);
	tl_line_pad_from(l, start, 5);
	tl_line_char(l, ' ');
	start = l->len;
	tl_line_addr(l, r->family, r->raddr);
	tl_line_pad_from(l, start, addr_w);
	tl_line_char(l, ' ');
	start = l->len;
	tl_line_u64(l, r->rport);
	tl_line_pad_from(l, start, 5);
	tl_line_char(l, ' ');
	tl_line_u64_right(l, r->tx_bytes / KIB, kb_w);
	tl_line_char(l, ' ');
	tl_line_u64_right(l, r->rx_bytes / KIB, kb_w);
	tl_line_char(l, ' ');
	tl_line_fixed(l, r->span_ns, 1000000ULL, 2);
}

void tl_life_record(struct tl_printer *p, const struct tl_record *r)
{
	struct tl_line l;

	if (r->kind != TL_REC_SESSION)
		return;
	tl_line_init(&l);
	time_prefix(p, &l, r);
	if (p->csv)
		csv_record(&l, r);
	else
		column_record(&l, r, p->wide);
	tl_line_write(&l, p->out);
}

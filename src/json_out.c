// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * NDJSON, one object per line, fields in the documented order and always
 * present. Numbers are formatted with integer arithmetic so that neither
 * the locale nor float rounding can change them.
 */
#include "format.h"
#include "printer_impl.h"

/* 16 bytes, each at worst \u00XX, plus quotes */
#define JSON_COMM_MAX (TL_REC_COMM_LEN * 6 + 3)

static void owner(struct tl_line *l, const struct tl_record *r)
{
	char comm[JSON_COMM_MAX];

	if (!r->owner_known) {
		tl_line_printf(l, "\"pid\":null,\"comm\":null,");
		return;
	}
	tl_fmt_json_string(comm, sizeof(comm), r->comm, sizeof(r->comm));
	tl_line_printf(l, "\"pid\":%u,\"comm\":%s,", r->pid, comm);
}

void tl_json_record(struct tl_printer *p, const struct tl_record *r)
{
	char laddr[TL_ADDR_MAX], raddr[TL_ADDR_MAX], span[32];
	unsigned long long ts_us = r->ts_ns / 1000;
	struct tl_line l;

	if (r->kind != TL_REC_SESSION && r->kind != TL_REC_CONNECT)
		return;
	/* inet_ntop output: digits, hex, '.', ':' only; safe inside quotes */
	tl_fmt_addr(laddr, sizeof(laddr), r->family, r->laddr);
	tl_fmt_addr(raddr, sizeof(raddr), r->family, r->raddr);
	tl_printer_fixed(span, sizeof(span), r->span_ns, 1000000ULL, 3);

	tl_line_init(&l);
	tl_line_printf(&l, "{\"type\":\"%s\",\"ts\":%llu.%06llu,",
		       r->kind == TL_REC_SESSION ? "session" : "connect", ts_us / 1000000,
		       ts_us % 1000000);
	owner(&l, r);
	if (r->kind == TL_REC_SESSION)
		tl_line_printf(&l,
			       "\"family\":%u,\"laddr\":\"%s\",\"lport\":%u,\"raddr\":\"%s\","
			       "\"rport\":%u,\"dir\":\"%s\",\"tx_bytes\":%llu,\"rx_bytes\":%llu,"
			       "\"duration_ms\":%s,\"retrans\":%u,\"srtt_us\":%u}",
			       r->family, laddr, r->lport, raddr, r->rport, tl_fmt_dir(r->dir),
			       (unsigned long long)r->tx_bytes, (unsigned long long)r->rx_bytes,
			       span, r->retrans, r->srtt_us);
	else
		tl_line_printf(&l,
			       "\"family\":%u,\"saddr\":\"%s\",\"lport\":%u,\"daddr\":\"%s\","
			       "\"dport\":%u,\"latency_ms\":%s,\"result\":\"%s\",\"errno\":%d,"
			       "\"syn_retrans\":%u}",
			       r->family, laddr, r->lport, raddr, r->rport, span,
			       tl_fmt_result(r->result), r->err < 0 ? -r->err : r->err, r->retrans);
	tl_line_write(&l, p->out);
}

void tl_json_totals(struct tl_printer *p, const struct tl_totals *t)
{
	struct tl_line l;

	tl_line_init(&l);
	tl_line_printf(&l,
		       "{\"type\":\"stats\",\"sessions\":%llu,\"connects\":%llu,\"dropped\":%llu,"
		       "\"dropped_ringbuf\":%llu,\"dropped_map\":%llu,\"dropped_missed\":%llu}",
		       (unsigned long long)t->sessions, (unsigned long long)t->connects,
		       (unsigned long long)tl_drops_total(&t->drops),
		       (unsigned long long)t->drops.ringbuf, (unsigned long long)t->drops.map,
		       (unsigned long long)t->drops.missed);
	tl_line_write(&l, p->out);
}

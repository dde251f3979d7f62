// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * NDJSON, one object per line, fields in the documented order and always
 * present. Numbers are formatted with integer arithmetic so that neither
 * the locale nor float rounding can change them. Records are appended
 * piece by piece rather than printf'd: this runs once per event.
 */
#include <stdbool.h>
#include <string.h>

#include "format.h"
#include "line.h"
#include "printer_impl.h"

static void owner(struct tl_line *l, const struct tl_record *r)
{
	if (!r->owner_known) {
		tl_line_lit(l, "\"pid\":null,\"comm\":null,");
		return;
	}
	tl_line_lit(l, "\"pid\":");
	tl_line_u64(l, r->pid);
	tl_line_lit(l, ",\"comm\":");
	tl_line_json_string(l, r->comm, sizeof(r->comm));
	tl_line_char(l, ',');
}

/* inet_ntop-style text: digits, hex, '.', ':' only; safe inside quotes */
static void quoted_addr(struct tl_line *l, const struct tl_record *r, const uint8_t addr[16])
{
	tl_line_char(l, '"');
	tl_line_addr(l, r->family, addr);
	tl_line_char(l, '"');
}

static void cgroup(struct tl_line *l, struct tl_printer *p, const struct tl_record *r)
{
	const char *path = NULL;

	if (r->owner_known && r->cgroup_id && p->cgroup_path)
		path = p->cgroup_path(p->cgroup_ctx, r->cgroup_id);
	tl_line_lit(l, ",\"cgroup\":");
	if (path)
		tl_line_json_string(l, path, strlen(path));
	else
		tl_line_lit(l, "null");
}

static void boolean(struct tl_line *l, bool v)
{
	if (v)
		tl_line_lit(l, "true");
	else
		tl_line_lit(l, "false");
}

void tl_json_record(struct tl_printer *p, const struct tl_record *r)
{
	uint64_t ts_us = r->ts_ns / 1000;
	struct tl_line l;

	if (r->kind != TL_REC_SESSION && r->kind != TL_REC_CONNECT)
		return;
	tl_line_init(&l);
	if (r->kind == TL_REC_SESSION)
		tl_line_lit(&l, "{\"type\":\"session\",\"ts\":");
	else
		tl_line_lit(&l, "{\"type\":\"connect\",\"ts\":");
	tl_line_u64(&l, ts_us / 1000000);
	tl_line_char(&l, '.');
	tl_line_u64_zero(&l, ts_us % 1000000, 6);
	tl_line_char(&l, ',');
	owner(&l, r);
	tl_line_lit(&l, "\"family\":");
	tl_line_u64(&l, r->family);
	if (r->kind == TL_REC_SESSION) {
		tl_line_lit(&l, ",\"laddr\":");
		quoted_addr(&l, r, r->laddr);
		tl_line_lit(&l, ",\"lport\":");
		tl_line_u64(&l, r->lport);
		tl_line_lit(&l, ",\"raddr\":");
		quoted_addr(&l, r, r->raddr);
		tl_line_lit(&l, ",\"rport\":");
		tl_line_u64(&l, r->rport);
		tl_line_lit(&l, ",\"dir\":\"");
		tl_line_str(&l, tl_fmt_dir(r->dir));
		tl_line_lit(&l, "\",\"tx_bytes\":");
		tl_line_u64(&l, r->tx_bytes);
		tl_line_lit(&l, ",\"rx_bytes\":");
		tl_line_u64(&l, r->rx_bytes);
		tl_line_lit(&l, ",\"duration_ms\":");
		tl_line_fixed(&l, r->span_ns, 1000000ULL, 3);
		tl_line_lit(&l, ",\"retrans\":");
		tl_line_u64(&l, r->retrans);
		tl_line_lit(&l, ",\"srtt_us\":");
		tl_line_u64(&l, r->srtt_us);
		cgroup(&l, p, r);
		tl_line_lit(&l, ",\"reset\":");
		boolean(&l, r->reset);
		tl_line_lit(&l, ",\"opened_before_start\":");
		boolean(&l, r->adopted);
	} else {
		tl_line_lit(&l, ",\"saddr\":");
		quoted_addr(&l, r, r->laddr);
		tl_line_lit(&l, ",\"lport\":");
		tl_line_u64(&l, r->lport);
		tl_line_lit(&l, ",\"daddr\":");
		quoted_addr(&l, r, r->raddr);
		tl_line_lit(&l, ",\"dport\":");
		tl_line_u64(&l, r->rport);
		tl_line_lit(&l, ",\"latency_ms\":");
		tl_line_fixed(&l, r->span_ns, 1000000ULL, 3);
		tl_line_lit(&l, ",\"result\":\"");
		tl_line_str(&l, tl_fmt_result(r->result));
		tl_line_lit(&l, "\",\"errno\":");
		tl_line_u64(&l, tl_err_abs(r->err));
		tl_line_lit(&l, ",\"syn_retrans\":");
		tl_line_u64(&l, r->retrans);
		cgroup(&l, p, r);
	}
	tl_line_char(&l, '}');
	tl_line_write(&l, p->out);
}

void tl_json_totals(struct tl_printer *p, const struct tl_totals *t)
{
	struct tl_line l;

	tl_line_init(&l);
	tl_line_printf(&l,
		       "{\"type\":\"stats\",\"sessions\":%llu,\"connects\":%llu,\"dropped\":%llu,"
		       "\"dropped_ringbuf\":%llu,\"dropped_map\":%llu,\"dropped_missed\":%llu,"
		       "\"dropped_sessions_ringbuf\":%llu,\"dropped_connects_ringbuf\":%llu,"
		       "\"dropped_sessions_storage\":%llu,\"dropped_connects_storage\":%llu,"
		       "\"dropped_sessions_storage_max\":%llu,\"missed_state_changes\":%llu,"
		       "\"dropped_connects_storage_max\":%llu,\"dropped_output\":%llu}",
		       (unsigned long long)t->sessions, (unsigned long long)t->connects,
		       (unsigned long long)tl_drops_total(&t->drops),
		       (unsigned long long)t->drops.ringbuf, (unsigned long long)t->drops.map,
		       (unsigned long long)t->drops.missed,
		       (unsigned long long)t->drops.ringbuf_sessions,
		       (unsigned long long)t->drops.ringbuf_connects,
		       (unsigned long long)t->drops.map_sessions,
		       (unsigned long long)t->drops.map_connects,
		       (unsigned long long)t->drops.map_sessions_max,
		       (unsigned long long)t->drops.missed,
		       (unsigned long long)t->drops.map_connects_max,
		       (unsigned long long)t->dropped_output);
	tl_line_write(&l, p->out);
}

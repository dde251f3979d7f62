// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Numbers go through the line builder's integer formatting, so neither the
 * locale nor float rounding can change them; text from the kernel or from
 * /proc is escaped on the way in.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "open_out.h"
#include "line.h"

#define KIB 1024ULL
#define NS_PER_S 1000000000ULL
#define NS_PER_MS 1000000ULL

struct tl_open_printer {
	FILE *out;
	bool json;
	bool rates;		/* -i: rate columns */
	bool listeners;		/* -l: QUEUE column */
	tl_cgroup_path_fn cgroup_path;
	void *ctx;
	uint64_t ts_ns;		/* of the snapshot being printed */
	uint64_t printed;	/* sockets printed since tl_open_printer_begin */
	uint64_t snapshots;
};

static const char *const state_names[] = {
	[TL_TCP_ESTABLISHED] = "ESTABLISHED",
	[TL_TCP_SYN_SENT] = "SYN_SENT",
	[TL_TCP_SYN_RECV] = "SYN_RECV",
	[TL_TCP_FIN_WAIT1] = "FIN_WAIT1",
	[TL_TCP_FIN_WAIT2] = "FIN_WAIT2",
	[TL_TCP_TIME_WAIT] = "TIME_WAIT",
	[TL_TCP_CLOSE] = "CLOSE",
	[TL_TCP_CLOSE_WAIT] = "CLOSE_WAIT",
	[TL_TCP_LAST_ACK] = "LAST_ACK",
	[TL_TCP_LISTEN] = "LISTEN",
	[TL_TCP_CLOSING] = "CLOSING",
	[TL_TCP_NEW_SYN_RECV] = "NEW_SYN_RECV",
};

const char *tl_open_state_name(uint8_t state)
{
	if (state < sizeof(state_names) / sizeof(state_names[0]) && state_names[state])
		return state_names[state];
	return "UNKNOWN";
}

struct tl_open_printer *tl_open_printer_new(const struct tl_options *opt, FILE *out,
					    tl_cgroup_path_fn cgroup_path, void *ctx)
{
	struct tl_open_printer *p;

	if (!opt || !out) {
		errno = EINVAL;
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->out = out;
	p->json = opt->json;
	p->rates = opt->interval_s > 0;
	p->listeners = opt->listeners;
	p->cgroup_path = cgroup_path;
	p->ctx = ctx;
	return p;
}

void tl_open_printer_free(struct tl_open_printer *p)
{
	free(p);
}

static void text_header(struct tl_open_printer *p)
{
	struct tl_line l;

	tl_line_init(&l);
	tl_line_printf(&l, "%-7s %-15s %-11s %-15s %-5s %-15s %-5s %8s %8s %8s %8s", "PID", "COMM",
		       "STATE", "LADDR", "LPORT", "RADDR", "RPORT", "TX_KB", "RX_KB", "AGE_S",
		       "RTT_MS");
	if (p->rates)
		tl_line_printf(&l, " %9s %9s", "TX_KB/s", "RX_KB/s");
	if (p->listeners)
		tl_line_printf(&l, " %s", "QUEUE");
	tl_line_write(&l, p->out);
}

void tl_open_printer_begin(struct tl_open_printer *p, uint64_t ts_ns)
{
	p->ts_ns = ts_ns;
	p->printed = 0;
	if (!p->json) {
		if (p->snapshots) {
			struct tl_line l;

			tl_line_init(&l);
			tl_line_write(&l, p->out);
		}
		text_header(p);
	}
	p->snapshots++;
}

/* "-" right-aligned in width */
static void dash_right(struct tl_line *l, unsigned int width)
{
	size_t start = l->len;

	tl_line_pad_from(l, start, width - 1);
	tl_line_char(l, '-');
}

/* tl_line_fixed's text right-aligned in width */
static void fixed_right(struct tl_line *l, uint64_t value, uint64_t unit, unsigned int decimals,
			unsigned int width)
{
	char tmp[64];
	size_t n = tl_fixed_text(tmp, sizeof(tmp), value, unit, decimals), start = l->len;

	if (n < width)
		tl_line_pad_from(l, start, width - (unsigned int)n);
	tl_line_mem(l, tmp, n);
}

static void text_sock(struct tl_open_printer *p, struct tl_line *l, const struct tl_sock *s,
		      const struct tl_open_rate *rate)
{
	bool listen = s->state == TL_TCP_LISTEN;
	char comm[TL_COMM_MAX];
	size_t start;

	start = l->len;
	if (s->owner_known)
		tl_line_u64(l, s->pid);
	else
		tl_line_lit(l, TL_UNKNOWN_PID);
	tl_line_pad_from(l, start, 7);
	tl_line_char(l, ' ');
	if (s->owner_known)
		tl_fmt_escape(comm, sizeof(comm), s->comm, sizeof(s->comm));
	else
		memcpy(comm, TL_UNKNOWN_COMM, sizeof(TL_UNKNOWN_COMM));
	tl_line_column(l, comm, 15);
	tl_line_char(l, ' ');
	start = l->len;
	tl_line_str(l, tl_open_state_name(s->state));
	tl_line_pad_from(l, start, 11);
	tl_line_char(l, ' ');
	start = l->len;
	tl_line_addr(l, s->family, s->laddr);
	tl_line_pad_from(l, start, 15);
	tl_line_char(l, ' ');
	start = l->len;
	tl_line_u64(l, s->lport);
	tl_line_pad_from(l, start, 5);
	tl_line_char(l, ' ');
	start = l->len;
	if (listen)
		tl_line_char(l, '*');
	else
		tl_line_addr(l, s->family, s->raddr);
	tl_line_pad_from(l, start, 15);
	tl_line_char(l, ' ');
	start = l->len;
	if (listen)
		tl_line_char(l, '*');
	else
		tl_line_u64(l, s->rport);
	tl_line_pad_from(l, start, 5);
	tl_line_char(l, ' ');
	tl_line_u64_right(l, s->tx_bytes / KIB, 8);
	tl_line_char(l, ' ');
	tl_line_u64_right(l, s->rx_bytes / KIB, 8);
	tl_line_char(l, ' ');
	if (s->age_known)
		fixed_right(l, s->age_ns, NS_PER_S, 1, 8);
	else
		dash_right(l, 8);
	tl_line_char(l, ' ');
	fixed_right(l, s->srtt_us, 1000, 3, 8);
	if (p->rates) {
		tl_line_char(l, ' ');
		if (rate && rate->valid) {
			fixed_right(l, rate->tx_mbps, KIB * 1000, 1, 9);
			tl_line_char(l, ' ');
			fixed_right(l, rate->rx_mbps, KIB * 1000, 1, 9);
		} else {
			dash_right(l, 9);
			tl_line_char(l, ' ');
			dash_right(l, 9);
		}
	}
	if (p->listeners) {
		tl_line_char(l, ' ');
		if (listen) {
			tl_line_u64(l, s->accept_queue);
			tl_line_char(l, '/');
			tl_line_u64(l, s->accept_queue_max);
		} else {
			tl_line_char(l, '-');
		}
	}
}

static void json_ts(struct tl_line *l, uint64_t ts_ns)
{
	uint64_t us = ts_ns / 1000;

	tl_line_u64(l, us / 1000000);
	tl_line_char(l, '.');
	tl_line_u64_zero(l, us % 1000000, 6);
}

/* inet_ntop-style text: digits, hex, '.', ':' only; safe inside quotes */
static void json_addr(struct tl_line *l, uint8_t family, const uint8_t addr[16])
{
	tl_line_char(l, '"');
	tl_line_addr(l, family, addr);
	tl_line_char(l, '"');
}

static void json_cgroup(struct tl_open_printer *p, struct tl_line *l, const struct tl_sock *s,
			const char *adopt_cgroup)
{
	const char *path = NULL;
	char tmp[TL_OPEN_CGROUP_JSON_MAX];
	size_t n;

	if (s->cgroup_id)
		path = p->cgroup_path ? p->cgroup_path(p->ctx, s->cgroup_id) : NULL;
	else
		path = adopt_cgroup;
	if (!path) {
		tl_line_lit(l, "null");
		return;
	}
	n = tl_fmt_json_string(tmp, sizeof(tmp), path, sizeof(tmp));
	tl_line_mem(l, tmp, n);
}

static void json_sock(struct tl_open_printer *p, struct tl_line *l, const struct tl_sock *s,
		      const char *adopt_cgroup, const struct tl_open_rate *rate)
{
	bool have_rate = rate && rate->valid;

	tl_line_lit(l, "{\"type\":\"open\",\"ts\":");
	json_ts(l, p->ts_ns);
	if (s->owner_known) {
		tl_line_lit(l, ",\"pid\":");
		tl_line_u64(l, s->pid);
		tl_line_lit(l, ",\"comm\":");
		tl_line_json_string(l, s->comm, sizeof(s->comm));
	} else {
		tl_line_lit(l, ",\"pid\":null,\"comm\":null");
	}
	tl_line_lit(l, ",\"cgroup\":");
	json_cgroup(p, l, s, adopt_cgroup);
	tl_line_lit(l, ",\"family\":");
	tl_line_u64(l, s->family);
	tl_line_lit(l, ",\"laddr\":");
	json_addr(l, s->family, s->laddr);
	tl_line_lit(l, ",\"lport\":");
	tl_line_u64(l, s->lport);
	tl_line_lit(l, ",\"raddr\":");
	json_addr(l, s->family, s->raddr);
	tl_line_lit(l, ",\"rport\":");
	tl_line_u64(l, s->rport);
	tl_line_lit(l, ",\"dir\":\"");
	tl_line_str(l, tl_fmt_dir(s->dir));
	tl_line_lit(l, "\",\"state\":\"");
	tl_line_str(l, tl_open_state_name(s->state));
	tl_line_lit(l, "\",\"cookie\":");
	tl_line_u64(l, s->cookie);
	tl_line_lit(l, ",\"inode\":");
	tl_line_u64(l, s->inode);
	tl_line_lit(l, ",\"tx_bytes\":");
	tl_line_u64(l, s->tx_bytes);
	tl_line_lit(l, ",\"rx_bytes\":");
	tl_line_u64(l, s->rx_bytes);
	tl_line_lit(l, ",\"srtt_us\":");
	tl_line_u64(l, s->srtt_us);
	tl_line_lit(l, ",\"retrans\":");
	tl_line_u64(l, s->retrans);
	tl_line_lit(l, ",\"age_ms\":");
	if (s->age_known)
		tl_line_fixed(l, s->age_ns, NS_PER_MS, 3);
	else
		tl_line_lit(l, "null");
	tl_line_lit(l, ",\"tx_bps\":");
	if (have_rate)
		tl_line_fixed(l, rate->tx_mbps, 1000, 1);
	else
		tl_line_lit(l, "null");
	tl_line_lit(l, ",\"rx_bps\":");
	if (have_rate)
		tl_line_fixed(l, rate->rx_mbps, 1000, 1);
	else
		tl_line_lit(l, "null");
	if (s->state == TL_TCP_LISTEN) {
		tl_line_lit(l, ",\"accept_queue\":");
		tl_line_u64(l, s->accept_queue);
		tl_line_lit(l, ",\"accept_queue_max\":");
		tl_line_u64(l, s->accept_queue_max);
	}
	tl_line_char(l, '}');
}

void tl_open_printer_sock(struct tl_open_printer *p, const struct tl_sock *s,
			  const char *adopt_cgroup, const struct tl_open_rate *rate)
{
	struct tl_line l;

	tl_line_init(&l);
	if (p->json)
		json_sock(p, &l, s, adopt_cgroup, rate);
	else
		text_sock(p, &l, s, rate);
	tl_line_write(&l, p->out);
	p->printed++;
}

void tl_open_printer_end(struct tl_open_printer *p)
{
	struct tl_line l;

	if (!p->json)
		return;
	tl_line_init(&l);
	tl_line_lit(&l, "{\"type\":\"snapshot_end\",\"ts\":");
	json_ts(&l, p->ts_ns);
	tl_line_lit(&l, ",\"sockets\":");
	tl_line_u64(&l, p->printed);
	tl_line_char(&l, '}');
	tl_line_write(&l, p->out);
}

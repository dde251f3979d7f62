// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Family by family, HELP and TYPE first. The two formats differ here only
 * in a counter's family name (OpenMetrics drops the _total of its samples)
 * and in the closing "# EOF". Label values go through tl_fmt_prom_label.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "format.h"
#include "metrics/metrics_expo.h"

#define LABEL_MAX (TL_MX_UNIT_MAX * 8)

static const char *const state_names[TL_MX_STATES] = {
	"established", "syn_sent", "syn_recv", "fin_wait1", "fin_wait2",
	"close", "close_wait", "last_ack", "closing",
};

struct writer {
	struct tl_mx_buf *b;
	enum tl_mx_format f;
	int series;
};

__attribute__((format(printf, 2, 3)))
static void put(struct writer *w, const char *fmt, ...)
{
	struct tl_mx_buf *b = w->b;
	va_list ap;
	int n;

	if (b->failed)
		return;
	for (;;) {
		size_t room = b->cap - b->len;

		va_start(ap, fmt);
		n = vsnprintf(b->p ? b->p + b->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->failed = true;
			return;
		}
		if ((size_t)n < room) {
			b->len += (size_t)n;
			return;
		}
		size_t cap = b->cap ? b->cap * 2 : 65536;
		while (cap - b->len <= (size_t)n)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (!p) {
			b->failed = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
}

/* type: "counter", "gauge", "histogram"; name: the samples' name for a
 * counter (with _total), which OpenMetrics metadata leaves off. */
/* HELP texts are constants without backslash, double quote or newline:
 * the one text that needs no escaping in either format. */
static void family(struct writer *w, const char *name, const char *type, const char *help)
{
	size_t n = strlen(name);

	if (w->f == TL_MX_OPENMETRICS && !strcmp(type, "counter") && n > 6 &&
	    !strcmp(name + n - 6, "_total"))
		n -= 6;
	put(w, "# HELP %.*s %s\n# TYPE %.*s %s\n", (int)n, name, help, (int)n, name, type);
}

static void sample(struct writer *w, const char *name, const char *labels, unsigned long long v)
{
	if (labels && *labels)
		put(w, "%s{%s} %llu\n", name, labels, v);
	else
		put(w, "%s %llu\n", name, v);
	w->series++;
}

static void sample_seconds(struct writer *w, const char *name, const char *labels, uint64_t ns)
{
	char v[32];

	tl_fmt_seconds_exact(v, sizeof(v), ns);
	if (labels && *labels)
		put(w, "%s{%s} %s\n", name, labels, v);
	else
		put(w, "%s %s\n", name, v);
	w->series++;
}

/* base: the family name; labels: "" or `k="v",...` without braces */
static void histogram(struct writer *w, const char *base, const char *labels,
		      const struct tl_mx_hist *h)
{
	const char *sep = *labels ? "," : "";
	uint64_t cum = 0;
	char le[32];

	for (int i = 0; i < TL_MX_BOUNDS; i++) {
		cum += h->buckets[i];
		tl_fmt_seconds_exact(le, sizeof(le), tl_mx_bounds_ns[i]);
		put(w, "%s_bucket{%s%sle=\"%s\"} %llu\n", base, labels, sep, le,
		    (unsigned long long)cum);
	}
	cum += h->buckets[TL_MX_BOUNDS];
	put(w, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", base, labels, sep, (unsigned long long)cum);
	w->series += TL_MX_BOUNDS + 1;
	tl_fmt_seconds_exact(le, sizeof(le), h->sum_ns);
	put(w, "%s_sum%s%s%s %s\n", base, *labels ? "{" : "", labels, *labels ? "}" : "", le);
	w->series++;
	put(w, "%s_count%s%s%s %llu\n", base, *labels ? "{" : "", labels, *labels ? "}" : "",
	    (unsigned long long)h->count);
	w->series++;
}

static void unit_labels(char *out, size_t len, const struct tl_mx_unit *u)
{
	char name[LABEL_MAX];

	tl_fmt_prom_label(name, sizeof(name), u->name, sizeof(u->name));
	snprintf(out, len, "direction=\"%s\",unit=\"%s\"", tl_fmt_dir(u->dir), name);
}

static void dest_labels(char *out, size_t len, const struct tl_mx_dest *d, bool other)
{
	char addr[TL_ADDR_MAX];

	if (other) {
		snprintf(out, len, "daddr=\"other\",dport=\"other\"");
		return;
	}
	tl_fmt_addr(addr, sizeof(addr), d->family, d->addr);
	snprintf(out, len, "daddr=\"%s\",dport=\"%u\"", addr, d->port);
}

/* Each of the four session families over every unit, "other" last. */
enum unit_field { U_SESSIONS, U_TX, U_RX, U_RESETS };

static uint64_t unit_value(const struct tl_mx_unit *u, enum unit_field f)
{
	switch (f) {
	case U_SESSIONS:
		return u->sessions;
	case U_TX:
		return u->tx_bytes;
	case U_RX:
		return u->rx_bytes;
	default:
		return u->resets;
	}
}

static void unit_family(struct writer *w, const struct tl_metrics *m, const char *name,
			const char *help, enum unit_field f)
{
	char labels[LABEL_MAX + 64];

	family(w, name, "counter", help);
	for (size_t i = 0; i < m->nunits; i++) {
		unit_labels(labels, sizeof(labels), &m->units[i]);
		sample(w, name, labels, unit_value(&m->units[i], f));
	}
	for (int d = 0; d < TL_MX_DIRS; d++) {
		if (!m->other_unit_used[d])
			continue;
		unit_labels(labels, sizeof(labels), &m->other_units[d]);
		sample(w, name, labels, unit_value(&m->other_units[d], f));
	}
}

static void connects_of(struct writer *w, const struct tl_mx_dest *d, bool other)
{
	char labels[160], all[200];

	dest_labels(labels, sizeof(labels), d, other);
	for (int r = 0; r < TL_MX_RESULTS; r++) {
		if (!d->connects[r])
			continue;
		snprintf(all, sizeof(all), "%s,result=\"%s\"", labels, tl_fmt_result((uint8_t)r));
		sample(w, "tcplens_connects_total", all, d->connects[r]);
	}
}

static void latency_of(struct writer *w, const struct tl_mx_dest *d, bool other)
{
	char labels[160];

	if (!d->lat.count)
		return;
	dest_labels(labels, sizeof(labels), d, other);
	histogram(w, "tcplens_connect_duration_seconds", labels, &d->lat);
}

static void write_sessions(struct writer *w, const struct tl_metrics *m)
{
	unit_family(w, m, "tcplens_sessions_total",
		    "TCP sessions closed (they reached ESTABLISHED), by direction and the owner's "
		    "unit (from its cgroup; unknown when not known).", U_SESSIONS);
	unit_family(w, m, "tcplens_sent_bytes_total",
		    "Payload bytes sent (and acknowledged) by closed sessions.", U_TX);
	unit_family(w, m, "tcplens_received_bytes_total",
		    "Payload bytes received by closed sessions.", U_RX);
	unit_family(w, m, "tcplens_session_resets_total",
		    "Closed sessions that ended with a RST, sent or received.", U_RESETS);
}

static void write_connects(struct writer *w, const struct tl_metrics *m)
{
	family(w, "tcplens_connects_total", "counter",
	       "Outgoing connects by destination and result (ok, refused, timeout, error, "
	       "aborted: closed by the application before an answer).");
	for (size_t i = 0; i < m->ndests; i++)
		connects_of(w, &m->dests[i], false);
	if (m->other_dest_used)
		connects_of(w, &m->other_dest, true);

	family(w, "tcplens_connect_duration_seconds", "histogram",
	       "Time from connect() to the answer of answered (ok) connects, by destination.");
	for (size_t i = 0; i < m->ndests; i++)
		latency_of(w, &m->dests[i], false);
	if (m->other_dest_used)
		latency_of(w, &m->other_dest, true);

	family(w, "tcplens_connect_duration_all_seconds", "histogram",
	       "Time from connect() to the answer of answered (ok) connects, all destinations.");
	histogram(w, "tcplens_connect_duration_all_seconds", "", &m->lat_all);
}

static void write_open(struct writer *w, const struct tl_metrics *m)
{
	const struct tl_mx_open *o = &m->open;
	char labels[64];

	family(w, "tcplens_open_connections", "gauge",
	       "TCP connections open at the scrape, by state (TIME_WAIT is not walked).");
	for (int k = 0; o->known && k < TL_MX_STATES; k++) {
		snprintf(labels, sizeof(labels), "state=\"%s\"", state_names[k]);
		sample(w, "tcplens_open_connections", labels, o->by_state[k]);
	}
	family(w, "tcplens_listen_accept_queue", "gauge",
	       "Connections waiting for accept() on the listening sockets of a local port.");
	for (size_t i = 0; o->known && i < o->nlisteners; i++) {
		if (o->listeners[i].port)
			snprintf(labels, sizeof(labels), "port=\"%u\"", o->listeners[i].port);
		else
			snprintf(labels, sizeof(labels), "port=\"other\"");
		sample(w, "tcplens_listen_accept_queue", labels, o->listeners[i].queue);
	}
	family(w, "tcplens_listen_backlog", "gauge",
	       "The accept-queue limit (backlog) of the listening sockets of a local port.");
	for (size_t i = 0; o->known && i < o->nlisteners; i++) {
		if (o->listeners[i].port)
			snprintf(labels, sizeof(labels), "port=\"%u\"", o->listeners[i].port);
		else
			snprintf(labels, sizeof(labels), "port=\"other\"");
		sample(w, "tcplens_listen_backlog", labels, o->listeners[i].backlog);
	}
}

static void write_drops(struct writer *w, const struct tl_metrics *m)
{
	const struct tl_drops *d = &m->drops;

	family(w, "tcplens_dropped_events_total", "counter",
	       "Events lost in the kernel, by cause (ringbuf: ring buffer full; storage: "
	       "socket storage or map full) and kind.");
	if (m->drops_known) {
		sample(w, "tcplens_dropped_events_total", "cause=\"ringbuf\",kind=\"session\"",
		       d->ringbuf_sessions);
		sample(w, "tcplens_dropped_events_total", "cause=\"ringbuf\",kind=\"connect\"",
		       d->ringbuf_connects);
		sample(w, "tcplens_dropped_events_total", "cause=\"storage\",kind=\"session\"",
		       d->map_sessions);
		sample(w, "tcplens_dropped_events_total", "cause=\"storage\",kind=\"connect\"",
		       d->map_connects);
	}
	family(w, "tcplens_possibly_dropped_events_total", "counter",
	       "Worst case on top of tcplens_dropped_events_total: untracked sockets whose "
	       "event, if it was made, was lost too.");
	if (m->drops_known) {
		sample(w, "tcplens_possibly_dropped_events_total", "kind=\"session\"",
		       d->map_sessions_max);
		sample(w, "tcplens_possibly_dropped_events_total", "kind=\"connect\"",
		       d->map_connects_max);
	}
	family(w, "tcplens_missed_state_changes_total", "counter",
	       "TCP state changes the kernel skipped (each costs at most 2 events).");
	if (m->drops_known)
		sample(w, "tcplens_missed_state_changes_total", NULL, d->missed);
}

static void write_self(struct writer *w, const struct tl_metrics *m)
{
	family(w, "process_cpu_seconds_total", "counter",
	       "User and system CPU time of the tcplens process, in seconds.");
	if (m->cpu_known)
		sample_seconds(w, "process_cpu_seconds_total", NULL, m->cpu_ns);
	family(w, "tcplens_series_limit", "gauge", "--max-series: the most series exposed.");
	sample(w, "tcplens_series_limit", NULL, m->cfg.max_series);
	family(w, "tcplens_folded_series_total", "counter",
	       "Series folded into daddr or unit other to stay under the limit.");
	sample(w, "tcplens_folded_series_total", NULL, m->folded_series);
	family(w, "tcplens_folded_label_sets_total", "counter",
	       "Destinations and units folded into other to stay under the limit.");
	sample(w, "tcplens_folded_label_sets_total", "kind=\"destination\"", m->folded_dests);
	sample(w, "tcplens_folded_label_sets_total", "kind=\"unit\"", m->folded_units);
	family(w, "tcplens_series", "gauge", "Series in this exposition, this one included.");
	sample(w, "tcplens_series", NULL, (unsigned long long)w->series + 1);
}

int tl_metrics_write(const struct tl_metrics *m, enum tl_mx_format f, struct tl_mx_buf *b)
{
	struct writer w = { .b = b, .f = f };

	b->len = 0;
	b->failed = false;
	write_sessions(&w, m);
	write_connects(&w, m);
	write_open(&w, m);
	write_drops(&w, m);
	write_self(&w, m);
	if (f == TL_MX_OPENMETRICS)
		put(&w, "# EOF\n");
	return b->failed ? -ENOMEM : w.series;
}

void tl_mx_buf_free(struct tl_mx_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

const char *tl_mx_content_type(enum tl_mx_format f)
{
	return f == TL_MX_OPENMETRICS ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
				      : "text/plain; version=0.0.4; charset=utf-8";
}

/* q in thousandths: "1", "0.5", "0.125"; anything else is 0 (not acceptable). */
static int parse_q(const char *s, size_t n)
{
	int q = 0, scale = 1000;
	size_t i = 0;

	if (!n || (s[0] != '0' && s[0] != '1'))
		return 0;
	q = (s[0] - '0') * 1000;
	i = 1;
	if (i < n && s[i] == '.') {
		for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
			scale /= 10;
			q += (s[i] - '0') * scale;
		}
	}
	return i == n && q <= 1000 ? q : 0;
}

static size_t trim(const char **s, size_t n)
{
	while (n && (**s == ' ' || **s == '\t')) {
		(*s)++;
		n--;
	}
	while (n && ((*s)[n - 1] == ' ' || (*s)[n - 1] == '\t'))
		n--;
	return n;
}

static bool is(const char *s, size_t n, const char *lit)
{
	return strlen(lit) == n && !strncasecmp(s, lit, n);
}

/* One media range: its type and the version and q parameters. */
static void media_range(const char *s, size_t n, int *om_q, int *text_q)
{
	const char *type = s, *semi = memchr(s, ';', n);
	size_t tlen = semi ? (size_t)(semi - s) : n;
	const char *version = NULL;
	size_t vlen = 0;
	int q = 1000;

	tlen = trim(&type, tlen);
	while (semi) {
		const char *p = semi + 1, *eq;
		size_t plen;

		n -= (size_t)(p - s);
		s = p;
		semi = memchr(s, ';', n);
		plen = semi ? (size_t)(semi - s) : n;
		plen = trim(&p, plen);
		eq = memchr(p, '=', plen);
		if (!eq)
			continue;
		if (is(p, (size_t)(eq - p), "q"))
			q = parse_q(eq + 1, plen - (size_t)(eq + 1 - p));
		else if (is(p, (size_t)(eq - p), "version")) {
			version = eq + 1;
			vlen = plen - (size_t)(eq + 1 - p);
		}
	}
	if (is(type, tlen, "application/openmetrics-text")) {
		if ((!version || is(version, vlen, "1.0.0")) && q > *om_q)
			*om_q = q;
	} else if (is(type, tlen, "text/plain")) {
		if ((!version || is(version, vlen, "0.0.4")) && q > *text_q)
			*text_q = q;
	} else if ((is(type, tlen, "*/*") || is(type, tlen, "text/*")) && q > *text_q) {
		*text_q = q;
	}
}

enum tl_mx_format tl_mx_negotiate(const char *accept)
{
	int om_q = 0, text_q = 0;
	const char *s = accept;

	if (!accept)
		return TL_MX_TEXT;
	while (*s) {
		const char *comma = strchr(s, ',');
		size_t n = comma ? (size_t)(comma - s) : strlen(s);

		media_range(s, n, &om_q, &text_q);
		if (!comma)
			break;
		s = comma + 1;
	}
	return om_q > 0 && om_q >= text_q ? TL_MX_OPENMETRICS : TL_MX_TEXT;
}

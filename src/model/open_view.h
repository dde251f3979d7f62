/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The open-connections view: the sockets of the newest snapshot as rows
 * (one per connection, or grouped by process, unit or remote host, or the
 * listeners with their accept queues), filtered with the filter language,
 * sorted, and a bounded history of each open socket's rates by cookie.
 *
 * Two steps: ingest takes a completed snapshot (once per refresh; not while
 * the monitor is paused, so what is shown holds still), build makes the
 * rows from the last ingest (also on a new sort, grouping or filter).
 */
#ifndef TCPLENS_MODEL_OPEN_VIEW_H
#define TCPLENS_MODEL_OPEN_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"
#include "open_rates.h"
#include "sock.h"

/* Rate samples kept per open socket (one per ingest), dropped when it closes. */
#define TL_OPEN_HIST 60
#define TL_OPEN_UNIT_MAX 48

enum tl_ocol {
	TL_OCOL_RATE = 0,	/* TX/s + RX/s: the default, top talkers first */
	TL_OCOL_PID, TL_OCOL_COMM, TL_OCOL_UNIT, TL_OCOL_DIR, TL_OCOL_LOCAL, TL_OCOL_REMOTE,
	TL_OCOL_STATE, TL_OCOL_AGE, TL_OCOL_CONNS, TL_OCOL_QUEUE, TL_OCOL_ACCEPTS,
	TL_OCOL_DROPS, TL_OCOL_TXRATE, TL_OCOL_RXRATE, TL_OCOL_TX, TL_OCOL_RX, TL_OCOL_RTT,
	TL_OCOL_RETR, TL_OCOL_COUNT,
};

enum tl_ogroup {
	TL_OGROUP_CONN = 0,	/* one row per connection (listeners left out) */
	TL_OGROUP_PROCESS,	/* pid and comm; unknown owners are one row */
	TL_OGROUP_UNIT,		/* the owner's unit; unknown is one row */
	TL_OGROUP_HOST,		/* remote address */
	TL_OGROUP_LISTEN,	/* one row per listening socket */
	TL_OGROUP_COUNT,
};

struct tl_open_row {
	/*
	 * A connection or a listener: the socket. A group: its key fields
	 * (owner, unit or remote address) and in tx_bytes, rx_bytes and
	 * retrans the sums over its sockets; cookie: its first socket's.
	 */
	struct tl_sock s;
	uint32_t cgroup_off;	/* path in the view's strings; UINT32_MAX: unknown */
	char unit[TL_OPEN_UNIT_MAX];	/* "" when unknown */
	uint32_t count;		/* sockets in the row */
	uint32_t nrate;		/* of which have a rate (the others are new this interval) */
	bool rate_valid;	/* nrate > 0 */
	uint64_t tx_mbps, rx_mbps;	/* thousandths of a byte per second, summed */
	/* listeners */
	bool accepts_valid;	/* needs the previous snapshot */
	uint64_t accepts_milli;	/* connections established per 1000 s */
	bool full;		/* accept queue over its limit: the kernel drops SYNs now */
};

/*
 * One completed snapshot: rates[i] and paths[i] (owner's cgroup path, NULL:
 * unknown; copied) belong to snap->socks[i]. With measure_rates (and rates
 * NULL) the view measures them itself against its last ingest, the same
 * way (byte deltas over the time between the walks, by cookie; none for a
 * new socket or counters that went back), on the matching it does anyway.
 */
struct tl_open_input {
	const struct tl_snapshot *snap;
	const struct tl_open_rate *rates;
	const char *const *paths;
	bool measure_rates;
};

struct tl_open_view;

struct tl_open_view *tl_open_view_new(void);	/* NULL + errno */
void tl_open_view_free(struct tl_open_view *v);
/*
 * Takes a snapshot. m (may be NULL) gives the passive sessions that opened
 * and closed since the last ingest, counted in the listeners' accepts.
 * 0 or -ENOMEM (the view keeps the last ingest).
 */
int tl_open_view_ingest(struct tl_open_view *v, const struct tl_open_input *in,
			const struct tl_model *m);
/* Rows from the last ingest. 0 or -ENOMEM (then no rows). */
int tl_open_view_build(struct tl_open_view *v, const struct tl_filter *f, enum tl_ogroup g,
		       enum tl_ocol sort, bool descending);
/* True once a snapshot was ingested. */
bool tl_open_view_ready(const struct tl_open_view *v);
/* Wall clock of the snapshot ingested last, and its sockets (all of them). */
uint64_t tl_open_view_ts(const struct tl_open_view *v);
size_t tl_open_view_sockets(const struct tl_open_view *v);
size_t tl_open_view_len(const struct tl_open_view *v);
/*
 * Row i of the last build, or NULL. Valid until the next build or the
 * second ingest after it; rows of connections and listeners are made when
 * asked for, so the pointer may also be reused by a get some 1,000 rows
 * away: copy a row that must outlive other gets.
 */
const struct tl_open_row *tl_open_view_get(const struct tl_open_view *v, size_t i);
/* The position of the row whose socket (or group's first socket) has this
 * cookie, or SIZE_MAX. */
size_t tl_open_view_find(const struct tl_open_view *v, uint64_t cookie);
/* The row's owner's cgroup path, or NULL. Valid as long as the row. */
const char *tl_open_view_cgroup(const struct tl_open_view *v, const struct tl_open_row *r);
/*
 * The rate history of the open socket with this cookie, oldest first, in
 * bytes per second: at most max samples into tx[] and rx[]. Returns the
 * number written (0: none, or no such socket).
 */
size_t tl_open_view_history(const struct tl_open_view *v, uint64_t cookie, float *tx, float *rx,
			    size_t max);
/* The filter's view of an open socket: a session-shaped record with the
 * same fields (owner, addresses, ports, direction, bytes, cgroup id). */
void tl_open_record(struct tl_record *r, const struct tl_sock *s, uint64_t ts_ns);

#endif

/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The model: what tcplens knows, independent of BPF and of curses.
 * The capture engine (or a test, or a benchmark) feeds it records; front ends
 * ask it for views. Single-threaded: callers serialise.
 */
#ifndef TCPLENS_MODEL_H
#define TCPLENS_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drops.h"
#include "group.h"
#include "record.h"

struct tl_model;
struct tl_filter;

/*
 * A cgroup v2 id's path from the v2 root ("/system.slice/ssh.service"), or
 * NULL when it is unknown: the shape of tl_cgroup_path_fn in src/printer.h.
 * The monitor passes the capture engine's (tl_capture_cgroup_path), tests a
 * fake table; the model never resolves ids itself. A returned path must stay
 * valid as long as the resolver does (the views keep the pointer).
 */
typedef const char *(*tl_cgroup_path_fn)(void *ctx, uint64_t id);

struct tl_model_config {
	size_t history;		/* sessions retained (ring); default 200000 */
	size_t max_dests;	/* rows per latency grouping; past it, idle rows fold into
				 * "other" to make room (agg.h); default 10000 */
};

struct tl_model_totals {
	uint64_t sessions;	/* every session ever added */
	uint64_t connects;	/* every connect ever added */
	uint64_t connects_failed; /* result != ok */
	struct tl_drops drops;	/* as last set by tl_model_set_drops */
	uint64_t first_ts_ns;	/* wall clock of the first record, 0 if none */
	uint64_t last_ts_ns;
};

struct tl_model *tl_model_new(const struct tl_model_config *cfg);	/* NULL + errno */
void tl_model_free(struct tl_model *m);

/* Ingest one decoded record (session or connect). O(1) amortised. */
void tl_model_add(struct tl_model *m, const struct tl_record *r);
void tl_model_set_drops(struct tl_model *m, const struct tl_drops *d);
const struct tl_model_totals *tl_model_totals(const struct tl_model *m);

/* Retained session history: index 0 is the newest. */
size_t tl_model_history_len(const struct tl_model *m);
size_t tl_model_history_cap(const struct tl_model *m);
/* Connect records retained for filtered latency views (a share of history). */
size_t tl_model_connects_cap(const struct tl_model *m);
const struct tl_record *tl_model_history_get(const struct tl_model *m, size_t i);

/*
 * A held copy of the sessions retained now with sequence numbers below
 * upto (the sessions a view showed when it was last updated), for a paused
 * screen: the live ring may overwrite its rows, the copy never changes.
 * Session views work on it as on any model; it has no connects and no
 * latency tables, so it is not for tl_dest_view_update. Costs at most one
 * copy of the retained history; free it with tl_model_free.
 * NULL + errno.
 */
struct tl_model *tl_model_hold(const struct tl_model *m, uint64_t upto);

/* ---- filter language (see man page FILTERS) ---- */

/* NULL on a malformed expression, with a one-line reason in err. */
struct tl_filter *tl_filter_parse(const char *expr, char *err, size_t errlen);
void tl_filter_free(struct tl_filter *f);
/* A NULL filter matches everything. Connect-only terms (result=, lat>,
 * lat<: the connect latency) never match a session, so "!result=ok"
 * keeps every session. */
bool tl_filter_match(const struct tl_filter *f, const struct tl_record *r);
/* The expression as given (for the status line). */
const char *tl_filter_text(const struct tl_filter *f);
/*
 * Where unit= and cgroup= terms look up a record's cgroup path. Without a
 * resolver every cgroup is unknown. An unknown cgroup (or owner) never
 * matches a positive unit=/cgroup= term, so a negated one keeps it, as
 * pid= and comm= do with an unknown owner.
 */
void tl_filter_set_cgroup_path(struct tl_filter *f, tl_cgroup_path_fn fn, void *ctx);
/*
 * True (once) if, since the last call, a unit=/cgroup= term met a known
 * owner whose cgroup path the resolver did not know (yet: a cgroup made
 * since its last scan). Views keep a filter's verdicts, so the caller may
 * rebuild them a little later (tl_session_view_invalidate and
 * tl_dest_view_invalidate) to give such records their real answer.
 */
bool tl_filter_take_unresolved(struct tl_filter *f);

/* ---- session table ---- */

enum tl_scol {
	TL_SCOL_TIME = 0, TL_SCOL_PID, TL_SCOL_COMM, TL_SCOL_DIR, TL_SCOL_LOCAL,
	TL_SCOL_REMOTE, TL_SCOL_TX, TL_SCOL_RX, TL_SCOL_DURATION, TL_SCOL_RETRANS,
	TL_SCOL_RTT, TL_SCOL_COUNT,
};

struct tl_session_view;		/* a filtered, sorted list of history rows */

struct tl_session_view *tl_session_view_new(void);
void tl_session_view_free(struct tl_session_view *v);
/* Rebuild from the model. Default order: TL_SCOL_TIME, descending (newest first). */
void tl_session_view_update(struct tl_session_view *v, const struct tl_model *m,
			    const struct tl_filter *f, enum tl_scol sort, bool descending);
size_t tl_session_view_len(const struct tl_session_view *v);
/* The next update rebuilds from the whole history, as for a new filter. */
void tl_session_view_invalidate(struct tl_session_view *v);
/* NULL past the end, and for a row the history ring has overwritten since
 * the last update (only when updates stop for a while, e.g. paused). */
const struct tl_record *tl_session_view_get(const struct tl_session_view *v, size_t i);

/* ---- connect-latency panel ---- */

/*
 * Sort columns. The latency columns sort by what is shown: the latency of
 * answered connects, or for a row with none, its time to failure.
 * TL_DCOL_FAILPCT (the default) sorts by failed / all connects, then by
 * p99 the same way, so that failing destinations come before slow ones.
 */
enum tl_dcol {
	TL_DCOL_KEY = 0, TL_DCOL_CONNECTS, TL_DCOL_FAILS, TL_DCOL_FAILPCT, TL_DCOL_P50,
	TL_DCOL_P90, TL_DCOL_P99, TL_DCOL_MAX, TL_DCOL_LAST, TL_DCOL_COUNT,
};

#define TL_HIST_BINS 16		/* coarse histogram for bars and the detail view */

struct tl_dest_row {
	/* key: which fields are meaningful depends on the grouping */
	uint8_t family;
	uint8_t is_other;	/* the row that folds everything past max_dests */
	uint8_t owner_known;	/* TL_GROUP_PROCESS, TL_GROUP_UNIT (0: unknown owner or cgroup) */
	uint8_t unit_shared;	/* TL_GROUP_UNIT: another row's cgroup has the same unit name */
	uint8_t addr[16];
	uint16_t port;
	uint32_t pid;
	char comm[TL_REC_COMM_LEN];
	uint64_t cgroup_id;	/* TL_GROUP_UNIT */
	const char *cgroup_path; /* TL_GROUP_UNIT: from the view's resolver; NULL: unknown */
	/* values, over the chosen window */
	uint64_t connects;	/* every connect, whatever its result */
	uint64_t refused;
	uint64_t timeouts;
	uint64_t aborted;	/* closed before any answer, no error */
	uint64_t errors;	/* every other failure (by errno: tl_dest_view_failures) */
	uint64_t ok;		/* connects with a latency sample (result ok) */
	uint64_t p50_ns, p90_ns, p99_ns;	/* over ok connects; 0 if none */
	uint64_t min_ns, max_ns;		/* exact */
	uint64_t last_ns;	/* latency of the newest ok connect */
	uint64_t last_ts_ns;	/* wall clock of the newest connect */
	/*
	 * Time to failure (connect() to the kernel giving up, or to the RST),
	 * only for a row with failures and no ok connect (ok == 0), else 0.
	 * Over a window these are within the sketch's 1%, max included.
	 */
	uint64_t ttf_p50_ns, ttf_p90_ns, ttf_p99_ns, ttf_max_ns;
	uint64_t ttf_last_ns;	/* of the newest failed connect */
	/* log-spaced bins from hist_lo_ns to hist_hi_ns, for bars/sparklines */
	uint32_t hist[TL_HIST_BINS];
	uint64_t hist_lo_ns, hist_hi_ns;
};

struct tl_dest_view;

struct tl_dest_view *tl_dest_view_new(void);
void tl_dest_view_free(struct tl_dest_view *v);
/*
 * Rebuild the latency rows. now_ns is the wall clock used to place the
 * 60 s and 10 s windows. Without a filter the rows come from the running
 * per-destination sketches; with one, from the retained connect records
 * that match it. The model is not const: the update first aggregates the
 * connects it holds pending, marks the tables' touch logs read, and moves
 * the quantile cursors kept in their sketches.
 */
void tl_dest_view_update(struct tl_dest_view *v, struct tl_model *m,
			 enum tl_group group, enum tl_window win,
			 const struct tl_filter *f, enum tl_dcol sort, bool descending,
			 uint64_t now_ns);
size_t tl_dest_view_len(const struct tl_dest_view *v);
/* The next update rebuilds every row, as for a new filter. */
void tl_dest_view_invalidate(struct tl_dest_view *v);
/*
 * Row i as the last update left it. Its histogram (hist[]) is made on the
 * first get after the row changed, so that only rows shown pay for it:
 * a cache, kept in the row arrays the view points to, which is why a
 * const view can fill it.
 */
const struct tl_dest_row *tl_dest_view_get(const struct tl_dest_view *v, size_t i);
/*
 * The unit grouping's rows are keyed by cgroup id (a cgroup is one service
 * or container instance; a restarted service gets a new id): the view
 * resolves their paths with fn at every update, and marks rows whose unit
 * names collide (unit_shared) so that a front end can tell them apart.
 */
void tl_dest_view_set_cgroup_path(struct tl_dest_view *v, tl_cgroup_path_fn fn, void *ctx);
/* Quantile q in [0,1] of one row's latencies (for the detail view); 0 when stale. */
uint64_t tl_dest_view_quantile(const struct tl_dest_view *v, size_t i, double q);
/*
 * True when a table row was folded into "other" since the last update (a
 * paused view): the rows still read as they were, but their histograms,
 * quantiles and failures cannot be read any more until the next update
 * (a held view still answers what it holds: histograms, failures and the
 * held qs).
 */
bool tl_dest_view_stale(const struct tl_dest_view *v);

/* One row's failures by result and errno, for the detail view. */
#define TL_DEST_NERR 8
struct tl_dest_fail {
	uint64_t failed;	/* every failed connect */
	uint64_t refused, timeouts, aborted, errors;
	uint32_t nerr;		/* errors by errno, most first */
	uint8_t err_no[TL_DEST_NERR];	/* 255: an errno of 255 or more */
	uint64_t err_n[TL_DEST_NERR];
	uint64_t err_other;	/* errors whose errno is not in the list (not kept) */
	uint64_t ttf_min_ns, ttf_p50_ns, ttf_p90_ns, ttf_p99_ns, ttf_max_ns;	/* time to failure */
};
/*
 * 0, or -ENOENT past the end, -ESTALE if the tables changed shape since
 * the last update (a row folded into "other": update first; a held view
 * answers what it read at hold).
 */
int tl_dest_view_failures(const struct tl_dest_view *v, size_t i, struct tl_dest_fail *out);
/*
 * Holds the rows as they are, for a paused screen: every row's histogram,
 * failures and the nq quantiles qs (the detail view's) are read from the
 * tables now, so nothing read later depends on the model. While held,
 * update only re-sorts the held rows (group, window, filter and now_ns are
 * ignored, the model is not read), tl_dest_view_quantile answers the held
 * qs (0 for any other q) and tl_dest_view_failures what it read at hold.
 * 0 or -ENOMEM (then nothing is held).
 */
int tl_dest_view_hold(struct tl_dest_view *v, const double *qs, int nq);
/* Back to live rows: the next update catches up with the model. */
void tl_dest_view_release(struct tl_dest_view *v);
bool tl_dest_view_held(const struct tl_dest_view *v);

#endif

/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What the monitor is showing: views of the model, the user's choices, scroll
 * positions. Screens are drawn from it; keys change it. No curses here.
 */
#ifndef TCPLENS_UI_STATE_H
#define TCPLENS_UI_STATE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "canvas.h"
#include "cli.h"
#include "columns.h"
#include "model/model.h"
#include "model/open_view.h"

enum tl_focus { TL_FOCUS_SESSIONS = 0, TL_FOCUS_DESTS, TL_FOCUS_OPEN, TL_FOCUS_COUNT };
enum tl_screen { TL_SCREEN_MAIN = 0, TL_SCREEN_HELP, TL_SCREEN_DETAIL, TL_SCREEN_LOG };
enum tl_prompt { TL_PROMPT_NONE = 0, TL_PROMPT_FILTER, TL_PROMPT_SEARCH, TL_PROMPT_TIME };
/* Replaying: what the time keys asked for (ui/keys.c), done by ui/monitor.c. */
enum tl_replay_req { TL_REPLAY_NONE = 0, TL_REPLAY_BACK, TL_REPLAY_FORWARD, TL_REPLAY_START,
		     TL_REPLAY_END, TL_REPLAY_AT };

/* A scrolling list: the cursor row and the first row drawn. */
struct tl_scroll {
	size_t sel;
	size_t top;
	int rows;		/* rows visible when last drawn */
};

#define TL_DETAIL_NQ 8
extern const double tl_detail_q[TL_DETAIL_NQ];

/* A copy of what Enter was pressed on, so later refreshes do not change it. */
struct tl_detail {
	bool is_dest;
	struct tl_record rec;
	struct tl_dest_row row;
	enum tl_group group;
	enum tl_window win;
	uint64_t q_ns[TL_DETAIL_NQ];
	struct tl_dest_fail fail;
	int fail_ret;		/* tl_dest_view_failures */
	/* the Open panel's row (ui/open_detail.c) */
	bool is_open;
	struct tl_open_row orow;
	enum tl_ogroup ogroup;
	char ocgroup[512];		/* "" when unknown */
	bool ocgroup_cut;		/* longer than ocgroup */
};

/* Prompt text, in bytes with the NUL: a long filter fits; past it the prompt
 * says so instead of cutting the text silently. */
#define TL_INPUT_MAX 4096
#define TL_MSG_MAX 512

/* The cost of watching over the last refresh interval (ui/cost.c). */
struct tl_cost {
	bool have_base, bpf_base;
	uint64_t mono_ns, cpu_ns, events, bpf_ns;	/* at the last sample */
	double cpu_pct;			/* tcplens's own CPU, % of one CPU; < 0: not known */
	double events_rate;		/* events taken in per second; < 0: not known */
	bool bpf_on;			/* the kernel's BPF statistics are held */
	double bpf_ns_per_event;	/* probes' run time per event; < 0: not known */
	double bpf_cpu_pct;		/* probes' run time, % of one CPU; < 0: not known */
};

struct tl_ui {
	const struct tl_options *opt;
	/* replaying a recording: the time keys move the instant shown */
	bool replay;
	bool m_owned;			/* ui->m was made by tl_ui_reset_model: ours to free */
	enum tl_replay_req replay_req;
	struct tl_when replay_when;	/* TL_REPLAY_AT: as typed at the b prompt */
	struct tl_model *m;
	struct tl_session_view *sv;
	struct tl_dest_view *dv;
	struct tl_filter *filter;

	enum tl_scol scol;
	bool sdesc;
	enum tl_dcol dcol;
	bool ddesc;
	enum tl_group group;
	enum tl_window win;

	enum tl_focus focus;
	enum tl_screen screen;
	enum tl_prompt prompt;
	struct tl_scroll sp, dp, sub;	/* sessions, destinations, help/log/detail */

	char input[TL_INPUT_MAX];	/* the prompt being typed */
	char search[TL_INPUT_MAX];	/* the last search */
	char msg[TL_MSG_MAX];		/* one-shot message for the status line */
	bool msg_warn;

	bool paused;
	/* while paused: the sessions the view showed, held (NULL if memory ran
	 * out: then the ring may overwrite rows of the paused view) */
	struct tl_model *held;
	uint64_t paused_sessions, paused_connects;	/* totals the paused view shows */

	double interval_s;
	uint64_t start_mono_ns;
	uint64_t view_wall_ns;		/* wall clock of the last view rebuild */
	uint64_t view_first_seq;	/* oldest retained session then (model sequence) */
	uint64_t view_sessions, view_connects;	/* the model's totals then */
	size_t view_retained;		/* sessions retained then: the title counts the same moment */
	double rate_sessions, rate_connects;	/* per second, last interval */
	uint64_t rate_base_sessions, rate_base_connects, rate_base_mono_ns;

	struct tl_detail detail;
	struct tl_cost cost;

	/* where the last draw put the headers, for mouse clicks */
	int shdr_y, dhdr_y;
	struct tl_layout slay, dlay;
	struct tl_colmem smem, dmem;	/* column widths held against jumping */

	bool utf8;
	bool color;
	bool batch;

	/* cgroup ids to paths (the capture's tl_capture_cgroup_path); NULL: all unknown */
	tl_cgroup_path_fn cgroup_path;
	void *cgroup_ctx;
	/* a unit=/cgroup= filter met a cgroup not known yet: rebuild then */
	uint64_t filter_retry_ns;	/* monotonic; 0: none due */
	unsigned filter_retries;	/* for this filter, bounded */
	/* the Open panel (ui/open_panel.c): rows from the socket iterator */
	struct tl_open_view *ov;
	enum tl_ocol ocol;
	bool odesc;
	enum tl_ogroup ogroup;
	struct tl_scroll op;
	int ohdr_y;
	struct tl_layout olay;		/* col[] indexes the grouping's columns */
	int ocols[TL_MAX_COLS];		/* the grouping's columns, as tl_open_cols indexes */
	int nocols;
	char open_note[160];		/* why the panel has no rows (no iterator, ...) */
};

uint64_t tl_ui_mono_ns(void);
uint64_t tl_ui_wall_ns(void);
/* Replaying: both clocks read wall_ns, the instant shown (0: the real ones). */
void tl_ui_set_replay_clock(uint64_t wall_ns);
uint64_t tl_ui_replay_clock(void);

/* ui/views.c */
int tl_ui_init(struct tl_ui *ui, const struct tl_options *opt, struct tl_model *m);
void tl_ui_fini(struct tl_ui *ui);
/* A new empty model in place of ui->m, and new views of it (a replay's jump
 * back in time). 0 or -ENOMEM (then nothing changed). */
int tl_ui_reset_model(struct tl_ui *ui);
/* Rebuild both views from the model (unless paused and !force; paused and
 * forced, from what is held), keeping the cursor on the same row when the
 * user has scrolled away from the top. */
void tl_ui_update_views(struct tl_ui *ui, bool force);
/* Once per refresh interval: the per-second rates. */
void tl_ui_update_rates(struct tl_ui *ui);
/* Sessions the history ring has overwritten since the last view update: rows
 * of the session view that may now read NULL (a paused or slow view). */
uint64_t tl_ui_overwritten(const struct tl_ui *ui);
/* Renews the views if a session row on screen (or under the cursor) has been
 * overwritten, saying so in msg when paused. True if it renewed them. */
bool tl_ui_renew_if_gone(struct tl_ui *ui);
/* Parse and apply; on error keep the old filter and put the reason in msg.
 * Blank text (spaces only) clears the filter. */
int tl_ui_set_filter(struct tl_ui *ui, const char *text);
bool tl_ui_blank(const char *text);
/* Where cgroup ids are resolved: for the UNIT columns, the unit grouping,
 * unit= and cgroup= filters and the detail view. Call it after tl_ui_init. */
void tl_ui_set_cgroup_path(struct tl_ui *ui, tl_cgroup_path_fn fn, void *ctx);
/* The owner's cgroup path, or NULL when unknown (an unknown owner's cgroup
 * is unknown too, whatever the id says). For any panel's rows. */
const char *tl_ui_cgroup_path(const struct tl_ui *ui, bool owner_known, uint64_t cgroup_id);
void tl_ui_message(struct tl_ui *ui, bool warn, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Pausing holds both views as last drawn (a copy of the sessions, the
 * latency rows); sort keys and search still work on what is held. Resuming
 * drops the copy and shows the live views. */
void tl_ui_pause(struct tl_ui *ui, bool pause);
/* The model the session view reads: the held copy while paused. */
const struct tl_model *tl_ui_session_model(const struct tl_ui *ui);
/* Keeps the cursor inside [0, len) and on screen. */
void tl_scroll_fit(struct tl_scroll *s, size_t len, int rows);

/* ui/cost.c */
void tl_cost_init(struct tl_cost *c);
/* Statistics taken (on) or let go: the next interval's BPF figures are unknown. */
void tl_cost_set_bpf(struct tl_cost *c, bool on);
/* Once per refresh: the monotonic clock, tcplens's CPU time, events so far,
 * and the probes' summed run time (NULL: not available). */
void tl_cost_sample(struct tl_cost *c, uint64_t mono_ns, uint64_t cpu_ns, uint64_t events,
		    const uint64_t *bpf_ns);
uint64_t tl_cost_self_cpu_ns(void);

/* ui/session_panel.c */
#define TL_CELL_MAX 72
enum tl_sesscol {
	TL_SC_TIME = 0, TL_SC_PID, TL_SC_COMM, TL_SC_UNIT, TL_SC_DIR, TL_SC_LOCAL, TL_SC_REMOTE,
	TL_SC_TX, TL_SC_RX, TL_SC_LIFE, TL_SC_RETR, TL_SC_RTT, TL_SC_COUNT,
};
extern const struct tl_coldesc tl_session_cols[TL_SC_COUNT];
/* ui: for the UNIT cell's cgroup path (a zeroed tl_ui: every unit unknown) */
void tl_session_cells(const struct tl_ui *ui, const struct tl_record *r, char cells[][TL_CELL_MAX]);
/* Draws title, header and rows into [y, y+h). */
void tl_session_panel_draw(struct tl_ui *ui, struct tl_canvas *c, int y, int h);

/* ui/latency_panel.c */
enum tl_destcol {
	TL_DC_KEY = 0, TL_DC_CONN, TL_DC_FAIL, TL_DC_FAILPCT, TL_DC_REFTMO, TL_DC_P50, TL_DC_P90,
	TL_DC_P99, TL_DC_MAX, TL_DC_LAST, TL_DC_DIST, TL_DC_COUNT,
};
extern const struct tl_coldesc tl_dest_cols[TL_DC_COUNT];
void tl_dest_cells(const struct tl_dest_row *row, enum tl_group g, char cells[][TL_CELL_MAX]);
void tl_dest_key(char *buf, size_t len, const struct tl_dest_row *row, enum tl_group g);
const char *tl_dest_key_header(enum tl_group g);
/* The unit grouping's key text (see latency_panel.c). */
void tl_dest_unit_key(char *buf, size_t len, const struct tl_dest_row *row);
/* The distribution drawn in w cells (a sparkline of row->hist). */
void tl_dest_spark(char *buf, size_t len, const struct tl_dest_row *row, int w, bool utf8);
void tl_dest_panel_draw(struct tl_ui *ui, struct tl_canvas *c, int y, int h);

/* ui/open_panel.c */
enum tl_opencol {
	TL_OC_PID = 0, TL_OC_COMM, TL_OC_UNIT, TL_OC_DIR, TL_OC_LOCAL, TL_OC_REMOTE, TL_OC_STATE,
	TL_OC_AGE, TL_OC_CONNS, TL_OC_QUEUE, TL_OC_ACCEPTS, TL_OC_DROPS, TL_OC_TXRATE,
	TL_OC_RXRATE, TL_OC_TX, TL_OC_RX, TL_OC_RTT, TL_OC_RETR, TL_OC_COUNT,
};
extern const struct tl_coldesc tl_open_cols[TL_OC_COUNT];
/* The grouping's columns, left to right; returns how many. */
int tl_open_group_cols(enum tl_ogroup g, int *cols);
const char *tl_open_group_name(enum tl_ogroup g);
/* The header of a sort column ("TX/s+RX/s" for the default). */
const char *tl_open_sort_name(enum tl_ogroup g, enum tl_ocol c);
/* Next (dir 1) or previous (-1) sort column among the grouping's. */
enum tl_ocol tl_open_sort_step(enum tl_ogroup g, enum tl_ocol cur, int dir);
/* The grouping changes: a sort column it does not show goes back to its default. */
void tl_open_set_group(struct tl_ui *ui, enum tl_ogroup g);
/* uptime_ns: tcplens's, for the age of sockets open before it started. */
void tl_open_cells(const struct tl_open_row *row, enum tl_ogroup g, uint64_t uptime_ns,
		   char cells[][TL_CELL_MAX]);
uint64_t tl_open_snap_uptime(const struct tl_ui *ui);
/* Rebuild the rows from the last snapshot, keeping the cursor on its row. */
void tl_open_panel_update(struct tl_ui *ui);
void tl_open_panel_draw(struct tl_ui *ui, struct tl_canvas *c, int y, int h);

/* ui/open_detail.c */
void tl_open_detail_open(struct tl_ui *ui);
void tl_open_detail_draw(struct tl_ui *ui, struct tl_canvas *c, int y, int h);

/* ui/status.c */
#define TL_STATUS_LINES 2
void tl_status_draw(const struct tl_ui *ui, struct tl_canvas *c, int y);

/* ui/help.c, ui/detail.c, ui/logview.c: full screens below the status */
void tl_help_draw(struct tl_ui *ui, struct tl_canvas *c, int y, int h);
void tl_detail_open(struct tl_ui *ui);
void tl_detail_draw(struct tl_ui *ui, struct tl_canvas *c, int y, int h);
void tl_logview_draw(struct tl_ui *ui, struct tl_canvas *c, int y, int h);
/* Draws lines[first..] into [y, y+h), clamping ui->sub. */
void tl_text_page_draw(struct tl_ui *ui, struct tl_canvas *c, int y, int h, const char *title,
		       const char *const *lines, size_t n);

/* ui/batch_table.c: a table as -b prints it, every cell whole, columns aligned */
void tl_batch_table(FILE *out, const struct tl_coldesc *d, int ncols,
		    char (*cells)[TL_MAX_COLS][TL_CELL_MAX], size_t nrows);

/* ui/screen.c */
#define TL_MIN_W 40
#define TL_MIN_H 10
void tl_screen_compose(struct tl_ui *ui, struct tl_canvas *c);

/* ui/keys.c */
enum {
	TL_ACT_NONE = 0,
	TL_ACT_DRAW = 1,	/* redraw the screen */
	TL_ACT_REBUILD = 2,	/* rebuild the views, then redraw */
	TL_ACT_QUIT = 4,
	TL_ACT_INTERVAL = 8,	/* the refresh interval changed */
	TL_ACT_BPF_STATS = 16,	/* turn the BPF statistics on or off (monitor.c holds them) */
	TL_ACT_TIME = 32,	/* replaying: move the shown instant (ui->replay_req) */
};
/* fn: key is a curses key code (KEY_*), else a character. */
int tl_keys_handle(struct tl_ui *ui, int key, bool fn);
int tl_keys_click(struct tl_ui *ui, int x, int y);

/* ui/search.c */
/* Moves the focused panel's cursor to the next row containing text, starting
 * at the cursor (include_cur) or after it. Returns true if found. */
bool tl_search_next(struct tl_ui *ui, const char *text, bool include_cur);

#endif

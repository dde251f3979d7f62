/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The `open` mode's printers: one line per open socket of a snapshot, as
 * columns or as NDJSON, from the line builder (no printf per socket).
 *
 * Text: a header per snapshot (a blank line before the second and later
 * ones), then PID COMM STATE LADDR LPORT RADDR RPORT TX_KB RX_KB AGE_S
 * RTT_MS, with -i also TX_KB/s RX_KB/s, with -l also QUEUE ("queued/max"
 * for a listener, "-" for the others; a listener's RADDR and RPORT read
 * "*"). "-" where a value is unknown.
 *
 * JSON: {"type":"open",...} per socket, keys always present and in the
 * documented order (listeners add accept_queue and accept_queue_max at
 * the end), then {"type":"snapshot_end","ts":...,"sockets":N} with N the
 * objects printed for that snapshot.
 */
#ifndef TCPLENS_OPEN_OUT_H
#define TCPLENS_OPEN_OUT_H

#include <stdint.h>
#include <stdio.h>

#include "cli.h"
#include "open_rates.h"
#include "sock.h"

/* cgroup v2 id -> path, or NULL when unknown; the text is untrusted. */
typedef const char *(*tl_cgroup_path_fn)(void *ctx, uint64_t id);

/*
 * The JSON string of a cgroup path is cut to this many bytes, quotes and
 * escapes included, so that the longest line still fits the line builder
 * whole (tests/unit/test_open.c checks it); real paths are far shorter.
 */
#define TL_OPEN_CGROUP_JSON_MAX 320

struct tl_open_printer;

/* cgroup_path may be NULL: then only paths from adoption are printed.
 * NULL + errno. */
struct tl_open_printer *tl_open_printer_new(const struct tl_options *opt, FILE *out,
					    tl_cgroup_path_fn cgroup_path, void *ctx);
void tl_open_printer_free(struct tl_open_printer *p);
/* A snapshot taken at ts_ns (wall clock) starts: the header in text mode. */
void tl_open_printer_begin(struct tl_open_printer *p, uint64_t ts_ns);
/*
 * One socket. adopt_cgroup: the owner's path from adoption, printed when
 * s->cgroup_id is 0 (may be NULL). rate: NULL or !valid prints no rate.
 */
void tl_open_printer_sock(struct tl_open_printer *p, const struct tl_sock *s,
			  const char *adopt_cgroup, const struct tl_open_rate *rate);
/* The snapshot is complete: JSON prints its snapshot_end line. */
void tl_open_printer_end(struct tl_open_printer *p);
/* "ESTABLISHED", "LISTEN", ... as the kernel names them; "UNKNOWN" */
const char *tl_open_state_name(uint8_t state);

#endif

/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The capture engine: loads and attaches the probes, drains the ring buffer,
 * decodes events into records and reads the drop counters.
 */
#ifndef TCPLENS_CAPTURE_H
#define TCPLENS_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli.h"
#include "drops.h"
#include "record.h"
#include "sock.h"
#include "source.h"

struct tl_capture;

/*
 * Checks the privileges and the kernel, loads and attaches. On failure
 * returns NULL with one line for the user in err, and errno EINVAL when the
 * user or the kernel must change something (options, privileges, a kernel
 * feature: exit status 2) or EIO for a failure while starting (exit 1).
 */
struct tl_capture *tl_capture_open(const struct tl_options *opt, char *err, size_t errlen);
void tl_capture_close(struct tl_capture *c);
/* Poll this for readability, then call tl_capture_drain. */
int tl_capture_fd(const struct tl_capture *c);
/* Consumes everything queued; cb is called once per record. Returns the
 * number of records or -errno. Call it also on a timer: wake-ups are batched. */
int tl_capture_drain(struct tl_capture *c, tl_record_cb cb, void *ctx);
/* Totals of events lost in the kernel since the start. */
void tl_capture_drops(const struct tl_capture *c, struct tl_drops *d);
/*
 * Walks every open TCP socket now (the iter/tcp program) into *snap, which
 * it empties first and grows as needed (free it with tl_snapshot_free).
 * Listeners are included; TIME_WAIT and request sockets are not. Owners
 * the kernel does not know are left unknown here: see src/adopt.h.
 * Returns the number of sockets or -errno.
 */
int tl_capture_snapshot(struct tl_capture *c, struct tl_snapshot *snap);
/* The walk made at start, after attaching: the sockets open then, which the
 * kernel side adopted (their sessions are reported when they close). */
const struct tl_snapshot *tl_capture_start_snapshot(const struct tl_capture *c);
/*
 * The ready line: "tcplens: tracing <what> with <kind> probes" on stderr,
 * once every probe is attached. Tests wait for its prefix, so every mode
 * prints it exactly once and no other line starts that way.
 */
void tl_capture_announce(const struct tl_capture *c, const char *what);
/* Owners and directions of the sockets open at start, as found then (from
 * /proc and the listeners); NULL when there was no walk. */
struct tl_adopt_table;
const struct tl_adopt_table *tl_capture_adopt_table(const struct tl_capture *c);
/* Owners by socket inode for snapshots (src/owners.h); NULL without the
 * iterator. */
struct tl_owners;
struct tl_owners *tl_capture_owners(struct tl_capture *c);
/* A cgroup v2 id's path from the v2 root, or NULL (ctx: the capture; the
 * shape of tl_cgroup_path_fn). */
const char *tl_capture_cgroup_path(void *ctx, uint64_t id);
/* -c's path from the v2 root, or NULL without -c. */
const char *tl_capture_cgroup_filter(const struct tl_capture *c);
/* "tp_btf" or "tracepoint" */
const char *tl_capture_probe_kind(const struct tl_capture *c);
/*
 * The kernel's BPF run-time statistics (kernel.bpf_stats_enabled) are on
 * only while tcplens holds them: on = true takes a hold, false (and
 * tl_capture_close) lets it go, so the sysctl is back to what it was once
 * tcplens exits. 0 or -errno.
 */
int tl_capture_bpf_stats_enable(struct tl_capture *c, bool on);
bool tl_capture_bpf_stats_on(const struct tl_capture *c);
/* Run time and runs summed over the programs tcplens loaded (they count
 * only while statistics are on). 0 or -errno. */
int tl_capture_bpf_stats(const struct tl_capture *c, uint64_t *run_ns, uint64_t *run_cnt);
/* How often the owner should drain when there is no wake-up. */
#define TL_CAPTURE_DRAIN_NS TL_SOURCE_DRAIN_NS

#endif

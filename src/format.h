/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * All text formatting: addresses, ports, durations, byte units, process
 * names, JSON strings. Shared by the monitor and the line modes so that one
 * value always reads the same. Every function writes a NUL-terminated string
 * (truncated to fit) and returns its length.
 */
#ifndef TCPLENS_FORMAT_H
#define TCPLENS_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drops.h"
#include "record.h"

#define TL_ADDR_MAX 46		/* INET6_ADDRSTRLEN */
#define TL_ENDPOINT_MAX 56	/* "[addr]:65535" */
#define TL_COMM_MAX 68		/* 15 bytes, each escaped to \xNN, + NUL */
#define TL_UNKNOWN_COMM "[unknown]"
#define TL_UNKNOWN_PID "-"

/* "10.0.0.1", "::1" (family 4 or 6) */
size_t tl_fmt_addr(char *buf, size_t len, uint8_t family, const uint8_t addr[16]);
/* "10.0.0.1:443", "[::1]:443" */
size_t tl_fmt_endpoint(char *buf, size_t len, uint8_t family, const uint8_t addr[16],
		       uint16_t port);
/* Safe for a terminal: control bytes, DEL, and bytes of invalid UTF-8 become \xNN;
 * a backslash becomes \\. Reads at most n bytes, stops at NUL. */
size_t tl_fmt_escape(char *buf, size_t len, const char *s, size_t n);
/* The record's owner name, escaped, or TL_UNKNOWN_COMM. */
size_t tl_fmt_comm(char *buf, size_t len, const struct tl_record *r);
/* The record's pid, or TL_UNKNOWN_PID. */
size_t tl_fmt_pid(char *buf, size_t len, const struct tl_record *r);
/* The unit of a cgroup path (tl_cgroup_unit: "ssh.service", a container's
 * short id, the tail), escaped; "-" when path is NULL (unknown). */
size_t tl_fmt_unit(char *buf, size_t len, const char *path);
/* A cgroup path, escaped; "-" when NULL (unknown). */
size_t tl_fmt_cgroup_path(char *buf, size_t len, const char *path);
/* "0 B", "999 B", "1.0 KiB", "12.3 MiB", "1.5 GiB" */
size_t tl_fmt_bytes(char *buf, size_t len, uint64_t bytes);
/* "0", "999", "1,000", "4,058,481": totals a person reads at a glance, the
 * same in every locale (never the locale's separator). */
size_t tl_fmt_count(char *buf, size_t len, uint64_t n);
/* "0us", "850us", "12.3ms", "1.20s", "59.9s", "5m03s", "2h05m" */
size_t tl_fmt_duration(char *buf, size_t len, uint64_t ns);
/* The causes of lost events as -b and the monitor name them: "ring 1, map 2,
 * missed 3" (missed counts state changes); all: every cause, else only
 * those with a non-zero count ("" when none). */
size_t tl_fmt_drop_causes(char *buf, size_t len, const struct tl_drops *d, bool all);
/* A JSON string literal with quotes whose value is tl_fmt_escape's text:
 * a control character or invalid UTF-8 byte shown as \xNN on screen is the
 * four characters \xNN once decoded ("\\xNN" in the JSON), a backslash
 * is \\ ("\\\\"). Reads at most n bytes, stops at NUL. */
size_t tl_fmt_json_string(char *buf, size_t len, const char *s, size_t n);
/*
 * part of whole as a percentage that never reads as a rounder answer than
 * it is: "0%" and "100%" only when exact, else "<0.1%", "0.4%", "12%",
 * ">99%"; "-" when whole is 0.
 */
size_t tl_fmt_percent(char *buf, size_t len, uint64_t part, uint64_t whole);
/* "EHOSTUNREACH", "errno 200" for a number with no name, "errno >= 255", "no errno" (0) */
size_t tl_fmt_errno(char *buf, size_t len, int err);
/* A Prometheus/OpenMetrics label value without its quotes: first made safe
 * and valid UTF-8 as tl_fmt_escape does (so "\xNN" stands for a bad byte),
 * then backslash and double quote escaped for the exposition formats.
 * Reads at most n bytes, stops at NUL; never cuts an escape in half. */
size_t tl_fmt_prom_label(char *buf, size_t len, const char *s, size_t n);
/* ns as exact decimal seconds, no exponent, no trailing zeros: "0", "0.0000126",
 * "1.5", "100" (the exposition formats' bucket bounds and sums) */
size_t tl_fmt_seconds_exact(char *buf, size_t len, uint64_t ns);
/* "ok", "refused", "timeout", "aborted", "error" */
const char *tl_fmt_result(uint8_t result);
/* "active" / "passive" (JSON, life); tl_fmt_dir_short: "out" / "in" (monitor) */
const char *tl_fmt_dir(uint8_t dir);
const char *tl_fmt_dir_short(uint8_t dir);
/* "20261202T125500Z": UTC to the second, as in recording file names */
size_t tl_fmt_utc_stamp(char *buf, size_t len, uint64_t ns);
/* A rate in thousandths of a byte per second: "0 B/s", "512 B/s", "8.0 MiB/s" */
size_t tl_fmt_rate(char *buf, size_t len, uint64_t milli_bytes_per_s);
/* A count per second from thousandths: "0", "0.5", "12.0", "1234" (one decimal below 1000) */
size_t tl_fmt_per_s(char *buf, size_t len, uint64_t milli_per_s);
/* A TCP state (the kernel's number) as ss names it: "ESTAB", "LISTEN", "SYN-SENT", ...; "?" */
const char *tl_fmt_tcp_state_short(uint8_t state);

#endif

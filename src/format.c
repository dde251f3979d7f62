// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "cgroup.h"
#include "format.h"

static const char hex[] = "0123456789abcdef";

/* Copy src into buf, truncating to fit; always NUL-terminates when len > 0. */
static size_t put_str(char *buf, size_t len, const char *src)
{
	size_t n = strlen(src);

	if (!len)
		return 0;
	if (n >= len)
		n = len - 1;
	memcpy(buf, src, n);
	buf[n] = '\0';
	return n;
}

__attribute__((format(printf, 3, 4)))
static size_t put_fmt(char *buf, size_t len, const char *fmt, ...)
{
	char tmp[64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	return put_str(buf, len, tmp);
}

/* Dotted quad without inet_ntop: the line modes print two per event. */
static size_t ipv4_text(char *tmp, const uint8_t addr[4])
{
	size_t o = 0;
	unsigned int i, b;

	for (i = 0; i < 4; i++) {
		b = addr[i];
		if (b >= 100) {
			tmp[o++] = (char)('0' + b / 100);
			b %= 100;
			tmp[o++] = (char)('0' + b / 10);
		} else if (b >= 10) {
			tmp[o++] = (char)('0' + b / 10);
		}
		tmp[o++] = (char)('0' + b % 10);
		tmp[o++] = '.';
	}
	tmp[--o] = '\0';
	return o;
}

size_t tl_fmt_addr(char *buf, size_t len, uint8_t family, const uint8_t addr[16])
{
	char tmp[INET6_ADDRSTRLEN];
	const char *s = NULL;
	size_t n;

	if (family == 4) {
		n = ipv4_text(tmp, addr);
		if (n < len) {
			memcpy(buf, tmp, n + 1);
			return n;
		}
		s = tmp;
	} else if (family == 6) {
		s = inet_ntop(AF_INET6, addr, tmp, sizeof(tmp));
	}
	return put_str(buf, len, s ? s : "?");
}

size_t tl_fmt_endpoint(char *buf, size_t len, uint8_t family, const uint8_t addr[16],
		       uint16_t port)
{
	char a[TL_ADDR_MAX];

	tl_fmt_addr(a, sizeof(a), family, addr);
	if (family == 6)
		return put_fmt(buf, len, "[%s]:%u", a, port);
	return put_fmt(buf, len, "%s:%u", a, port);
}

/*
 * Length of the well-formed UTF-8 sequence at s (at most n bytes), or 0 if
 * the bytes there are not one: overlong forms, surrogates and code points
 * above U+10FFFF count as invalid, so each of their bytes gets escaped.
 */
static size_t utf8_len(const unsigned char *s, size_t n, uint32_t *cp)
{
	unsigned char c = s[0];
	size_t need, i;
	uint32_t v, min;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		need = 2;
		v = c & 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		need = 3;
		v = c & 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 4;
		v = c & 0x07;
		min = 0x10000;
	} else {
		return 0;
	}
	if (need > n)
		return 0;
	for (i = 1; i < need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = (v << 6) | (s[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return need;
}

/*
 * Characters never shown as themselves: C0, DEL and C1 controls, and the
 * Unicode format characters that are invisible or act on their
 * neighbours: bidi embeddings, overrides and isolates (U+202A-202E,
 * U+2066-2069) and marks (U+200E, U+200F, U+061C) can reorder the rest of
 * a line on screen; zero-width ones (U+200B-200D, U+2060-2064, the BOM
 * U+FEFF), the soft hyphen, line and paragraph separators, interlinear
 * annotations and the Mongolian vowel separator hide or split text. They
 * are escaped byte by byte like controls, so the same bytes read the same
 * everywhere.
 */
static int is_control(uint32_t cp)
{
	if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
		return 1;
	if (cp < 0xad)
		return 0;
	return cp == 0xad || cp == 0x61c || cp == 0x180e ||
	       (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x2028 && cp <= 0x202e) ||
	       (cp >= 0x2060 && cp <= 0x2069) || (cp >= 0x206a && cp <= 0x206f) ||
	       cp == 0xfeff || (cp >= 0xfff9 && cp <= 0xfffb);
}

/* Bytes up to the first NUL, at most n. */
static size_t bounded_len(const char *s, size_t n)
{
	const char *z = memchr(s, '\0', n);

	return z ? (size_t)(z - s) : n;
}

/* Leading bytes of u[0..n) that are printable ASCII other than '\\' and `also`. */
static size_t plain_len(const unsigned char *u, size_t n, unsigned char also)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (u[i] < 0x20 || u[i] > 0x7e || u[i] == '\\' || u[i] == also)
			break;
	}
	return i;
}

/*
 * The text of the character at u[0..n): itself, two backslashes for one, or
 * \xNN for each byte of a control character or of invalid UTF-8. Sets
 * *step to the bytes read; returns the length written to unit (<= 16).
 */
static size_t escape_unit(const unsigned char *u, size_t n, char *unit, size_t *step)
{
	uint32_t cp;
	size_t ulen = 0, k, i;

	k = utf8_len(u, n, &cp);
	if (k && !is_control(cp) && cp != '\\') {
		memcpy(unit, u, k);
		*step = k;
		return k;
	}
	if (k && cp == '\\') {
		unit[0] = '\\';
		unit[1] = '\\';
		*step = 1;
		return 2;
	}
	/* a control character (every byte of it) or one invalid byte */
	k = k ? k : 1;
	for (i = 0; i < k; i++) {
		unit[ulen++] = '\\';
		unit[ulen++] = 'x';
		unit[ulen++] = hex[u[i] >> 4];
		unit[ulen++] = hex[u[i] & 15];
	}
	*step = k;
	return ulen;
}

size_t tl_fmt_escape(char *buf, size_t len, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t in = 0, out = 0, end, step, ulen;
	char unit[16];

	if (!len)
		return 0;
	end = bounded_len(s, n);
	/* the common name: printable ASCII, no backslash, copied as is */
	if (end < len && plain_len(u, end, '\\') == end) {
		memcpy(buf, s, end);
		buf[end] = '\0';
		return end;
	}
	while (in < end) {
		ulen = escape_unit(u + in, end - in, unit, &step);
		/* never cut an escape or a character in half */
		if (out + ulen >= len)
			break;
		memcpy(buf + out, unit, ulen);
		out += ulen;
		in += step;
	}
	buf[out] = '\0';
	return out;
}

/*
 * The exposition formats escape only backslash, double quote and newline in
 * label values; tl_fmt_escape has already turned newlines (and every other
 * control byte) into \xNN, so what is left to escape is \ and ".
 */
size_t tl_fmt_prom_label(char *buf, size_t len, const char *s, size_t n)
{
	char safe[1024];
	size_t in, out = 0, k;

	if (!len)
		return 0;
	k = tl_fmt_escape(safe, sizeof(safe), s, n);
	for (in = 0; in < k; in++) {
		size_t need = safe[in] == '\\' || safe[in] == '"' ? 2 : 1;

		if (out + need >= len) {
			/* never leave half a UTF-8 character behind */
			while (in > 0 && out > 0 && ((unsigned char)safe[in] & 0xc0) == 0x80) {
				in--;
				out--;
			}
			break;
		}
		if (need == 2)
			buf[out++] = '\\';
		buf[out++] = safe[in];
	}
	buf[out] = '\0';
	return out;
}

size_t tl_fmt_seconds_exact(char *buf, size_t len, uint64_t ns)
{
	char frac[10];
	int digits = 9;

	if (ns % 1000000000ull == 0)
		return put_fmt(buf, len, "%llu", (unsigned long long)(ns / 1000000000ull));
	snprintf(frac, sizeof(frac), "%09llu", (unsigned long long)(ns % 1000000000ull));
	while (digits > 1 && frac[digits - 1] == '0')
		digits--;
	frac[digits] = '\0';
	return put_fmt(buf, len, "%llu.%s", (unsigned long long)(ns / 1000000000ull), frac);
}

size_t tl_fmt_comm(char *buf, size_t len, const struct tl_record *r)
{
	if (!r->owner_known)
		return put_str(buf, len, TL_UNKNOWN_COMM);
	return tl_fmt_escape(buf, len, r->comm, sizeof(r->comm));
}

size_t tl_fmt_unit(char *buf, size_t len, const char *path)
{
	char unit[256];

	if (!path)
		return put_str(buf, len, "-");
	tl_cgroup_unit(unit, sizeof(unit), path);
	return tl_fmt_escape(buf, len, unit, sizeof(unit));
}

size_t tl_fmt_cgroup_path(char *buf, size_t len, const char *path)
{
	if (!path)
		return put_str(buf, len, "-");
	return tl_fmt_escape(buf, len, path, strlen(path));
}

size_t tl_fmt_pid(char *buf, size_t len, const struct tl_record *r)
{
	if (!r->owner_known)
		return put_str(buf, len, TL_UNKNOWN_PID);
	return put_fmt(buf, len, "%u", r->pid);
}

size_t tl_fmt_bytes(char *buf, size_t len, uint64_t bytes)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	unsigned int u = 0;
	long double v;
	uint64_t tenths;

	if (bytes < 1024)
		return put_fmt(buf, len, "%u B", (unsigned int)bytes);
	v = (long double)bytes / 1024;
	/* round first, so 1023.96 KiB reads as 1.0 MiB, not 1024.0 KiB */
	for (;;) {
		tenths = (uint64_t)(v * 10 + 0.5L);
		if (tenths < 10240 || u == sizeof(units) / sizeof(units[0]) - 1)
			break;
		v /= 1024;
		u++;
	}
	return put_fmt(buf, len, "%llu.%llu %s", (unsigned long long)(tenths / 10),
		       (unsigned long long)(tenths % 10), units[u]);
}

size_t tl_fmt_count(char *buf, size_t len, uint64_t n)
{
	char tmp[32];		/* 20 digits and 6 commas */
	size_t o = sizeof(tmp) - 1;
	int digits = 0;

	tmp[o] = '\0';
	do {
		if (digits && digits % 3 == 0)
			tmp[--o] = ',';
		tmp[--o] = (char)('0' + n % 10);
		n /= 10;
		digits++;
	} while (n);
	return put_str(buf, len, tmp + o);
}

size_t tl_fmt_duration(char *buf, size_t len, uint64_t ns)
{
	/*
	 * Three significant digits while that reads well, then clock-like
	 * forms. Each step rounds at its own precision and moves on when
	 * the rounding reaches the next step's range.
	 */
	unsigned long long t;

	t = (ns + 500) / 1000;
	if (t < 1000)
		return put_fmt(buf, len, "%lluus", t);
	t = (ns + 5000) / 10000;
	if (t < 1000)
		return put_fmt(buf, len, "%llu.%02llums", t / 100, t % 100);
	t = (ns + 50000) / 100000;
	if (t < 1000)
		return put_fmt(buf, len, "%llu.%llums", t / 10, t % 10);
	t = (ns + 500000) / 1000000;
	if (t < 1000)
		return put_fmt(buf, len, "%llums", t);
	t = (ns + 5000000) / 10000000;
	if (t < 1000)
		return put_fmt(buf, len, "%llu.%02llus", t / 100, t % 100);
	t = (ns + 50000000) / 100000000;
	if (t < 600)
		return put_fmt(buf, len, "%llu.%llus", t / 10, t % 10);
	t = (ns + 500000000) / 1000000000;
	if (t < 3600)
		return put_fmt(buf, len, "%llum%02llus", t / 60, t % 60);
	t = (ns + 30000000000ULL) / 60000000000ULL;
	if (t < 24 * 60)
		return put_fmt(buf, len, "%lluh%02llum", t / 60, t % 60);
	t = (ns + 1800000000000ULL) / 3600000000000ULL;
	return put_fmt(buf, len, "%llud%02lluh", t / 24, t % 24);
}

size_t tl_fmt_json_string(char *buf, size_t len, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t in = 0, out = 0, end, i, k, step, ulen;
	char unit[16], ju[32];

	if (len < 3)
		return put_str(buf, len, "");
	buf[out++] = '"';
	end = bounded_len(s, n);
	/* the common name: printable ASCII, no quote or backslash */
	if (end + 3 <= len && plain_len(u, end, '"') == end) {
		memcpy(buf + 1, s, end);
		buf[end + 1] = '"';
		buf[end + 2] = '\0';
		return end + 2;
	}
	while (in < end) {
		/* the value is the text the screen shows (tl_fmt_escape's), so that
		 * the same bytes read the same everywhere: \xff on screen is
		 * "\\xff" here; the units hold no control character, only the
		 * quote and the backslash need JSON's escapes */
		ulen = escape_unit(u + in, end - in, unit, &step);
		for (i = 0, k = 0; i < ulen; i++) {
			if (unit[i] == '"' || unit[i] == '\\')
				ju[k++] = '\\';
			ju[k++] = unit[i];
		}
		/* keep room for the closing quote and the NUL */
		if (out + k + 2 > len)
			break;
		memcpy(buf + out, ju, k);
		out += k;
		in += step;
	}
	buf[out++] = '"';
	buf[out] = '\0';
	return out;
}

size_t tl_fmt_percent(char *buf, size_t len, uint64_t part, uint64_t whole)
{
	double pct;

	if (!whole)
		return put_fmt(buf, len, "-");
	if (!part)
		return put_fmt(buf, len, "0%%");
	if (part >= whole)
		return put_fmt(buf, len, "100%%");
	pct = (double)part * 100.0 / (double)whole;
	if (pct < 0.1)
		return put_fmt(buf, len, "<0.1%%");
	if (pct < 9.95)
		return put_fmt(buf, len, "%.1f%%", pct);
	if (pct >= 99.5)
		return put_fmt(buf, len, ">99%%");
	return put_fmt(buf, len, "%.0f%%", pct);
}

size_t tl_fmt_errno(char *buf, size_t len, int err)
{
	const char *name = err > 0 && err < 255 ? strerrorname_np(err) : NULL;

	if (err >= 255)
		return put_fmt(buf, len, "errno >= 255");
	if (!err)
		return put_fmt(buf, len, "no errno");
	if (!name)
		return put_fmt(buf, len, "errno %d", err);
	return put_fmt(buf, len, "%s", name);
}

const char *tl_fmt_result(uint8_t result)
{
	switch (result) {
	case TL_REC_OK:
		return "ok";
	case TL_REC_REFUSED:
		return "refused";
	case TL_REC_TIMEOUT:
		return "timeout";
	case TL_REC_ABORTED:
		return "aborted";
	default:
		return "error";
	}
}

const char *tl_fmt_dir(uint8_t dir)
{
	switch (dir) {
	case TL_REC_ACTIVE:
		return "active";
	case TL_REC_PASSIVE:
		return "passive";
	default:
		return "unknown";
	}
}

const char *tl_fmt_dir_short(uint8_t dir)
{
	switch (dir) {
	case TL_REC_ACTIVE:
		return "out";
	case TL_REC_PASSIVE:
		return "in";
	default:
		return "?";
	}
}

size_t tl_fmt_drop_causes(char *buf, size_t len, const struct tl_drops *d, bool all)
{
	static const char *const name[] = { "ring", "map", "missed" };
	uint64_t val[] = { d->ringbuf, d->map, d->missed };
	char tmp[96];
	size_t i, o = 0;

	tmp[0] = '\0';
	for (i = 0; i < sizeof(val) / sizeof(val[0]); i++) {
		if (!all && !val[i])
			continue;
		o += (size_t)snprintf(tmp + o, sizeof(tmp) - o, "%s%s %llu", o ? ", " : "", name[i],
				      (unsigned long long)val[i]);
	}
	return put_str(buf, len, tmp);
}

size_t tl_fmt_utc_stamp(char *buf, size_t len, uint64_t ns)
{
	time_t t = (time_t)(ns / 1000000000u);
	struct tm tm;
	int n;

	if (!gmtime_r(&t, &tm))
		memset(&tm, 0, sizeof(tm));
	n = snprintf(buf, len, "%04d%02d%02dT%02d%02d%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
		     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	return n < 0 ? 0 : (size_t)n < len ? (size_t)n : len ? len - 1 : 0;
}

size_t tl_fmt_rate(char *buf, size_t len, uint64_t milli_bytes_per_s)
{
	char b[48];

	/* rounded to whole bytes, so 0.6 B/s reads as 1 B/s and not as 0 */
	tl_fmt_bytes(b, sizeof(b), milli_bytes_per_s / 1000 + (milli_bytes_per_s % 1000 >= 500));
	return put_fmt(buf, len, "%s/s", b);
}

size_t tl_fmt_per_s(char *buf, size_t len, uint64_t milli_per_s)
{
	uint64_t tenths = (milli_per_s + 50) / 100;

	if (tenths >= 10000)
		return put_fmt(buf, len, "%llu", (unsigned long long)((milli_per_s + 500) / 1000));
	if (!tenths)
		return put_fmt(buf, len, "0");
	return put_fmt(buf, len, "%llu.%llu", (unsigned long long)(tenths / 10),
		       (unsigned long long)(tenths % 10));
}

const char *tl_fmt_tcp_state_short(uint8_t state)
{
	/* include/net/tcp_states.h numbering; names as ss(8) prints them */
	static const char *const names[] = {
		[1] = "ESTAB", [2] = "SYN-SENT", [3] = "SYN-RECV", [4] = "FIN-WAIT-1",
		[5] = "FIN-WAIT-2", [6] = "TIME-WAIT", [7] = "CLOSE", [8] = "CLOSE-WAIT",
		[9] = "LAST-ACK", [10] = "LISTEN", [11] = "CLOSING", [12] = "NEW-SYN-RECV",
	};

	if (state < sizeof(names) / sizeof(names[0]) && names[state])
		return names[state];
	return "?";
}

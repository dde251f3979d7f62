// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "format.h"
#include "tests/unit/tap.h"

static uint8_t a4[16], a6[16];

static const char *addr(uint8_t family, const char *text)
{
	static char buf[TL_ADDR_MAX];
	uint8_t *a = family == 4 ? a4 : a6;

	memset(a, 0, 16);
	inet_pton(family == 4 ? AF_INET : AF_INET6, text, a);
	tl_fmt_addr(buf, sizeof(buf), family, a);
	return buf;
}

static const char *endpoint(uint8_t family, const char *text, uint16_t port)
{
	static char buf[TL_ENDPOINT_MAX];
	uint8_t a[16] = { 0 };

	inet_pton(family == 4 ? AF_INET : AF_INET6, text, a);
	tl_fmt_endpoint(buf, sizeof(buf), family, a, port);
	return buf;
}

static const char *bytes(uint64_t b)
{
	static char buf[32];

	tl_fmt_bytes(buf, sizeof(buf), b);
	return buf;
}

static const char *dur(uint64_t ns)
{
	static char buf[32];

	tl_fmt_duration(buf, sizeof(buf), ns);
	return buf;
}

static const char *esc(const char *s)
{
	static char buf[256];

	tl_fmt_escape(buf, sizeof(buf), s, strlen(s));
	return buf;
}

static const char *js(const char *s)
{
	static char buf[256];

	tl_fmt_json_string(buf, sizeof(buf), s, strlen(s));
	return buf;
}

static void test_addresses(void)
{
	char small[6];
	size_t n;

	is_str(addr(4, "10.0.0.1"), "10.0.0.1", "IPv4 address");
	is_str(addr(4, "255.255.255.255"), "255.255.255.255", "IPv4 broadcast");
	is_str(addr(4, "0.0.0.0"), "0.0.0.0", "IPv4 any");
	is_str(addr(6, "::1"), "::1", "IPv6 loopback");
	is_str(addr(6, "::"), "::", "IPv6 any");
	is_str(addr(6, "fe80:0:0:0:0:0:0:1"), "fe80::1", "IPv6 zero run compressed");
	is_str(addr(6, "2001:db8:1:2:3:4:5:6"), "2001:db8:1:2:3:4:5:6", "IPv6 full");
	is_str(addr(6, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
	       "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "IPv6 longest form fits TL_ADDR_MAX");
	is_str(addr(6, "::ffff:1.2.3.4"), "::ffff:1.2.3.4", "IPv4-mapped given as family 6");
	is_str(addr(9, "1.2.3.4"), "?", "unknown family");

	a4[0] = 192; a4[1] = 168; a4[2] = 100; a4[3] = 200;
	n = tl_fmt_addr(small, sizeof(small), 4, a4);
	is_str(small, "192.1", "address truncated to the buffer");
	is_int(n, 5, "truncated length returned");
	is_int(tl_fmt_addr(small, 0, 4, a4), 0, "zero-length buffer writes nothing");

	is_str(endpoint(4, "10.0.0.1", 443), "10.0.0.1:443", "IPv4 endpoint");
	is_str(endpoint(4, "127.0.0.1", 65535), "127.0.0.1:65535", "IPv4 endpoint, max port");
	is_str(endpoint(6, "::1", 443), "[::1]:443", "IPv6 endpoint in brackets");
	is_str(endpoint(6, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 65535),
	       "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535", "longest endpoint fits");
	is_str(endpoint(6, "2001:db8::5", 0), "[2001:db8::5]:0", "port 0");
}

static void test_bytes(void)
{
	is_str(bytes(0), "0 B", "0 bytes");
	is_str(bytes(999), "999 B", "999 bytes");
	is_str(bytes(1023), "1023 B", "1023 bytes");
	is_str(bytes(1024), "1.0 KiB", "1 KiB");
	is_str(bytes(1536), "1.5 KiB", "1.5 KiB");
	is_str(bytes(10 * 1024 + 51), "10.0 KiB", "10.05 KiB rounds down");
	is_str(bytes(1048575), "1.0 MiB", "1023.999 KiB rounds up into MiB");
	is_str(bytes(12897485), "12.3 MiB", "12.3 MiB");
	is_str(bytes(1610612736ULL), "1.5 GiB", "1.5 GiB");
	is_str(bytes(5ULL << 40), "5.0 TiB", "5 TiB");
	is_str(bytes(UINT64_MAX), "16.0 EiB", "largest value");
}

static void test_durations(void)
{
	is_str(dur(0), "0us", "0");
	is_str(dur(499), "0us", "499 ns rounds to 0us");
	is_str(dur(850000), "850us", "850us");
	is_str(dur(999499), "999us", "just under 1 ms");
	is_str(dur(999500), "1.00ms", "rounds up into ms");
	is_str(dur(1234567), "1.23ms", "1.23ms");
	is_str(dur(9999999), "10.0ms", "9.999999 ms rounds to 10.0ms");
	is_str(dur(12300000), "12.3ms", "12.3ms");
	is_str(dur(123456789), "123ms", "123ms");
	is_str(dur(999400000), "999ms", "999ms");
	is_str(dur(999600000), "1.00s", "rounds up into seconds");
	is_str(dur(1200000000), "1.20s", "1.20s");
	is_str(dur(59900000000ULL), "59.9s", "59.9s");
	is_str(dur(59960000000ULL), "1m00s", "59.96 s rounds to 1m00s");
	is_str(dur(303000000000ULL), "5m03s", "5m03s");
	is_str(dur(3599000000000ULL), "59m59s", "59m59s");
	is_str(dur(7500000000000ULL), "2h05m", "2h05m");
	is_str(dur(23ULL * 3600 * 1000000000 + 59ULL * 60 * 1000000000), "23h59m", "23h59m");
	is_str(dur(76ULL * 3600 * 1000000000), "3d04h", "3d04h");
}

static const char *cnt(uint64_t n)
{
	static char buf[32];

	tl_fmt_count(buf, sizeof(buf), n);
	return buf;
}

static void test_counts(void)
{
	char small[4];
	size_t n;

	is_str(cnt(0), "0", "count 0");
	is_str(cnt(999), "999", "count 999: no separator");
	is_str(cnt(1000), "1,000", "count 1000");
	is_str(cnt(4058481), "4,058,481", "count 4058481 (the status line's sessions)");
	is_str(cnt(100000), "100,000", "count 100000");
	is_str(cnt(1000000), "1,000,000", "count 1000000");
	is_str(cnt(UINT64_MAX), "18,446,744,073,709,551,615", "count UINT64_MAX");
	n = tl_fmt_count(small, sizeof(small), 12345);
	ok(n == 3 && !strcmp(small, "12,"), "count cut to the buffer, NUL-terminated (%s)", small);
}

static void test_escape(void)
{
	char buf[8];
	size_t n;

	is_str(esc("curl"), "curl", "plain ASCII unchanged");
	is_str(esc("a\x1b[2Jb"), "a\\x1b[2Jb", "ESC escaped");
	is_str(esc("\t\n\r"), "\\x09\\x0a\\x0d", "C0 controls escaped");
	is_str(esc("\x01\x1f"), "\\x01\\x1f", "C0 edges");
	is_str(esc("del\x7f"), "del\\x7f", "DEL escaped");
	is_str(esc("a\\b"), "a\\\\b", "backslash doubled");
	is_str(esc("caf\xc3\xa9"), "caf\xc3\xa9", "valid UTF-8 passes");
	is_str(esc("\xe6\x97\xa5\xe6\x9c\xac"), "\xe6\x97\xa5\xe6\x9c\xac", "CJK passes");
	is_str(esc("\xf0\x9f\x98\x80"), "\xf0\x9f\x98\x80", "4-byte character passes");
	is_str(esc("\xc2\xa0"), "\xc2\xa0", "U+00A0 is not a control");
	is_str(esc("\xc2\x80"), "\\xc2\\x80", "C1 U+0080 escaped byte by byte");
	is_str(esc("x\xc2\x9b" "31m"), "x\\xc2\\x9b31m", "C1 CSI escaped");
	is_str(esc("\xc2\x9f"), "\\xc2\\x9f", "C1 U+009F escaped");
	is_str(esc("\x9b"), "\\x9b", "raw C1 byte (invalid UTF-8) escaped");
	is_str(esc("\xff"), "\\xff", "0xff escaped");
	is_str(esc("a\xe6\x97"), "a\\xe6\\x97", "truncated sequence: each byte escaped");
	is_str(esc("\xe6\x97z"), "\\xe6\\x97z", "sequence cut by ASCII");
	is_str(esc("\xc0\xaf"), "\\xc0\\xaf", "overlong '/' escaped");
	is_str(esc("\xe0\x80\xaf"), "\\xe0\\x80\\xaf", "3-byte overlong escaped");
	is_str(esc("\xed\xa0\x80"), "\\xed\\xa0\\x80", "UTF-16 surrogate escaped");
	is_str(esc("\xf4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80", "above U+10FFFF escaped");
	is_str(esc("\xa9x"), "\\xa9x", "lone continuation byte escaped");
	/* format characters that reorder or hide text on screen */
	is_str(esc("a\xe2\x80\xae" "b"), "a\\xe2\\x80\\xae" "b", "U+202E RIGHT-TO-LEFT OVERRIDE escaped");
	is_str(esc("\xe2\x80\xaa"), "\\xe2\\x80\\xaa", "U+202A, the first embedding");
	is_str(esc("\xe2\x81\xa6x\xe2\x81\xa9"), "\\xe2\\x81\\xa6x\\xe2\\x81\\xa9",
	       "U+2066 and U+2069, the isolates");
	is_str(esc("\xe2\x80\x8b"), "\\xe2\\x80\\x8b", "U+200B ZERO WIDTH SPACE");
	is_str(esc("\xe2\x80\x8f"), "\\xe2\\x80\\x8f", "U+200F RIGHT-TO-LEFT MARK");
	is_str(esc("\xef\xbb\xbfx"), "\\xef\\xbb\\xbfx", "U+FEFF, the BOM");
	is_str(esc("\xe2\x80\xa8"), "\\xe2\\x80\\xa8", "U+2028 LINE SEPARATOR");
	is_str(esc("\xc2\xad"), "\\xc2\\xad", "U+00AD SOFT HYPHEN");
	is_str(esc("\xe2\x80\x94"), "\xe2\x80\x94", "U+2014 EM DASH is text");
	is_str(esc("\xe2\x80\xaf"), "\xe2\x80\xaf", "U+202F NARROW NO-BREAK SPACE is text");

	tl_fmt_escape(buf, sizeof(buf), "abcdef", 3);
	is_str(buf, "abc", "reads at most n bytes");
	tl_fmt_escape(buf, sizeof(buf), "ab\0cd", 5);
	is_str(buf, "ab", "stops at NUL");
	n = tl_fmt_escape(buf, 6, "\x01\x02", 2);
	is_str(buf, "\\x01", "escape never cut in half");
	is_int(n, 4, "length of truncated escape");
	n = tl_fmt_escape(buf, 3, "\xc3\xa9\xc3\xa9", 4);
	is_str(buf, "\xc3\xa9", "character never cut in half");
	n = tl_fmt_escape(buf, 2, "\xc3\xa9", 2);
	is_str(buf, "", "no room for a character: empty");
	is_int(n, 0, "empty length");
}

static void test_owner(void)
{
	struct tl_record r;
	char buf[TL_COMM_MAX];

	memset(&r, 0, sizeof(r));
	r.pid = 4321;
	memcpy(r.comm, "nginx", 6);
	tl_fmt_comm(buf, sizeof(buf), &r);
	is_str(buf, TL_UNKNOWN_COMM, "unknown owner: comm");
	tl_fmt_pid(buf, sizeof(buf), &r);
	is_str(buf, TL_UNKNOWN_PID, "unknown owner: pid");
	is_str(TL_UNKNOWN_COMM, "[unknown]", "unknown comm text");
	is_str(TL_UNKNOWN_PID, "-", "unknown pid text");

	r.owner_known = 1;
	tl_fmt_comm(buf, sizeof(buf), &r);
	is_str(buf, "nginx", "known owner: comm");
	tl_fmt_pid(buf, sizeof(buf), &r);
	is_str(buf, "4321", "known owner: pid");

	/* a comm with no NUL: at most 16 bytes read, every one escaped */
	memset(r.comm, 0x1b, sizeof(r.comm));
	is_int(tl_fmt_comm(buf, sizeof(buf), &r), 64, "16 escaped bytes fit TL_COMM_MAX");
	ok(strncmp(buf, "\\x1b\\x1b", 8) == 0 && !strchr(buf, 0x1b), "no raw ESC left");
}

/* A JSON string literal's value (only the escapes tl_fmt_json_string makes). */
static const char *json_value(const char *lit)
{
	static char buf[256];
	size_t o = 0, i, n = strlen(lit);

	for (i = 1; i + 1 < n && o + 1 < sizeof(buf); i++) {
		if (lit[i] == '\\' && i + 2 < n)
			i++;
		buf[o++] = lit[i];
	}
	buf[o] = '\0';
	return buf;
}

static void test_json(void)
{
	char buf[10];
	size_t n;

	is_str(js("curl"), "\"curl\"", "plain string quoted");
	is_str(js(""), "\"\"", "empty string");
	is_str(js("a\"b"), "\"a\\\"b\"", "quote escaped");
	/* the value, once decoded, is the text the screen shows (tl_fmt_escape) */
	is_str(js("a\\b"), "\"a\\\\\\\\b\"", "backslash: \\\\ as on screen, each escaped");
	is_str(js("\n\r\t\b\f"), "\"\\\\x0a\\\\x0d\\\\x09\\\\x08\\\\x0c\"",
	       "control characters: \\xNN as on screen");
	is_str(js("\x1b[2J"), "\"\\\\x1b[2J\"", "ESC as \\x1b");
	is_str(js("\x01\x1f"), "\"\\\\x01\\\\x1f\"", "C0 as \\xNN");
	is_str(js("\x7f"), "\"\\\\x7f\"", "DEL escaped");
	is_str(js("\xc2\x85"), "\"\\\\xc2\\\\x85\"", "C1 U+0085 byte by byte, as on screen");
	is_str(js("\xc2\x9b"), "\"\\\\xc2\\\\x9b\"", "C1 CSI escaped");
	is_str(js("caf\xc3\xa9"), "\"caf\xc3\xa9\"", "valid UTF-8 passes");
	is_str(js("\xff\xfe"), "\"\\\\xff\\\\xfe\"", "invalid bytes as \\xff\\xfe, not U+00FF U+00FE");
	is_str(js("a\xe6\x97"), "\"a\\\\xe6\\\\x97\"", "truncated sequence: each byte");
	is_str(js("/"), "\"/\"", "slash needs no escape");
	is_str(js("a\x1b[2Jb\"\n"), "\"a\\\\x1b[2Jb\\\"\\\\x0a\"", "hostile comm");
	{
		static const char *const names[] = { "a\\b", "\xff\xfe" "x", "\x1b[31m\x07", "q\"\\\x01",
						     "caf\xc3\xa9\xc2\x9b" };
		size_t i;

		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			char e[128];

			strcpy(e, esc(names[i]));
			is_str(json_value(js(names[i])), e, "name %zu: the JSON value is the screen's text",
			       i);
		}
	}

	n = tl_fmt_json_string(buf, sizeof(buf), "abcdefghijk", 11);
	is_str(buf, "\"abcdefg\"", "truncated string keeps its closing quote");
	is_int(n, 9, "truncated length");
	tl_fmt_json_string(buf, 9, "abcdef\x01", 7);
	is_str(buf, "\"abcdef\"", "escape not cut in half");
}

static void test_words(void)
{
	is_str(tl_fmt_result(TL_REC_OK), "ok", "result ok");
	is_str(tl_fmt_result(TL_REC_REFUSED), "refused", "result refused");
	is_str(tl_fmt_result(TL_REC_TIMEOUT), "timeout", "result timeout");
	is_str(tl_fmt_result(TL_REC_ERROR), "error", "result error");
	is_str(tl_fmt_dir(TL_REC_ACTIVE), "active", "dir active");
	is_str(tl_fmt_dir(TL_REC_PASSIVE), "passive", "dir passive");
	is_str(tl_fmt_dir_short(TL_REC_ACTIVE), "out", "dir short out");
	is_str(tl_fmt_dir_short(TL_REC_PASSIVE), "in", "dir short in");
}

static void test_counts_and_drops(void)
{
	struct tl_drops d = { 0 };
	char buf[96];

	tl_fmt_count(buf, sizeof(buf), 0);
	is_str(buf, "0", "count 0");
	tl_fmt_count(buf, sizeof(buf), 999);
	is_str(buf, "999", "count 999: no separator");
	tl_fmt_count(buf, sizeof(buf), 1000);
	is_str(buf, "1,000", "count 1000");
	tl_fmt_count(buf, sizeof(buf), 4058481);
	is_str(buf, "4,058,481", "count 4058481");
	tl_fmt_count(buf, sizeof(buf), UINT64_MAX);
	is_str(buf, "18,446,744,073,709,551,615", "count UINT64_MAX");
	tl_fmt_count(buf, 4, 1234567);
	is_str(buf, "1,2", "count truncated to fit");

	tl_fmt_drop_causes(buf, sizeof(buf), &d, true);
	is_str(buf, "ring 0, map 0, missed 0", "every cause, all zero (-b)");
	tl_fmt_drop_causes(buf, sizeof(buf), &d, false);
	is_str(buf, "", "non-zero causes only, all zero: nothing");
	d.map = 2;
	tl_fmt_drop_causes(buf, sizeof(buf), &d, false);
	is_str(buf, "map 2", "only the cause that lost something");
	d.ringbuf = 1234;
	d.missed = 3;
	tl_fmt_drop_causes(buf, sizeof(buf), &d, false);
	is_str(buf, "ring 1234, map 2, missed 3", "three causes, in -b's order and words");
}

static void test_percent_errno(void)
{
	char buf[32];

	tl_fmt_percent(buf, sizeof(buf), 0, 0);
	is_str(buf, "-", "percent of nothing: unknown");
	tl_fmt_percent(buf, sizeof(buf), 0, 817);
	is_str(buf, "0%", "no failure: 0%%");
	tl_fmt_percent(buf, sizeof(buf), 817, 817);
	is_str(buf, "100%", "all failed: 100%%");
	tl_fmt_percent(buf, sizeof(buf), 1, 3);
	is_str(buf, "33%", "one in three");
	tl_fmt_percent(buf, sizeof(buf), 1, 40);
	is_str(buf, "2.5%", "under 10%%: one decimal");
	tl_fmt_percent(buf, sizeof(buf), 1, 100000);
	is_str(buf, "<0.1%", "one in 100000 never reads as 0%%");
	tl_fmt_percent(buf, sizeof(buf), 99999, 100000);
	is_str(buf, ">99%", "all but one in 100000 never reads as 100%%");
	tl_fmt_percent(buf, sizeof(buf), 199, 200);
	is_str(buf, ">99%", "99.5%% is not rounded up to 100%%");
	tl_fmt_errno(buf, sizeof(buf), EHOSTUNREACH);
	is_str(buf, "EHOSTUNREACH", "errno by name");
	tl_fmt_errno(buf, sizeof(buf), ENETUNREACH);
	is_str(buf, "ENETUNREACH", "another errno by name");
	tl_fmt_errno(buf, sizeof(buf), 0);
	is_str(buf, "no errno", "errno 0");
	tl_fmt_errno(buf, sizeof(buf), 255);
	is_str(buf, "errno >= 255", "errnos past a byte");
	tl_fmt_errno(buf, sizeof(buf), 200);
	is_str(buf, "errno 200", "a number with no name");
}

int main(void)
{
	test_percent_errno();
	test_addresses();
	test_bytes();
	test_durations();
	test_counts();
	test_escape();
	test_owner();
	test_json();
	test_words();
	test_counts_and_drops();
	return tap_done();
}

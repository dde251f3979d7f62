// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The line-mode writers append text by hand instead of printf'ing it. Every
 * expected line here is spelled out, worked out from the formats they
 * replace (bcc's "%-5s %-10s ..."; one literal per column, so a width reads
 * off the source): rounding, widths and their overflow, UTF-8 and escapes
 * cut at a column's edge, and every column option (-w, -s, -T, -t; -L, -x,
 * MIN_MS). Nothing here recomputes what the printers compute.
 */
#include <arpa/inet.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <wchar.h>

#include "format.h"
#include "line.h"
#include "printer.h"
#include "tests/unit/tap.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))
#define TS0 1700000000123456789ULL	/* 2023-11-14 22:13:20.123456789 UTC */

/* ---- the builders' rounding and cutting, alone ---- */

static void test_fixed(void)
{
	static const struct {
		uint64_t value, unit;
		unsigned int decimals;
		const char *want;
	} c[] = {
		/* ms with 2 decimals: steps of 10 us, half a step rounds up */
		{ 0, 1000000, 2, "0.00" },
		{ 4999, 1000000, 2, "0.00" },
		{ 5000, 1000000, 2, "0.01" },
		{ 994999, 1000000, 2, "0.99" },
		{ 995000, 1000000, 2, "1.00" },
		{ 999994999, 1000000, 2, "999.99" },
		{ 999995000, 1000000, 2, "1000.00" },
		{ UINT64_MAX, 1000000, 2, "18446744073709.55" },
		/* ms with 3 decimals (json) */
		{ 499, 1000000, 3, "0.000" },
		{ 500, 1000000, 3, "0.001" },
		{ 1499, 1000000, 3, "0.001" },
		{ 1500, 1000000, 3, "0.002" },
		{ UINT64_MAX, 1000000, 3, "18446744073709.552" },
		/* seconds with 6 (life -t) and 3 (connlat -t) decimals */
		{ 1499, 1000000000, 6, "0.000001" },
		{ 1500, 1000000000, 6, "0.000002" },
		{ 1499999999, 1000000000, 6, "1.500000" },
		{ UINT64_MAX, 1000000000, 6, "18446744073.709552" },
		{ 1499999, 1000000000, 3, "0.001" },
		{ 1500000, 1000000000, 3, "0.002" },
		{ UINT64_MAX, 1000000000, 3, "18446744073.710" },
		/* no decimals: whole units, half rounds up */
		{ 7, 1, 0, "7" },
		{ 4, 10, 0, "0" },
		{ 5, 10, 0, "1" },
		{ 0, 10, 0, "0" },
	};
	char buf[64];
	unsigned int i;
	size_t n;

	for (i = 0; i < N_OF(c); i++) {
		n = tl_fixed_text(buf, sizeof(buf), c[i].value, c[i].unit, c[i].decimals);
		is_str(buf, c[i].want, "fixed %llu/%llu, %u decimals", (unsigned long long)c[i].value,
		       (unsigned long long)c[i].unit, c[i].decimals);
		is_int(n, strlen(c[i].want), "fixed %s: its length", c[i].want);
	}
	n = tl_fixed_text(buf, 4, 1234567, 1000000, 2);
	is_str(buf, "1.2", "fixed: cut to the buffer, NUL kept");
	is_int(n, 3, "fixed: the cut length");
	buf[0] = 'Z';
	is_int(tl_fixed_text(buf, 0, 1, 1, 0), 0, "fixed: no buffer, nothing written");
	is_int(buf[0], 'Z', "fixed: no buffer, untouched");
}

/* tl_line_column's text, as a string */
static const char *column(const char *escaped, unsigned int width)
{
	static struct tl_line l;

	tl_line_init(&l);
	tl_line_column(&l, escaped, width);
	l.buf[l.len] = '\0';
	return l.buf;
}

static void test_column(void)
{
	static const struct {
		const char *escaped;
		unsigned int width;
		const char *want;
	} c[] = {
		{ "abc", 5, "abc  " },
		{ "abcdef", 3, "abc" },
		{ "abc", 3, "abc" },
		{ "", 2, "  " },
		{ "abc", 0, "" },
		/* an escape is never split: \\ is two columns, \xNN four */
		{ "ab\\\\c", 3, "ab " },
		{ "ab\\\\c", 4, "ab\\\\" },
		{ "a\\x1bz", 4, "a   " },
		{ "a\\x1bz", 5, "a\\x1b" },
		{ "a\\x1bz", 6, "a\\x1bz" },
		/* nor a character: a 2-byte UTF-8 letter is one cell */
		{ "caf\xc3\xa9", 3, "caf" },
		{ "caf\xc3\xa9", 4, "caf\xc3\xa9" },
		{ "caf\xc3\xa9", 6, "caf\xc3\xa9  " },
		/* wide characters are two cells, never half shown */
		{ "\xe6\x97\xa5\xe6\x9c\xac", 4, "\xe6\x97\xa5\xe6\x9c\xac" },
		{ "\xe6\x97\xa5\xe6\x9c\xac", 3, "\xe6\x97\xa5 " },
		{ "\xe6\x97\xa5\xe6\x9c\xac", 1, " " },
		{ "\xef\xbc\xa1\xed\x95\x9c", 4, "\xef\xbc\xa1\xed\x95\x9c" },	/* fullwidth A, a Hangul syllable */
		{ "\xef\xbc\xa1\xed\x95\x9c", 3, "\xef\xbc\xa1 " },
		/* an emoji (U+1F600, 4 bytes) next to an escape */
		{ "\xf0\x9f\x98\x80\\xf4", 4, "\xf0\x9f\x98\x80  " },
		{ "\xf0\x9f\x98\x80\\xf4", 5, "\xf0\x9f\x98\x80   " },
		{ "\xf0\x9f\x98\x80\\xf4", 6, "\xf0\x9f\x98\x80\\xf4" },
		/* a combining mark (U+0301) takes no cell: it stays with its letter */
		{ "e\xcc\x81x", 1, "e\xcc\x81" },
		{ "e\xcc\x81x", 2, "e\xcc\x81x" },
		{ "e\xcc\x81x", 3, "e\xcc\x81x " },
	};
	unsigned int i;

	for (i = 0; i < N_OF(c); i++)
		is_str(column(c[i].escaped, c[i].width), c[i].want, "column \"%s\" in %u",
		       c[i].escaped, c[i].width);
	ok(uselocale((locale_t)0) == LC_GLOBAL_LOCALE, "column: the thread's locale is put back");
}

/* ---- whole lines ---- */

static void set_ip(struct tl_record *r, uint8_t family, const char *l, const char *rem)
{
	r->family = family;
	memset(r->laddr, 0, sizeof(r->laddr));
	memset(r->raddr, 0, sizeof(r->raddr));
	inet_pton(family == 4 ? AF_INET : AF_INET6, l, r->laddr);
	inet_pton(family == 4 ? AF_INET : AF_INET6, rem, r->raddr);
}

/* curl, pid 1234, 10.0.0.1:51234 to 10.0.0.2:443, 2 KiB out, 10 KiB in,
 * 1.234567 ms, at TS0 */
static struct tl_record base(uint8_t kind)
{
	struct tl_record r;

	memset(&r, 0, sizeof(r));
	r.kind = kind;
	r.ts_ns = TS0;
	r.owner_known = 1;
	r.pid = 1234;
	strcpy(r.comm, "curl");
	set_ip(&r, 4, "10.0.0.1", "10.0.0.2");
	r.lport = 51234;
	r.rport = 443;
	r.dir = TL_REC_ACTIVE;
	r.tx_bytes = 2048;
	r.rx_bytes = 10240;
	r.span_ns = 1234567;
	return r;
}

/* Everything one printer writes for rs, in order. */
static const char *print(const struct tl_options *o, const struct tl_record *rs, size_t n)
{
	static char *buf;
	size_t len = 0, i;
	struct tl_printer *p;
	FILE *f;

	free(buf);
	buf = NULL;
	f = open_memstream(&buf, &len);
	if (!f)
		return "(no stream)";
	p = tl_printer_new(o, f);
	for (i = 0; p && i < n; i++)
		tl_printer_record(p, &rs[i]);
	tl_printer_free(p);
	fclose(f);
	return buf;
}

/* The names the comm column is cut on: width 10 (life), 12 (connlat), 16 (-w). */
enum {
	C_LONG, C_PUNCT, C_UTF8, C_FF, C_EMOJI, C_BSLASH, C_FULL, C_UNKNOWN, C_CJK, C_CJK_EDGE,
	C_COUNT
};

static void set_comm(struct tl_record *r, int which)
{
	switch (which) {
	case C_LONG:
		strcpy(r->comm, "abcdefghijklmno");
		break;
	case C_PUNCT:	/* escaped a"b\\c,d~ e\x1f\x7fz! */
		strcpy(r->comm, "a\"b\\c,d~ e\x1f\x7fz!");
		break;
	case C_UTF8:	/* cafe with an acute accent, a space, two CJK ideographs */
		strcpy(r->comm, "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac");
		break;
	case C_FF:	/* 16 invalid bytes, no NUL: \xff 16 times */
		memset(r->comm, 0xff, sizeof(r->comm));
		break;
	case C_EMOJI:	/* U+1F600, then a code point past U+10FFFF and a surrogate,
			 * byte by byte invalid: \xf4\x90\x80\x80\xed\xa0\x80 */
		strcpy(r->comm, "\xf0\x9f\x98\x80\xf4\x90\x80\x80\xed\xa0\x80");
		break;
	case C_BSLASH:	/* the tenth byte is a backslash, two columns once escaped */
		strcpy(r->comm, "abcdefghi\\");
		break;
	case C_FULL:	/* 16 bytes, no NUL */
		memcpy(r->comm, "0123456789abcdef", 16);
		break;
	case C_UNKNOWN:
		r->owner_known = 0;
		break;
	case C_CJK:	/* five ideographs, 15 bytes: ten cells */
		strcpy(r->comm, "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe6\x97\xa5\xe6\x9c\xac");
		break;
	case C_CJK_EDGE:	/* abc and four ideographs: the fourth straddles cell 10 */
		strcpy(r->comm, "abc\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe6\x97\xa5");
		break;
	}
}

static void test_life(void)
{
	static const char *const comm10[C_COUNT] = {
		[C_LONG] = "abcdefghij",
		[C_PUNCT] = "a\"b\\\\c,d~ ",
		[C_UTF8] = "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac ",
		[C_FF] = "\\xff\\xff  ",
		[C_EMOJI] = "\xf0\x9f\x98\x80\\xf4\\x90",
		[C_BSLASH] = "abcdefghi ",
		[C_FULL] = "0123456789",
		[C_UNKNOWN] = "[unknown] ",
		[C_CJK] = "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe6\x97\xa5\xe6\x9c\xac",
		[C_CJK_EDGE] = "abc\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e ",
	};
	static const char *const comm16[C_COUNT] = {
		[C_LONG] = "abcdefghijklmno ",
		[C_PUNCT] = "a\"b\\\\c,d~ e\\x1f ",
		[C_UTF8] = "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac       ",
		[C_FF] = "\\xff\\xff\\xff\\xff",
		[C_EMOJI] = "\xf0\x9f\x98\x80\\xf4\\x90\\x80  ",
		[C_BSLASH] = "abcdefghi\\\\     ",
		[C_FULL] = "0123456789abcdef",
		[C_UNKNOWN] = "[unknown]       ",
		[C_CJK] = "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe6\x97\xa5\xe6\x9c\xac      ",
		[C_CJK_EDGE] = "abc\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe6\x97\xa5     ",
	};
	static const char *const csv[C_COUNT] = {
		[C_LONG] = "abcdefghijklmno",
		[C_PUNCT] = "\"a\"\"b\\\\c,d~ e\\x1f\\x7fz!\"",
		[C_UTF8] = "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac",
		[C_FF] = "\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff",
		[C_EMOJI] = "\xf0\x9f\x98\x80\\xf4\\x90\\x80\\x80\\xed\\xa0\\x80",
		[C_BSLASH] = "abcdefghi\\\\",
		[C_FULL] = "0123456789abcdef",
		[C_UNKNOWN] = "[unknown]",
		[C_CJK] = "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe6\x97\xa5\xe6\x9c\xac",
		[C_CJK_EDGE] = "abc\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe6\x97\xa5",
	};
	struct tl_options o = { .mode = TL_MODE_LIFE };
	struct tl_record r = base(TL_REC_SESSION), rs[4];
	char want[512];
	int i;

	is_str(print(&o, &r, 1),
	       "1234  " "curl       " "10.0.0.1        " "51234 " "10.0.0.2        " "443   "
	       "    2 " "   10 " "1.23\n",
	       "life: every column at its width");
	o.wide = true;
	is_str(print(&o, &r, 1),
	       "1234  " "curl             " "4  " "10.0.0.1                   " "51234 "
	       "10.0.0.2                   " "443   " "     2 " "    10 " "1.23\n",
	       "life -w: every column at its width");
	o.wide = false;
	o.csv = true;
	is_str(print(&o, &r, 1), "1234,curl,4,10.0.0.1,51234,10.0.0.2,443,2,10,1.23\n", "life -s");

	/* too wide for their columns: never cut, the next column moves */
	r.pid = UINT32_MAX;
	r.tx_bytes = UINT64_MAX;	/* 18014398509481983 KiB */
	r.rx_bytes = 1023;		/* 0 KiB */
	r.lport = 65535;
	r.rport = 0;
	r.span_ns = UINT64_MAX;
	set_ip(&r, 4, "255.255.255.255", "0.0.0.0");
	o.csv = false;
	is_str(print(&o, &r, 1),
	       "4294967295 " "curl       " "255.255.255.255 " "65535 " "0.0.0.0         " "0     "
	       "18014398509481983 " "    0 " "18446744073709.55\n",
	       "life: maximum values overflow their columns");
	set_ip(&r, 6, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "::1");
	r.tx_bytes = 999 * 1024 + 1023;
	r.rx_bytes = 99999 * 1024;
	r.span_ns = 999995000;
	is_str(print(&o, &r, 1),
	       "4294967295 " "curl       " "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff " "65535 "
	       "::1             " "0     " "  999 " "99999 " "1000.00\n",
	       "life: an IPv6 address past 15 columns, sizes at 5 digits");
	o.wide = true;
	is_str(print(&o, &r, 1),
	       "4294967295 " "curl             " "6  " "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
	       "65535 " "::1                        " "0     " "   999 " " 99999 " "1000.00\n",
	       "life -w: the same in the wide columns");
	r = base(TL_REC_SESSION);
	r.family = 9;
	is_str(print(&o, &r, 1),
	       "1234  " "curl             " "9  " "?                          " "51234 "
	       "?                          " "443   " "     2 " "    10 " "1.23\n",
	       "life -w: an unknown family's addresses are ?");

	for (i = 0; i < C_COUNT; i++) {
		r = base(TL_REC_SESSION);
		set_comm(&r, i);
		o.wide = false;
		o.csv = false;
		snprintf(want, sizeof(want), "%s %s %s%s", r.owner_known ? "1234 " : "-    ",
			 comm10[i],
			 "10.0.0.1        " "51234 " "10.0.0.2        " "443   ",
			 "    2 " "   10 " "1.23\n");
		is_str(print(&o, &r, 1), want, "life: name %d cut at 10 columns", i);
		o.wide = true;
		snprintf(want, sizeof(want), "%s %s %s%s", r.owner_known ? "1234 " : "-    ",
			 comm16[i],
			 "4  " "10.0.0.1                   " "51234 " "10.0.0.2                   ",
			 "443   " "     2 " "    10 " "1.23\n");
		is_str(print(&o, &r, 1), want, "life -w: name %d cut at 16 columns", i);
		o.wide = false;
		o.csv = true;
		snprintf(want, sizeof(want), "%s,%s,4,10.0.0.1,51234,10.0.0.2,443,2,10,1.23\n",
			 r.owner_known ? "1234" : "-", csv[i]);
		is_str(print(&o, &r, 1), want, "life -s: name %d whole, quoted if need be", i);
	}

	/* -T: local time (TZ is UTC here), -t: seconds since the first line,
	 * rounded to the us; a line older than the first reads 0 */
	for (i = 0; i < 4; i++)
		rs[i] = base(TL_REC_SESSION);
	rs[1].ts_ns = TS0 + 1500;
	rs[2].ts_ns = TS0 + 1876543210;
	rs[3].ts_ns = TS0 - 5;
	memset(&o, 0, sizeof(o));
	o.mode = TL_MODE_LIFE;
	o.time_hms = true;
	o.time_rel = true;
#define LIFE_TAIL "1234  " "curl       " "10.0.0.1        " "51234 " "10.0.0.2        " \
		  "443   " "    2 " "   10 " "1.23\n"
	is_str(print(&o, rs, 4),
	       "22:13:20 " "0.000000  " LIFE_TAIL
	       "22:13:20 " "0.000002  " LIFE_TAIL
	       "22:13:21 " "1.876543  " LIFE_TAIL
	       "22:13:20 " "0.000000  " LIFE_TAIL,
	       "life -T -t");
	rs[1].ts_ns = TS0 + 99999999999500ULL;	/* 99999.9999995 s: 12 characters */
	o.time_hms = false;
	is_str(print(&o, rs, 2),
	       "0.000000  " LIFE_TAIL "100000.000000 " LIFE_TAIL,
	       "life -t: past 9 columns the time pushes the line");
	o.time_hms = true;
	o.csv = true;
	rs[1].ts_ns = TS0 + 1500;
	is_str(print(&o, rs, 2),
	       "22:13:20,0.000000,1234,curl,4,10.0.0.1,51234,10.0.0.2,443,2,10,1.23\n"
	       "22:13:20,0.000002,1234,curl,4,10.0.0.1,51234,10.0.0.2,443,2,10,1.23\n",
	       "life -s -T -t");
	o.csv = false;
	o.time_rel = false;
	o.wide = true;
	is_str(print(&o, rs, 1),
	       "22:13:20 " "1234  " "curl             " "4  " "10.0.0.1                   " "51234 "
	       "10.0.0.2                   " "443   " "     2 " "    10 " "1.23\n",
	       "life -w -T");
	/* a connect, or no kind at all: not a life line */
	rs[0].kind = TL_REC_CONNECT;
	rs[1].kind = 0;
	is_str(print(&o, rs, 2), "", "life: only sessions");
#undef LIFE_TAIL
}

/*
 * The terminal's view: the cells before "10.0.0.1" counted by the C
 * library's own wcswidth, in a locale of the test's: a CJK name keeps the
 * address column where the header puts it.
 */
static int cells_before(const char *line, const char *mark, locale_t utf8)
{
	const char *end = strstr(line, mark);
	wchar_t w[256];
	char head[512];
	locale_t old;
	size_t n;
	int cells;

	if (!end || (size_t)(end - line) >= sizeof(head))
		return -1;
	memcpy(head, line, (size_t)(end - line));
	head[end - line] = '\0';
	old = uselocale(utf8);
	n = mbstowcs(w, head, N_OF(w));
	cells = n == (size_t)-1 ? -1 : wcswidth(w, n);
	uselocale(old);
	return cells;
}

static void test_aligned(void)
{
	locale_t utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	struct tl_options o = { .mode = TL_MODE_LIFE };
	struct tl_record r;
	int i, bad[3] = { 0 };

	if (!ok(utf8 != (locale_t)0, "the C.UTF-8 locale exists (glibc 2.35 and later)"))
		return;
	for (i = 0; i < C_COUNT; i++) {
		r = base(TL_REC_SESSION);
		set_comm(&r, i);
		o.mode = TL_MODE_LIFE;
		o.wide = false;
		bad[0] += cells_before(print(&o, &r, 1), "10.0.0.1", utf8) != 5 + 1 + 10 + 1;
		o.wide = true;
		bad[1] += cells_before(print(&o, &r, 1), "10.0.0.1", utf8) != 5 + 1 + 16 + 1 + 2 + 1;
		r.kind = TL_REC_CONNECT;
		o.mode = TL_MODE_CONNLAT;
		o.wide = false;
		bad[2] += cells_before(print(&o, &r, 1), "10.0.0.1", utf8) != 6 + 1 + 12 + 1 + 2 + 1;
	}
	is_int(bad[0], 0, "life: LADDR at cell 17 after every name, CJK and emoji too");
	is_int(bad[1], 0, "life -w: IP at cell 23, LADDR at 26 after every name");
	is_int(bad[2], 0, "connlat: SADDR at cell 24 after every name");
	freelocale(utf8);
}

static void test_connlat(void)
{
	static const char *const comm12[C_COUNT] = {
		[C_LONG] = "abcdefghijkl",
		[C_PUNCT] = "a\"b\\\\c,d~ e ",
		[C_UTF8] = "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac   ",
		[C_FF] = "\\xff\\xff\\xff",
		[C_EMOJI] = "\xf0\x9f\x98\x80\\xf4\\x90  ",
		[C_BSLASH] = "abcdefghi\\\\ ",
		[C_FULL] = "0123456789ab",
		[C_UNKNOWN] = "[unknown]   ",
		[C_CJK] = "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe6\x97\xa5\xe6\x9c\xac  ",
		[C_CJK_EDGE] = "abc\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe6\x97\xa5 ",
	};
	struct tl_options o = { .mode = TL_MODE_CONNLAT };
	struct tl_record r = base(TL_REC_CONNECT), rs[6];
	char want[512];
	int i;

	is_str(print(&o, &r, 1),
	       "1234   " "curl         " "4  " "10.0.0.1         " "10.0.0.2         " "443   "
	       "1.23\n",
	       "connlat: every column at its width");
	o.show_lport = true;
	is_str(print(&o, &r, 1),
	       "1234   " "curl         " "4  " "10.0.0.1         " "51234  " "10.0.0.2         "
	       "443   " "1.23\n",
	       "connlat -L");
	o.show_lport = false;
	for (i = 0; i < C_COUNT; i++) {
		r = base(TL_REC_CONNECT);
		set_comm(&r, i);
		snprintf(want, sizeof(want), "%s %s %s", r.owner_known ? "1234  " : "-     ",
			 comm12[i],
			 "4  " "10.0.0.1         " "10.0.0.2         " "443   " "1.23\n");
		is_str(print(&o, &r, 1), want, "connlat: name %d cut at 12 columns", i);
	}

	/* without -x only answered connects; -x adds the failed ones */
	for (i = 0; i < 6; i++)
		rs[i] = base(TL_REC_CONNECT);
	rs[1].result = TL_REC_REFUSED;
	rs[1].span_ns = 499999;
	rs[2].result = TL_REC_TIMEOUT;
	rs[2].span_ns = 999995000;
	rs[2].retrans = 6;
	rs[3].result = TL_REC_ERROR;
	rs[3].err = -111;
	rs[4].result = TL_REC_ERROR;
	rs[4].err = INT32_MIN;
	rs[4].retrans = UINT32_MAX;
	rs[5].result = TL_REC_ABORTED;
	rs[5].span_ns = 500000;
#define CL_HEAD "1234   " "curl         " "4  " "10.0.0.1         " "10.0.0.2         " "443   "
	is_str(print(&o, rs, 6), CL_HEAD "1.23\n", "connlat: failed connects left out");
	o.extended = true;
	is_str(print(&o, rs, 6),
	       CL_HEAD "1.23      " "ok          " "0\n"
	       CL_HEAD "0.50      " "refused     " "0\n"
	       CL_HEAD "1000.00   " "timeout     " "6\n"
	       CL_HEAD "1.23      " "error(111)  " "0\n"
	       CL_HEAD "1.23      " "error(2147483648) " "4294967295\n"
	       CL_HEAD "0.50      " "aborted     " "0\n",
	       "connlat -x: result and SYN retransmits");
	o.min_ms = 0.5;
	is_str(print(&o, rs, 6),
	       CL_HEAD "1.23      " "ok          " "0\n"
	       CL_HEAD "1000.00   " "timeout     " "6\n"
	       CL_HEAD "1.23      " "error(111)  " "0\n"
	       CL_HEAD "1.23      " "error(2147483648) " "4294967295\n"
	       CL_HEAD "0.50      " "aborted     " "0\n",
	       "connlat -x 0.5: 0.499999 ms left out, 0.5 ms kept");

	/* -t: seconds since the first line, rounded to the ms */
	memset(&o, 0, sizeof(o));
	o.mode = TL_MODE_CONNLAT;
	o.time_rel = true;
	for (i = 0; i < 4; i++)
		rs[i] = base(TL_REC_CONNECT);
	rs[1].ts_ns = TS0 + 1499999;
	rs[2].ts_ns = TS0 + 1500000;
	rs[3].ts_ns = TS0 + 123456789012ULL;	/* 123.457 s: 7 characters of 8 */
	is_str(print(&o, rs, 4),
	       "0.000    " CL_HEAD "1.23\n"
	       "0.001    " CL_HEAD "1.23\n"
	       "0.002    " CL_HEAD "1.23\n"
	       "123.457  " CL_HEAD "1.23\n",
	       "connlat -t");
	o.extended = true;
	o.show_lport = true;
	rs[0].result = TL_REC_TIMEOUT;
	is_str(print(&o, rs, 2),
	       "0.000    " "1234   " "curl         " "4  " "10.0.0.1         " "51234  "
	       "10.0.0.2         " "443   " "1.23      " "timeout     " "0\n"
	       "0.001    " "1234   " "curl         " "4  " "10.0.0.1         " "51234  "
	       "10.0.0.2         " "443   " "1.23      " "ok          " "0\n",
	       "connlat -x -L -t");
	rs[0].kind = TL_REC_SESSION;
	rs[1].kind = 0;
	is_str(print(&o, rs, 2), "", "connlat: only connects");
#undef CL_HEAD
}

static void test_json(void)
{
	struct tl_options o = { .mode = TL_MODE_JSON };
	struct tl_record rs[4];

	rs[0] = base(TL_REC_SESSION);
	rs[1] = base(TL_REC_CONNECT);
	rs[1].result = TL_REC_REFUSED;
	rs[1].err = -111;
	rs[1].retrans = 2;
	rs[1].span_ns = 1500;
	rs[1].ts_ns = 999;
	rs[2] = base(TL_REC_SESSION);
	set_comm(&rs[2], C_UNKNOWN);
	rs[2].dir = TL_REC_PASSIVE;
	rs[2].reset = 1;
	rs[2].adopted = 1;
	rs[2].span_ns = 499;
	rs[2].family = 9;
	rs[3] = base(3);	/* not a record json prints */
	is_str(print(&o, rs, 4),
	       "{\"type\":\"session\",\"ts\":1700000000.123456,\"pid\":1234,\"comm\":\"curl\","
	       "\"family\":4,\"laddr\":\"10.0.0.1\",\"lport\":51234,\"raddr\":\"10.0.0.2\","
	       "\"rport\":443,\"dir\":\"active\",\"tx_bytes\":2048,\"rx_bytes\":10240,"
	       "\"duration_ms\":1.235,\"retrans\":0,\"srtt_us\":0,\"cgroup\":null,"
	       "\"reset\":false,\"opened_before_start\":false}\n"
	       "{\"type\":\"connect\",\"ts\":0.000000,\"pid\":1234,\"comm\":\"curl\","
	       "\"family\":4,\"saddr\":\"10.0.0.1\",\"lport\":51234,\"daddr\":\"10.0.0.2\","
	       "\"dport\":443,\"latency_ms\":0.002,\"result\":\"refused\",\"errno\":111,"
	       "\"syn_retrans\":2,\"cgroup\":null}\n"
	       "{\"type\":\"session\",\"ts\":1700000000.123456,\"pid\":null,\"comm\":null,"
	       "\"family\":9,\"laddr\":\"?\",\"lport\":51234,\"raddr\":\"?\","
	       "\"rport\":443,\"dir\":\"passive\",\"tx_bytes\":2048,\"rx_bytes\":10240,"
	       "\"duration_ms\":0.000,\"retrans\":0,\"srtt_us\":0,\"cgroup\":null,"
	       "\"reset\":true,\"opened_before_start\":true}\n",
	       "json: rounding to the us, an unknown owner and family, flags");
}

/* json at its maximum values. */
static void test_spelled(void)
{
	struct tl_options o = { .mode = TL_MODE_JSON };
	struct tl_record r;
	struct tl_printer *p;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	memset(&r, 0, sizeof(r));
	r.kind = TL_REC_SESSION;
	r.ts_ns = UINT64_MAX;
	r.span_ns = UINT64_MAX;
	r.tx_bytes = UINT64_MAX;
	r.pid = UINT32_MAX;
	r.retrans = UINT32_MAX;
	r.owner_known = 1;
	memcpy(r.comm, "a\"b\\c d~e\x01" "fghij", 15);
	r.family = 4;
	memset(r.laddr, 255, 4);
	r.lport = 65535;
	r.rport = 0;
	r.dir = TL_REC_PASSIVE;
	p = tl_printer_new(&o, f);
	tl_printer_record(p, &r);
	r.kind = TL_REC_CONNECT;
	r.family = 6;
	memset(r.raddr, 0xab, 16);
	r.result = TL_REC_ERROR;
	r.err = -INT32_MAX;
	r.span_ns = 0;
	memcpy(r.comm, "abcdefghijklmno", 16);
	tl_printer_record(p, &r);
	tl_printer_free(p);
	fclose(f);
	is_str(buf,
	       "{\"type\":\"session\",\"ts\":18446744073.709551,\"pid\":4294967295,"
	       "\"comm\":\"a\\\"b\\\\\\\\c d~e\\\\x01fghij\",\"family\":4,"
	       "\"laddr\":\"255.255.255.255\",\"lport\":65535,\"raddr\":\"0.0.0.0\","
	       "\"rport\":0,\"dir\":\"passive\",\"tx_bytes\":18446744073709551615,"
	       "\"rx_bytes\":0,\"duration_ms\":18446744073709.552,\"retrans\":4294967295,"
	       "\"srtt_us\":0,\"cgroup\":null,\"reset\":false,\"opened_before_start\":false}\n"
	       "{\"type\":\"connect\",\"ts\":18446744073.709551,\"pid\":4294967295,"
	       "\"comm\":\"abcdefghijklmno\",\"family\":6,\"saddr\":\"ffff:ffff::\","
	       "\"lport\":65535,\"daddr\":\"abab:abab:abab:abab:abab:abab:abab:abab\","
	       "\"dport\":0,\"latency_ms\":0.000,\"result\":\"error\",\"errno\":2147483647,"
	       "\"syn_retrans\":4294967295,\"cgroup\":null}\n",
	       "json: maximum values spelled out");
	free(buf);
}

/* The copy-as-is paths of format.c at their edges: exact fit, one byte short. */
static void test_format_edges(void)
{
	static const uint8_t quads[][4] = { { 255, 255, 255, 255 }, { 0, 0, 0, 0 },
					    { 1, 10, 100, 9 }, { 99, 100, 199, 200 } };
	char got[64], want[64], full[64];
	unsigned int i, bad = 0;
	size_t len, n;

	for (i = 0; i < sizeof(quads) / sizeof(quads[0]); i++) {
		uint8_t a[16] = { 0 };

		memcpy(a, quads[i], 4);
		inet_ntop(AF_INET, a, full, sizeof(full));
		for (len = 0; len < 20; len++) {
			snprintf(want, sizeof(want), "%.*s", len ? (int)len - 1 : 0, full);
			memset(got, 'Z', sizeof(got));
			n = tl_fmt_addr(got, len, 4, a);
			if (len && (strcmp(got, want) || n != strlen(want)))
				bad++;
			if (!len && (n || got[0] != 'Z'))
				bad++;
		}
	}
	is_int(bad, 0, "IPv4 dotted quads equal inet_ntop's, cut at every buffer size");

	/* 15 printable bytes: copied as is when they fit, else cut as before */
	n = tl_fmt_escape(got, 16, "abcdefghij ~!@#", 16);
	is_str(got, "abcdefghij ~!@#", "escape: 15 plain bytes in 16");
	is_int(n, 15, "escape: length 15");
	n = tl_fmt_escape(got, 15, "abcdefghij ~!@#", 16);
	is_str(got, "abcdefghij ~!@", "escape: one byte short cuts the last");
	n = tl_fmt_json_string(got, 18, "abcdefghij ~!@#", 16);
	is_str(got, "\"abcdefghij ~!@#\"", "json: 15 plain bytes in 18");
	is_int(n, 17, "json: length 17");
	tl_fmt_json_string(got, 17, "abcdefghij ~!@#", 16);
	is_str(got, "\"abcdefghij ~!@\"", "json: one byte short cuts the last");
	/* 15 bytes with every kind of escape */
	tl_fmt_escape(got, sizeof(got), "a\"b\\c\x7f\x1f\xc3\xa9\xff,~ \t", 16);
	is_str(got, "a\"b\\\\c\\x7f\\x1f\xc3\xa9\\xff,~ \\x09", "escape: 15 bytes, escapes mixed");
	tl_fmt_json_string(got, sizeof(got), "a\"b\\c\x7f\x1f\xc3\xa9\xff,~ \t", 16);
	is_str(got, "\"a\\\"b\\\\\\\\c\\\\x7f\\\\x1f\xc3\xa9\\\\xff,~ \\\\x09\"",
	       "json: 15 bytes, escapes mixed: the escape's text, JSON-quoted");
}

int main(void)
{
	/* -T is local time: pin the zone */
	setenv("TZ", "UTC", 1);
	tzset();
	test_fixed();
	test_column();
	test_life();
	test_aligned();
	test_connlat();
	test_json();
	test_spelled();
	test_format_edges();
	return tap_done();
}

// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The line builder (line.h): no printf on the per-record path, no locale. */
#include <locale.h>
#include <stdarg.h>
#include <stdbool.h>
#include <string.h>
#include <wchar.h>

#include "format.h"
#include "line.h"

void tl_line_init(struct tl_line *l)
{
	l->len = 0;
	l->buf[0] = '\0';
}

void tl_line_printf(struct tl_line *l, const char *fmt, ...)
{
	size_t room = sizeof(l->buf) - l->len;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(l->buf + l->len, room, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	l->len += (size_t)n < room ? (size_t)n : room - 1;
}

/* "00" to "99": two digits per division */
static const char digits2[] =
	"0001020304050607080910111213141516171819"
	"2021222324252627282930313233343536373839"
	"4041424344454647484950515253545556575859"
	"6061626364656667686970717273747576777879"
	"8081828384858687888990919293949596979899";

/* v's decimal digits, ending just before `end`; returns where they start. */
static char *u64_text(char *end, uint64_t v)
{
	unsigned int d;

	while (v >= 100) {
		d = (unsigned int)(v % 100) * 2;
		v /= 100;
		*--end = digits2[d + 1];
		*--end = digits2[d];
	}
	if (v >= 10) {
		d = (unsigned int)v * 2;
		*--end = digits2[d + 1];
		*--end = digits2[d];
	} else {
		*--end = (char)('0' + v);
	}
	return end;
}

/* Big enough for "%llu.%0*llu" with any digit count we accept. */
#define NUM_MAX 64
#define FRAC_DIGITS_MAX 40

static size_t u64_zero_text(char *end, uint64_t v, unsigned int digits, char **start)
{
	char *p = u64_text(end, v);

	if (digits > FRAC_DIGITS_MAX)
		digits = FRAC_DIGITS_MAX;
	while ((size_t)(end - p) < digits)
		*--p = '0';
	*start = p;
	return (size_t)(end - p);
}

/* tl_fixed_text's text, ending just before `end` (NUM_MAX bytes before it). */
static size_t fixed_text(char *end, uint64_t value, uint64_t unit, unsigned int decimals,
			 char **start)
{
	uint64_t pow = 1, step, t;
	unsigned int i;
	char *p;

	for (i = 0; i < decimals; i++)
		pow *= 10;
	step = unit / pow;
	if (!step)
		step = 1;
	t = value / step + (value % step >= (step + 1) / 2 && step > 1);
	if (!decimals) {
		p = u64_text(end, t);
	} else {
		u64_zero_text(end, t % pow, decimals, &p);
		*--p = '.';
		p = u64_text(p, t / pow);
	}
	*start = p;
	return (size_t)(end - p);
}

void tl_line_pad_from(struct tl_line *l, size_t start, unsigned int width)
{
	size_t used = l->len - start, room = sizeof(l->buf) - 1 - l->len, n;

	if (used >= width)
		return;
	n = width - used;
	if (n > room)
		n = room;
	memset(l->buf + l->len, ' ', n);
	l->len += n;
}

void tl_line_u64(struct tl_line *l, uint64_t v)
{
	char tmp[24], *p = u64_text(tmp + sizeof(tmp), v);

	tl_line_mem(l, p, (size_t)(tmp + sizeof(tmp) - p));
}

void tl_line_u64_right(struct tl_line *l, uint64_t v, unsigned int width)
{
	char tmp[24], *p = u64_text(tmp + sizeof(tmp), v);
	size_t n = (size_t)(tmp + sizeof(tmp) - p), start = l->len;

	if (n < width)
		tl_line_pad_from(l, start, width - (unsigned int)n);
	tl_line_mem(l, p, n);
}

void tl_line_u64_zero(struct tl_line *l, uint64_t v, unsigned int digits)
{
	char tmp[NUM_MAX], *p;
	size_t n = u64_zero_text(tmp + sizeof(tmp), v, digits, &p);

	tl_line_mem(l, p, n);
}

void tl_line_fixed(struct tl_line *l, uint64_t value, uint64_t unit, unsigned int decimals)
{
	char tmp[NUM_MAX], *p;
	size_t n = fixed_text(tmp + sizeof(tmp), value, unit, decimals, &p);

	tl_line_mem(l, p, n);
}

void tl_line_addr(struct tl_line *l, uint8_t family, const uint8_t addr[16])
{
	/* the line always keeps a byte for the NUL, which tl_fmt_addr writes */
	l->len += tl_fmt_addr(l->buf + l->len, sizeof(l->buf) - l->len, family, addr);
}

void tl_line_pid(struct tl_line *l, const struct tl_record *r)
{
	if (r->owner_known)
		tl_line_u64(l, r->pid);
	else
		tl_line_lit(l, TL_UNKNOWN_PID);
}

/* Printable ASCII other than '\\' and `also`: text that no escaping changes. */
static bool plain_ascii(const char *s, size_t n, char also)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] < 0x20 || s[i] > 0x7e || s[i] == '\\' || s[i] == also)
			return false;
	}
	return true;
}

void tl_line_comm_column(struct tl_line *l, const struct tl_record *r, unsigned int width)
{
	char comm[TL_COMM_MAX];
	size_t n, start;

	if (r->owner_known) {
		n = strnlen(r->comm, sizeof(r->comm));
		/* one byte, one column: cut and pad by bytes */
		if (plain_ascii(r->comm, n, '\\')) {
			start = l->len;
			tl_line_mem(l, r->comm, n < width ? n : width);
			tl_line_pad_from(l, start, width);
			return;
		}
	}
	tl_fmt_comm(comm, sizeof(comm), r);
	tl_line_column(l, comm, width);
}

void tl_line_json_string(struct tl_line *l, const char *s, size_t n)
{
	size_t len = strnlen(s, n);

	if (plain_ascii(s, len, '"') && l->len + len + 2 < sizeof(l->buf)) {
		l->buf[l->len++] = '"';
		memcpy(l->buf + l->len, s, len);
		l->len += len;
		l->buf[l->len++] = '"';
		return;
	}
	l->len += tl_fmt_json_string(l->buf + l->len, sizeof(l->buf) - l->len, s, n);
}

/*
 * Display cells are wcwidth()'s: two for CJK and emoji, none for a
 * combining mark, what the terminal and the monitor's canvas (also
 * wcwidth) give the same text. wcwidth reads LC_CTYPE, and the line modes
 * never set the process locale (numbers must not change with it), so it
 * runs under a C.UTF-8 locale of its own: the same widths in every locale.
 * C.UTF-8 comes with glibc 2.35 and later; without it a character is one
 * cell, as before. A code point wcwidth does not know (newer than the C
 * library) is one cell too; control characters never get here (escaped).
 */
static locale_t utf8_ctype(void)
{
	static locale_t loc;
	static bool tried;

	if (!tried) {
		tried = true;
		loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	}
	return loc;
}

/* The code point of the n-byte UTF-8 sequence at s (valid: tl_fmt_escape's). */
static wchar_t utf8_code(const unsigned char *s, size_t n)
{
	wchar_t wc = s[0] & (n == 2 ? 0x1f : n == 3 ? 0x0f : 0x07);
	size_t i;

	for (i = 1; i < n; i++)
		wc = (wc << 6) | (s[i] & 0x3f);
	return wc;
}

/* Bytes and display cells of the unit starting at s (escaped text). The
 * caller has made utf8_ctype() current before any byte above 0x7f. */
static size_t unit_len(const char *s, unsigned int *cols, bool wide_known)
{
	unsigned char c = (unsigned char)s[0];
	size_t n;
	int w;

	if (c == '\\') {
		n = s[1] == 'x' ? 4 : 2;
		*cols = (unsigned int)n;
		return strnlen(s, n);
	}
	n = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
	/* never walk past the end of a string that was cut short */
	n = strnlen(s, n);
	*cols = 1;
	if (c >= 0x80 && wide_known && n > 1) {
		w = wcwidth(utf8_code((const unsigned char *)s, n));
		if (w >= 0)
			*cols = (unsigned int)w;
	}
	return n;
}

void tl_line_column(struct tl_line *l, const char *escaped, unsigned int width)
{
	unsigned int used = 0, cols;
	const char *s = escaped;
	locale_t loc = (locale_t)0, old = (locale_t)0;
	size_t n;

	while (*s) {
		/* uselocale only for text that needs it: most names are ASCII */
		if ((unsigned char)*s >= 0x80 && !loc) {
			loc = utf8_ctype();
			if (loc)
				old = uselocale(loc);
		}
		n = unit_len(s, &cols, loc != (locale_t)0);
		if (used + cols > width)
			break;
		used += cols;
		s += n;
	}
	if (loc)
		uselocale(old);
	n = l->len;
	tl_line_mem(l, escaped, (size_t)(s - escaped));
	tl_line_pad_from(l, n, (unsigned int)(s - escaped) + width - used);
}

void tl_line_write(struct tl_line *l, FILE *out)
{
	if (l->len >= sizeof(l->buf) - 1)
		l->len = sizeof(l->buf) - 2;
	l->buf[l->len++] = '\n';
	fwrite(l->buf, 1, l->len, out);
}

size_t tl_fixed_text(char *buf, size_t len, uint64_t value, uint64_t unit, unsigned int decimals)
{
	char tmp[NUM_MAX], *p;
	size_t n = fixed_text(tmp + sizeof(tmp), value, unit, decimals, &p);

	if (!len)
		return 0;
	if (n >= len)
		n = len - 1;
	memcpy(buf, p, n);
	buf[n] = '\0';
	return n;
}

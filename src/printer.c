// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "printer_impl.h"

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

/* Bytes and display columns of the unit starting at s (escaped text). */
static size_t unit_len(const char *s, unsigned int *cols)
{
	unsigned char c = (unsigned char)s[0];
	size_t n;

	if (c == '\\') {
		n = s[1] == 'x' ? 4 : 2;
		*cols = (unsigned int)n;
	} else {
		n = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
		*cols = 1;
	}
	/* never walk past the end of a string that was cut short */
	return strnlen(s, n);
}

void tl_line_column(struct tl_line *l, const char *escaped, unsigned int width)
{
	unsigned int used = 0, cols;
	const char *s = escaped;
	size_t n;

	while (*s) {
		n = unit_len(s, &cols);
		if (used + cols > width)
			break;
		used += cols;
		s += n;
	}
	tl_line_printf(l, "%.*s%*s", (int)(s - escaped), escaped, (int)(width - used), "");
}

void tl_line_write(struct tl_line *l, FILE *out)
{
	if (l->len >= sizeof(l->buf) - 1)
		l->len = sizeof(l->buf) - 2;
	l->buf[l->len++] = '\n';
	fwrite(l->buf, 1, l->len, out);
}

size_t tl_printer_fixed(char *buf, size_t len, uint64_t value, uint64_t unit, unsigned int decimals)
{
	uint64_t pow = 1, step, t;
	unsigned int i;
	int n;

	for (i = 0; i < decimals; i++)
		pow *= 10;
	step = unit / pow;
	if (!step)
		step = 1;
	t = value / step + (value % step >= (step + 1) / 2 && step > 1);
	if (decimals)
		n = snprintf(buf, len, "%llu.%0*llu", (unsigned long long)(t / pow), (int)decimals,
			     (unsigned long long)(t % pow));
	else
		n = snprintf(buf, len, "%llu", (unsigned long long)t);
	if (n < 0 || !len)
		return 0;
	return (size_t)n < len ? (size_t)n : len - 1;
}

uint64_t tl_printer_rel_ns(struct tl_printer *p, uint64_t ts_ns)
{
	if (!p->have_first) {
		p->have_first = true;
		p->first_ts_ns = ts_ns;
	}
	/* events from different CPUs may arrive slightly out of order */
	return ts_ns > p->first_ts_ns ? ts_ns - p->first_ts_ns : 0;
}

struct tl_printer *tl_printer_new(const struct tl_options *opt, FILE *out)
{
	struct tl_printer *p;
	double min_ns;

	if (!opt || !out) {
		errno = EINVAL;
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->out = out;
	p->mode = opt->mode;
	p->time_hms = opt->time_hms;
	p->time_rel = opt->time_rel;
	p->wide = opt->wide;
	p->csv = opt->csv;
	p->show_lport = opt->show_lport;
	p->extended = opt->extended;
	min_ns = opt->min_ms > 0 ? opt->min_ms * 1e6 + 0.5 : 0;
	p->min_lat_ns = min_ns >= 1.8e19 ? UINT64_MAX : (uint64_t)min_ns;
	return p;
}

void tl_printer_free(struct tl_printer *p)
{
	free(p);
}

void tl_printer_header(struct tl_printer *p)
{
	if (p->mode == TL_MODE_LIFE)
		tl_life_header(p);
	else if (p->mode == TL_MODE_CONNLAT)
		tl_connlat_header(p);
}

void tl_printer_record(struct tl_printer *p, const struct tl_record *r)
{
	switch (p->mode) {
	case TL_MODE_LIFE:
		tl_life_record(p, r);
		break;
	case TL_MODE_CONNLAT:
		tl_connlat_record(p, r);
		break;
	case TL_MODE_JSON:
		tl_json_record(p, r);
		break;
	default:
		break;
	}
}

void tl_printer_totals(struct tl_printer *p, const struct tl_totals *t)
{
	if (p->mode == TL_MODE_JSON)
		tl_json_totals(p, t);
}

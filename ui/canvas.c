/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The in-memory character grid every screen is composed on. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "canvas.h"

/* Decodes one UTF-8 sequence; returns its length (>= 1) and the code point,
 * or U+FFFD for a malformed sequence (consuming one byte). */
static size_t utf8_decode(const unsigned char *s, wchar_t *out)
{
	unsigned int cp, need, i;

	if (s[0] < 0x80) {
		*out = s[0];
		return 1;
	}
	if ((s[0] & 0xe0) == 0xc0) {
		cp = s[0] & 0x1f;
		need = 1;
	} else if ((s[0] & 0xf0) == 0xe0) {
		cp = s[0] & 0x0f;
		need = 2;
	} else if ((s[0] & 0xf8) == 0xf0) {
		cp = s[0] & 0x07;
		need = 3;
	} else {
		goto bad;
	}
	for (i = 1; i <= need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			goto bad;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((need == 1 && cp < 0x80) || (need == 2 && cp < 0x800) ||
	    (need == 3 && cp < 0x10000) || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		goto bad;
	*out = (wchar_t)cp;
	return need + 1;
bad:
	*out = 0xfffd;
	return 1;
}

/* The character as it may be shown: nothing that a terminal interprets. */
static wchar_t safe_char(wchar_t wc, bool utf8, int *width)
{
	int wd;

	if (wc < 0x20 || wc == 0x7f || (wc >= 0x80 && wc < 0xa0)) {
		*width = 1;
		return L'?';
	}
	if (wc < 0x80) {
		*width = 1;
		return wc;
	}
	if (!utf8) {
		*width = 1;
		return L'?';
	}
	wd = wcwidth(wc);
	if (wd < 1 || wd > 2) {
		*width = 1;
		return L'?';
	}
	*width = wd;
	return wc;
}

struct tl_canvas *tl_canvas_new(int w, int h, bool utf8)
{
	struct tl_canvas *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->utf8 = utf8;
	if (tl_canvas_resize(c, w, h)) {
		free(c);
		errno = ENOMEM;
		return NULL;
	}
	return c;
}

void tl_canvas_free(struct tl_canvas *c)
{
	if (!c)
		return;
	free(c->cells);
	free(c);
}

int tl_canvas_resize(struct tl_canvas *c, int w, int h)
{
	struct tl_cell *cells;

	if (w < 1)
		w = 1;
	if (h < 1)
		h = 1;
	cells = calloc((size_t)w * h, sizeof(*cells));
	if (!cells)
		return -ENOMEM;
	free(c->cells);
	c->cells = cells;
	c->w = w;
	c->h = h;
	tl_canvas_clear(c);
	return 0;
}

void tl_canvas_clear(struct tl_canvas *c)
{
	size_t i, n = (size_t)c->w * c->h;

	for (i = 0; i < n; i++) {
		c->cells[i].ch = L' ';
		c->cells[i].style = TL_ST_NORMAL;
	}
}

void tl_canvas_fill(struct tl_canvas *c, int x, int y, int n, wchar_t ch, enum tl_style st)
{
	struct tl_cell *row;
	int i;

	if (y < 0 || y >= c->h)
		return;
	row = c->cells + (size_t)y * c->w;
	for (i = x < 0 ? 0 : x; i < x + n && i < c->w; i++) {
		row[i].ch = ch;
		row[i].style = st;
	}
}

void tl_canvas_style(struct tl_canvas *c, int x, int y, int n, enum tl_style st)
{
	struct tl_cell *row;
	int i;

	if (y < 0 || y >= c->h)
		return;
	row = c->cells + (size_t)y * c->w;
	for (i = x < 0 ? 0 : x; i < x + n && i < c->w; i++)
		row[i].style = st;
}

int tl_text_width(const char *text)
{
	const unsigned char *s = (const unsigned char *)text;
	int w = 0, cw;
	wchar_t wc;

	while (*s) {
		s += utf8_decode(s, &wc);
		safe_char(wc, true, &cw);
		w += cw;
	}
	return w;
}

wchar_t tl_canvas_hline(const struct tl_canvas *c)
{
	return c->utf8 ? 0x2500 : L'-';
}

/* Writes chars of s (up to `width` cells) at x; returns the cells used. */
static int put_run(struct tl_canvas *c, int x, int y, const unsigned char *s, int width,
		   enum tl_style st)
{
	struct tl_cell *row = c->cells + (size_t)y * c->w;
	int used = 0, cw;
	wchar_t wc;

	while (*s && used < width) {
		s += utf8_decode(s, &wc);
		wc = safe_char(wc, c->utf8, &cw);
		if (used + cw > width)
			break;
		if (x + used + cw > c->w)
			break;
		if (x + used >= 0) {
			row[x + used].ch = wc;
			row[x + used].style = st;
			if (cw == 2) {
				row[x + used + 1].ch = TL_WCONT;
				row[x + used + 1].style = st;
			}
		}
		used += cw;
	}
	return used;
}

/* Skips leading characters of s until the rest is at most `width` wide. */
static const unsigned char *skip_to_width(const unsigned char *s, int total, int width)
{
	int cw;
	wchar_t wc;

	while (*s && total > width) {
		size_t n = utf8_decode(s, &wc);

		safe_char(wc, true, &cw);
		total -= cw;
		s += n;
	}
	return s;
}

int tl_canvas_put(struct tl_canvas *c, int x, int y, int width, const char *text,
		  enum tl_style st, enum tl_align al, enum tl_trunc tr)
{
	const unsigned char *s = (const unsigned char *)text;
	wchar_t mark = c->utf8 ? 0x2026 : L'~';
	int tw, used;

	if (y < 0 || y >= c->h || width <= 0 || x >= c->w)
		return 0;
	if (x + width > c->w)
		width = c->w - x;
	tw = tl_text_width(text);
	if (tw <= width) {
		int off = al == TL_AL_RIGHT ? width - tw : 0;

		return off + put_run(c, x + off, y, s, tw, st);
	}
	/* too wide: keep what fits and mark the cut */
	if (width == 1) {
		tl_canvas_fill(c, x, y, 1, mark, st);
		return 1;
	}
	if (tr == TL_TR_HEAD) {
		tl_canvas_fill(c, x, y, 1, mark, st);
		s = skip_to_width(s, tw, width - 1);
		used = put_run(c, x + 1, y, s, width - 1, st);
		return 1 + used;
	}
	used = put_run(c, x, y, s, width - 1, st);
	tl_canvas_fill(c, x + used, y, 1, mark, st);
	return used + 1;
}

int tl_canvas_print(struct tl_canvas *c, int x, int y, const char *text, enum tl_style st)
{
	if (y < 0 || y >= c->h || x >= c->w)
		return 0;
	return put_run(c, x, y, (const unsigned char *)text, c->w - x, st);
}

void tl_canvas_rule(struct tl_canvas *c, int y, const char *title, enum tl_style st,
		    enum tl_style title_st)
{
	tl_canvas_fill(c, 0, y, c->w, tl_canvas_hline(c), st);
	if (title && *title) {
		int n;

		tl_canvas_fill(c, 1, y, 1, L' ', title_st);
		n = tl_canvas_print(c, 2, y, title, title_st);
		tl_canvas_fill(c, 2 + n, y, 1, L' ', title_st);
	}
}

static size_t utf8_encode(wchar_t wc, char *out)
{
	unsigned int cp = (unsigned int)wc;

	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

size_t tl_canvas_row_text(const struct tl_canvas *c, int y, char *buf, size_t len)
{
	const struct tl_cell *row;
	size_t n = 0, keep = 0;
	char tmp[4];
	int x;

	if (!len)
		return 0;
	buf[0] = '\0';
	if (y < 0 || y >= c->h)
		return 0;
	row = c->cells + (size_t)y * c->w;
	for (x = 0; x < c->w; x++) {
		size_t k;

		if (row[x].ch == TL_WCONT)
			continue;
		k = utf8_encode(row[x].ch, tmp);
		if (n + k + 1 > len)
			break;
		memcpy(buf + n, tmp, k);
		n += k;
		if (row[x].ch != L' ')
			keep = n;
	}
	buf[keep] = '\0';
	return keep;
}

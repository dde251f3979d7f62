// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The session table: a filtered, sorted list over the history ring.
 *
 * Newest first without a filter (the default) is a snapshot of the ring's
 * bounds: O(1) per update, rows are read straight from the ring. Any other
 * view holds sort-key entries; a change of filter or order rebuilds them
 * (radix sort), otherwise an update sorts only the sessions that arrived
 * since and merges them in, dropping those the ring has overwritten.
 * Rows are named by sequence number, so a view that is not updated (a
 * paused screen) keeps its order and gives NULL for rows the ring has
 * since overwritten.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "filter.h"
#include "model_int.h"
#include "sortkey.h"

struct tl_session_view {
	const struct tl_model *m;
	bool built;
	bool lazy;
	enum tl_scol sort;
	bool desc;
	char *ftext;		/* the filter built with, NULL for none */
	uint64_t built_total;	/* sessions seen by the model at the last update */
	/* lazy: the ring's bounds at the last update */
	uint64_t snap_total;
	size_t snap_len;
	/* indexed */
	uint32_t stride, keylen;
	uint8_t *ent, *tmp, *add;
	size_t n, cap, addcap;
};

struct tl_session_view *tl_session_view_new(void)
{
	return calloc(1, sizeof(struct tl_session_view));
}

void tl_session_view_free(struct tl_session_view *v)
{
	if (!v)
		return;
	free(v->ftext);
	free(v->ent);
	free(v->tmp);
	free(v->add);
	free(v);
}

static int reserve(uint8_t **buf, size_t *cap, size_t n, uint32_t stride)
{
	uint8_t *nb;
	size_t ncap;

	if (n <= *cap)
		return 0;
	ncap = *cap ? *cap : 1024;
	while (ncap < n)
		ncap *= 2;
	nb = realloc(*buf, ncap * stride);
	if (!nb)
		return -ENOMEM;
	*buf = nb;
	*cap = ncap;
	return 0;
}

/* ent and tmp always have the same capacity */
static int reserve_main(struct tl_session_view *v, size_t n)
{
	size_t cap = v->cap;
	int ret = reserve(&v->ent, &cap, n, v->stride);

	if (!ret) {
		size_t tcap = v->cap;

		ret = reserve(&v->tmp, &tcap, n, v->stride);
		if (!ret)
			v->cap = cap < tcap ? cap : tcap;
	}
	return ret;
}

/* Entries for the matching sessions with sequence numbers in [from, to), newest first. */
static size_t collect(struct tl_session_view *v, uint8_t *out, const struct tl_model *m,
		      const struct tl_filter *f, uint64_t from, uint64_t to)
{
	const struct tl_history *h = &m->sessions;
	size_t n = 0;
	uint64_t seq;

	for (seq = to; seq-- > from;) {
		const struct tl_record *r = tl_history_at(h, (size_t)(h->total - 1 - seq));

		if (f && !tl_filter_match(f, r))
			continue;
		tl_sortkey_make(out + n * v->stride, r, seq, v->sort, v->desc);
		n++;
	}
	return n;
}

static int rebuild(struct tl_session_view *v, const struct tl_model *m, const struct tl_filter *f)
{
	const struct tl_history *h = &m->sessions;
	uint8_t *sorted;

	v->n = 0;
	if (reserve_main(v, h->len))
		return -ENOMEM;
	v->n = collect(v, v->ent, m, f, tl_history_first_seq(h), h->total);
	sorted = tl_sortkey_sort(v->ent, v->tmp, v->n, v->stride, v->keylen);
	if (sorted != v->ent) {
		v->tmp = v->ent;
		v->ent = sorted;
	}
	return 0;
}

static bool entry_alive(const struct tl_history *h, uint32_t seq32)
{
	return (uint32_t)((uint32_t)(h->total - 1) - seq32) < h->len;
}

/* Sort the sessions that arrived since the last update and merge them in. */
static int merge_new(struct tl_session_view *v, const struct tl_model *m, const struct tl_filter *f)
{
	const struct tl_history *h = &m->sessions;
	size_t na, i = 0, j = 0, o = 0;
	uint32_t s = v->stride;
	uint8_t *add, *t;

	if (reserve(&v->add, &v->addcap, (size_t)(h->total - v->built_total), s))
		return -ENOMEM;
	na = collect(v, v->add, m, f, v->built_total, h->total);
	if (reserve_main(v, v->n + na))
		return -ENOMEM;
	/* tmp is free until the merge starts: use it to sort the new run */
	add = tl_sortkey_sort(v->add, v->tmp, na, s, v->keylen);
	if (add == v->tmp) {
		memcpy(v->add, v->tmp, na * s);
		add = v->add;
	}
	while (i < v->n || j < na) {
		const uint8_t *a = i < v->n ? v->ent + i * s : NULL;
		const uint8_t *b = j < na ? add + j * s : NULL;

		if (a && !entry_alive(h, tl_sortkey_seq(a, s))) {
			i++;
			continue;
		}
		/* on a tie the new row goes first: it is the newer */
		if (b && (!a || memcmp(b, a, v->keylen) <= 0)) {
			memcpy(v->tmp + o++ * s, b, s);
			j++;
		} else {
			memcpy(v->tmp + o++ * s, a, s);
			i++;
		}
	}
	t = v->ent;
	v->ent = v->tmp;
	v->tmp = t;
	v->n = o;
	return 0;
}

static void drop_entries(struct tl_session_view *v)
{
	free(v->ent);
	free(v->tmp);
	free(v->add);
	v->ent = v->tmp = v->add = NULL;
	v->cap = v->addcap = v->n = 0;
}

void tl_session_view_invalidate(struct tl_session_view *v)
{
	v->built = false;
}

void tl_session_view_update(struct tl_session_view *v, const struct tl_model *m,
			    const struct tl_filter *f, enum tl_scol sort, bool descending)
{
	const struct tl_history *h = &m->sessions;
	const char *ftext = f ? tl_filter_text(f) : NULL;
	bool same;
	int ret;

	if ((unsigned)sort >= TL_SCOL_COUNT)
		sort = TL_SCOL_TIME;
	same = v->built && v->m == m && h->total >= v->built_total && v->sort == sort && v->desc == descending &&
	       (ftext ? v->ftext && !strcmp(v->ftext, ftext) : !v->ftext);
	if (same && v->built_total == h->total)
		return;
	if (!same) {
		char *copy = ftext ? strdup(ftext) : NULL;

		if (ftext && !copy)
			goto fail;
		free(v->ftext);
		v->ftext = copy;
		v->m = m;
		v->sort = sort;
		v->desc = descending;
	}
	v->lazy = !f && sort == TL_SCOL_TIME;
	if (v->lazy) {
		drop_entries(v);
		v->snap_total = h->total;
		v->snap_len = h->len;
		goto done;
	}
	if (!same || v->stride != tl_sortkey_stride(sort)) {
		drop_entries(v);
		v->stride = tl_sortkey_stride(sort);
		v->keylen = tl_sortkey_len(sort);
	}
	/* incremental only if the rows of the last build are still partly there */
	if (same && v->built_total >= tl_history_first_seq(h))
		ret = merge_new(v, m, f);
	else
		ret = rebuild(v, m, f);
	if (ret)
		goto fail;
done:
	v->built = true;
	v->built_total = h->total;
	return;
fail:
	/* out of memory: show nothing rather than something wrong, retry next time */
	v->built = false;
	v->lazy = false;
	v->n = 0;
}

size_t tl_session_view_len(const struct tl_session_view *v)
{
	return v->lazy ? v->snap_len : v->n;
}

const struct tl_record *tl_session_view_get(const struct tl_session_view *v, size_t i)
{
	const struct tl_history *h;
	uint32_t seq32;

	if (!v->m)
		return NULL;
	h = &v->m->sessions;
	if (v->lazy) {
		if (i >= v->snap_len)
			return NULL;
		return tl_history_seq(h, v->desc ? v->snap_total - 1 - i
						 : v->snap_total - v->snap_len + i);
	}
	if (i >= v->n)
		return NULL;
	seq32 = tl_sortkey_seq(v->ent + i * v->stride, v->stride);
	if (!entry_alive(h, seq32))
		return NULL;
	return tl_history_at(h, (uint32_t)((uint32_t)(h->total - 1) - seq32));
}

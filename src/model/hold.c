// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * A held copy of the retained sessions, for a paused screen: the live ring
 * goes on overwriting its oldest sessions at any rate, the copy does not.
 * It is a model with sessions only (no connects, no aggregation tables),
 * so the session view works on it unchanged; sequence numbers are kept,
 * so rows keep their identity between the live and the held view.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "model_int.h"

struct tl_model *tl_model_hold(const struct tl_model *m, uint64_t upto)
{
	const struct tl_history *h = &m->sessions;
	uint64_t first = tl_history_first_seq(h), seq;
	struct tl_model *held;
	size_t n, isz = h->isz, done = 0;

	if (upto > h->total)
		upto = h->total;
	n = upto > first ? (size_t)(upto - first) : 0;
	held = calloc(1, sizeof(*held));
	if (!held)
		goto fail;
	held->cfg = m->cfg;
	held->totals = m->totals;
	/* one item even when empty: a zero-size ring is not a ring */
	if (tl_history_init(&held->sessions, isz, n ? n : 1))
		goto fail;
	/* all of it at once (the ring would start with a first allocation) */
	if (held->sessions.alloc < held->sessions.cap) {
		uint8_t *buf = realloc(held->sessions.buf, held->sessions.cap * isz);

		if (!buf)
			goto fail;
		held->sessions.buf = buf;
		held->sessions.alloc = held->sessions.cap;
	}
	/* oldest first, in at most two runs of the ring's buffer */
	for (seq = first; seq < upto; seq += done) {
		size_t i = (size_t)(h->total - 1 - seq);	/* index of seq, newest = 0 */
		size_t pos = h->head >= i + 1 ? h->head - 1 - i : h->head + h->alloc - 1 - i;
		size_t run = h->alloc - pos;

		if (run > upto - seq)
			run = (size_t)(upto - seq);
		memcpy(held->sessions.buf + (seq - first) * isz, h->buf + pos * isz, run * isz);
		done = run;
	}
	held->sessions.len = n;
	held->sessions.head = n;
	held->sessions.total = upto;
	held->totals.sessions = upto;
	return held;
fail:
	tl_model_free(held);
	errno = ENOMEM;
	return NULL;
}


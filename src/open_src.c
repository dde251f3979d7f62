// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "open_src.h"

static int src_room(struct tl_open_src *src, size_t n)
{
	struct tl_open_rate *r;

	if (n <= src->room)
		return 0;
	r = realloc(src->rates, n * sizeof(*r));
	if (!r)
		return -ENOMEM;
	src->rates = r;
	src->room = n;
	return 0;
}

int tl_open_src_step(struct tl_open_src *src, struct tl_source *source, bool want_rates)
{
	int next = src->have ? !src->last : 0;
	struct tl_snapshot *cur = &src->snap[next];
	const struct tl_snapshot *prev = src->have ? &src->snap[src->last] : NULL;
	const char *const *cgroups;
	int n;

	n = tl_source_snapshot(source, cur, prev, &cgroups);
	if (n < 0)
		return n;
	if (src_room(src, cur->n ? cur->n : 1))
		return -ENOMEM;
	if (want_rates && tl_open_rates(prev, cur, src->rates) < 0)
		return -ENOMEM;
	if (!want_rates)
		memset(src->rates, 0, cur->n * sizeof(*src->rates));
	src->cgroups = cgroups;
	src->have_prev = src->have;
	src->have = true;
	src->last = next;
	return 0;
}

void tl_open_src_fini(struct tl_open_src *src)
{
	tl_snapshot_free(&src->snap[0]);
	tl_snapshot_free(&src->snap[1]);
	free(src->rates);
	memset(src, 0, sizeof(*src));
}

const struct tl_snapshot *tl_open_src_snap(const struct tl_open_src *src)
{
	return src->have ? &src->snap[src->last] : NULL;
}

const struct tl_snapshot *tl_open_src_prev(const struct tl_open_src *src)
{
	return src->have_prev ? &src->snap[!src->last] : NULL;
}

const char *tl_open_src_cgroup(const struct tl_open_src *src, size_t i)
{
	return src->cgroups ? src->cgroups[i] : NULL;
}

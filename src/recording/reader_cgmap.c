// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The cgroup paths a recording names, by id. A replay has no kernel to ask:
 * these mapping records are all it knows. Strings are never freed before
 * the reader, so a front end may keep the pointers it was given.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "recording/reader_int.h"

static size_t slot_of(uint64_t id, size_t mask)
{
	id ^= id >> 31;
	id *= 0x9e3779b97f4a7c15ull;
	id ^= id >> 29;
	return (size_t)id & mask;
}

static int grow(struct tl_rec_cgmap *m)
{
	size_t cap = m->mask ? (m->mask + 1) * 2 : 64, mask = cap - 1;
	uint64_t *ids = calloc(cap, sizeof(*ids));
	char **paths = calloc(cap, sizeof(*paths));

	if (!ids || !paths) {
		free(ids);
		free(paths);
		return -ENOMEM;
	}
	for (size_t i = 0; m->ids && i <= m->mask; i++) {
		size_t j;

		if (!m->ids[i])
			continue;
		for (j = slot_of(m->ids[i], mask); ids[j]; j = (j + 1) & mask)
			;
		ids[j] = m->ids[i];
		paths[j] = m->paths[i];
	}
	free(m->ids);
	free(m->paths);
	m->ids = ids;
	m->paths = paths;
	m->mask = mask;
	return 0;
}

const char *tl_rec_cgmap_get(const struct tl_rec_cgmap *m, uint64_t id)
{
	if (!m->ids || id == 0)
		return NULL;
	for (size_t j = slot_of(id, m->mask); m->ids[j]; j = (j + 1) & m->mask)
		if (m->ids[j] == id)
			return m->paths[j];
	return NULL;
}

int tl_rec_cgmap_put(struct tl_rec_reader *r, uint64_t id, const uint8_t *path, size_t len)
{
	struct tl_rec_cgmap *m = &r->cg;
	const char *old = tl_rec_cgmap_get(m, id);
	char *s;
	size_t j;

	/* every chunk repeats its mappings: the same one costs nothing */
	if (old && strlen(old) == len && memcmp(old, path, len) == 0)
		return 0;
	if (m->nkept >= TL_REC_CGMAP_MAX || m->bytes + len + 1 > TL_REC_CGMAP_BYTES) {
		if (!m->full_warned)
			tl_rec_reader_warn(r, "more cgroup paths than %u (or %u MiB): later ones are unknown",
					   TL_REC_CGMAP_MAX, TL_REC_CGMAP_BYTES >> 20);
		m->full_warned = true;
		return 0;
	}
	if ((m->n + 1) * 2 > (m->ids ? m->mask + 1 : 0) && grow(m))
		return -ENOMEM;
	if (m->nkept == m->capkept) {
		size_t cap = m->capkept ? m->capkept * 2 : 64;
		char **more = realloc(m->kept, cap * sizeof(*more));

		if (!more)
			return -ENOMEM;
		m->kept = more;
		m->capkept = cap;
	}
	s = malloc(len + 1);
	if (!s)
		return -ENOMEM;
	memcpy(s, path, len);
	s[len] = '\0';
	m->kept[m->nkept++] = s;
	m->bytes += len + 1;
	for (j = slot_of(id, m->mask); m->ids[j] && m->ids[j] != id; j = (j + 1) & m->mask)
		;
	if (!m->ids[j])
		m->n++;
	m->ids[j] = id;
	m->paths[j] = s;
	return 0;
}

void tl_rec_cgmap_free(struct tl_rec_cgmap *m)
{
	for (size_t i = 0; i < m->nkept; i++)
		free(m->kept[i]);
	free(m->kept);
	free(m->ids);
	free(m->paths);
	memset(m, 0, sizeof(*m));
}

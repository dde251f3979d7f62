// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Listing and naming the files of a recording directory; see rec_dir.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "format.h"
#include "recording/rec_dir.h"
#include "recording/recording.h"

#define PREFIX "tcplens-"

size_t tl_rec_name_format(char *buf, size_t len, uint64_t start_ns, unsigned seq)
{
	char stamp[32], suffix[16] = "";
	int n;

	tl_fmt_utc_stamp(stamp, sizeof(stamp), start_ns);
	if (seq)
		snprintf(suffix, sizeof(suffix), "-%u", seq);
	n = snprintf(buf, len, PREFIX "%s%s" TL_REC_SUFFIX, stamp, suffix);
	return n > 0 && (size_t)n < len ? (size_t)n : 0;
}

static int digits(const char *s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

int tl_rec_name_parse(const char *name, uint64_t *start_ns, unsigned *seq)
{
	const char *s = name + strlen(PREFIX);
	struct tm tm = { 0 };
	unsigned long n = 0;
	time_t t;

	/* tcplens-YYYYmmddTHHMMSSZ */
	if (strncmp(name, PREFIX, strlen(PREFIX)) != 0 || strnlen(s, 16) < 16 || s[8] != 'T' ||
	    s[15] != 'Z')
		return -EINVAL;
	tm.tm_year = digits(s, 4) - 1900;
	tm.tm_mon = digits(s + 4, 2) - 1;
	tm.tm_mday = digits(s + 6, 2);
	tm.tm_hour = digits(s + 9, 2);
	tm.tm_min = digits(s + 11, 2);
	tm.tm_sec = digits(s + 13, 2);
	if (tm.tm_year < 70 || tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 ||
	    tm.tm_mday > 31 || tm.tm_hour < 0 || tm.tm_hour > 23 || tm.tm_min < 0 ||
	    tm.tm_min > 59 || tm.tm_sec < 0 || tm.tm_sec > 60)
		return -EINVAL;
	s += 16;
	if (*s == '-') {
		char *end;

		if (s[1] < '1' || s[1] > '9')
			return -EINVAL;
		errno = 0;
		n = strtoul(s + 1, &end, 10);
		if (errno || n > 1000000)
			return -EINVAL;
		s = end;
	}
	if (strcmp(s, TL_REC_SUFFIX) != 0)
		return -EINVAL;
	t = timegm(&tm);
	if (t < 0)
		return -EINVAL;
	*start_ns = (uint64_t)t * 1000000000u;
	*seq = (unsigned)n;
	return 0;
}

static int ent_cmp(const void *a, const void *b)
{
	const struct tl_rec_dirent *x = a, *y = b;

	if (x->ours != y->ours)
		return x->ours ? -1 : 1;
	if (x->ours && x->start_ns != y->start_ns)
		return x->start_ns < y->start_ns ? -1 : 1;
	if (x->ours && x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	return strcmp(x->name, y->name);
}

static bool has_suffix(const char *name)
{
	size_t n = strlen(name), k = strlen(TL_REC_SUFFIX);

	return n > k && strcmp(name + n - k, TL_REC_SUFFIX) == 0;
}

int tl_rec_dir_list(int dirfd, struct tl_rec_dirlist *out)
{
	struct tl_rec_dirent *v = NULL, *more;
	size_t n = 0, cap = 0;
	struct dirent *de;
	int fd, err = 0;
	DIR *d;

	fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		err = -errno;
		close(fd);
		return err;
	}
	while ((errno = 0, de = readdir(d))) {
		struct tl_rec_dirent e = { 0 };
		struct stat st;

		if (de->d_name[0] == '.' || !has_suffix(de->d_name))
			continue;
		if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) || !S_ISREG(st.st_mode))
			continue;	/* gone meanwhile, or not a file */
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			more = realloc(v, cap * sizeof(*v));
			if (!more) {
				err = -ENOMEM;
				goto cleanup;
			}
			v = more;
		}
		e.name = strdup(de->d_name);
		if (!e.name) {
			err = -ENOMEM;
			goto cleanup;
		}
		e.ours = tl_rec_name_parse(e.name, &e.start_ns, &e.seq) == 0;
		e.size = (uint64_t)st.st_size;
		e.mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
		v[n++] = e;
	}
	if (errno)
		err = -errno;
cleanup:
	closedir(d);
	if (err) {
		for (size_t i = 0; i < n; i++)
			free(v[i].name);
		free(v);
		return err;
	}
	if (n)
		qsort(v, n, sizeof(*v), ent_cmp);
	out->v = v;
	out->n = n;
	return 0;
}

void tl_rec_dir_free(struct tl_rec_dirlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].name);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

void tl_rec_dir_remove(struct tl_rec_dirlist *l, size_t i)
{
	free(l->v[i].name);
	memmove(&l->v[i], &l->v[i + 1], (l->n - i - 1) * sizeof(*l->v));
	l->n--;
}

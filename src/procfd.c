// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "procfd.h"

/* "socket:[18446744073709551615]" and a byte to tell a longer link */
#define LINK_MAX_LEN 32
/* /proc/PID/cgroup: one line on v2-only hosts, a dozen on hybrid ones */
#define CGROUP_FILE_MAX (TL_PROCFD_CGROUP_MAX + 4096)
#define TABLE_MIN 1024

struct slot {
	uint64_t inode;		/* 0: empty (no socket has inode 0) */
	uint32_t owner;		/* index into owners */
};

struct tl_procfd {
	struct slot *slots;
	size_t nslots;		/* a power of two */
	size_t count, max, dropped;
	/* one allocation per owner, so tl_procfd_find's pointers stay put */
	struct tl_owner **owners;
	size_t nowners, owners_cap;
};

static uint64_t hash_inode(uint64_t v)
{
	/* splitmix64's finalizer: inodes are often consecutive */
	v ^= v >> 30;
	v *= 0xbf58476d1ce4e5b9ULL;
	v ^= v >> 27;
	v *= 0x94d049bb133111ebULL;
	v ^= v >> 31;
	return v;
}

static struct slot *slot_of(struct slot *slots, size_t nslots, uint64_t inode)
{
	size_t mask = nslots - 1, i = (size_t)hash_inode(inode) & mask;

	while (slots[i].inode && slots[i].inode != inode)
		i = (i + 1) & mask;
	return &slots[i];
}

static int table_grow(struct tl_procfd *pf)
{
	size_t n = pf->nslots ? pf->nslots * 2 : TABLE_MIN, i;
	struct slot *s = calloc(n, sizeof(*s));

	if (!s)
		return -ENOMEM;
	for (i = 0; i < pf->nslots; i++) {
		if (pf->slots[i].inode)
			*slot_of(s, n, pf->slots[i].inode) = pf->slots[i];
	}
	free(pf->slots);
	pf->slots = s;
	pf->nslots = n;
	return 0;
}

struct tl_procfd *tl_procfd_new(void)
{
	struct tl_procfd *pf = calloc(1, sizeof(*pf));

	if (!pf)
		return NULL;
	pf->max = TL_PROCFD_MAX_SOCKETS;
	if (table_grow(pf)) {
		free(pf);
		errno = ENOMEM;
		return NULL;
	}
	return pf;
}

void tl_procfd_free(struct tl_procfd *pf)
{
	size_t i;

	if (!pf)
		return;
	for (i = 0; i < pf->nowners; i++) {
		free((char *)pf->owners[i]->cgroup);
		free(pf->owners[i]);
	}
	free(pf->owners);
	free(pf->slots);
	free(pf);
}

/* A new owner; returns its index or -errno. */
static long owner_new(struct tl_procfd *pf, uint32_t pid, const char *comm, size_t comm_len,
		      const char *cgroup, size_t cgroup_len)
{
	struct tl_owner *o, **grown;
	char *cg = NULL;
	size_t cap;

	if (pf->nowners == pf->owners_cap) {
		cap = pf->owners_cap ? pf->owners_cap * 2 : 64;
		grown = realloc(pf->owners, cap * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		pf->owners = grown;
		pf->owners_cap = cap;
	}
	o = calloc(1, sizeof(*o));
	if (!o)
		return -ENOMEM;
	if (cgroup) {
		cg = strndup(cgroup, cgroup_len);
		if (!cg) {
			free(o);
			return -ENOMEM;
		}
	}
	o->pid = pid;
	if (comm_len > TL_REC_COMM_LEN - 1)
		comm_len = TL_REC_COMM_LEN - 1;
	memcpy(o->comm, comm, comm_len);
	o->cgroup = cg;
	pf->owners[pf->nowners] = o;
	return (long)pf->nowners++;
}

static int inode_put(struct tl_procfd *pf, uint64_t inode, uint32_t owner)
{
	struct slot *s;
	int err;

	if (!inode)
		return -EINVAL;
	s = slot_of(pf->slots, pf->nslots, inode);
	if (s->inode) {
		/* held by several processes: the lowest pid wins (see procfd.h) */
		if (pf->owners[owner]->pid < pf->owners[s->owner]->pid)
			s->owner = owner;
		return 0;
	}
	if (pf->count >= pf->max) {
		pf->dropped++;
		return -ENOSPC;
	}
	/* at most half full: probes stay short */
	if ((pf->count + 1) * 2 > pf->nslots) {
		err = table_grow(pf);
		if (err)
			return err;
		s = slot_of(pf->slots, pf->nslots, inode);
	}
	s->inode = inode;
	s->owner = owner;
	pf->count++;
	return 0;
}

int tl_procfd_add(struct tl_procfd *pf, uint64_t inode, uint32_t pid, const char *comm,
		  const char *cgroup)
{
	const struct tl_owner *last = pf->nowners ? pf->owners[pf->nowners - 1] : NULL;
	long idx;

	if (!inode)
		return -EINVAL;
	/* consecutive sockets of one process share its owner record */
	if (last && last->pid == pid && !strncmp(last->comm, comm, TL_REC_COMM_LEN - 1) &&
	    ((!last->cgroup && !cgroup) || (last->cgroup && cgroup && !strcmp(last->cgroup, cgroup))))
		idx = (long)pf->nowners - 1;
	else
		idx = owner_new(pf, pid, comm, strnlen(comm, TL_REC_COMM_LEN - 1), cgroup,
				cgroup ? strlen(cgroup) : 0);
	if (idx < 0)
		return (int)idx;
	return inode_put(pf, inode, (uint32_t)idx);
}

const struct tl_owner *tl_procfd_find(const struct tl_procfd *pf, uint64_t inode)
{
	const struct slot *s;

	if (!pf || !inode)
		return NULL;
	s = slot_of(pf->slots, pf->nslots, inode);
	return s->inode ? pf->owners[s->owner] : NULL;
}

size_t tl_procfd_count(const struct tl_procfd *pf)
{
	return pf->count;
}

size_t tl_procfd_dropped(const struct tl_procfd *pf)
{
	return pf->dropped;
}

/* Decimal digits only, no leading zero, fits 32 bits: a /proc PID entry. */
static int parse_pid(const char *s, uint32_t *pid)
{
	uint64_t v = 0;

	if (*s < '1' || *s > '9')
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > UINT32_MAX)
			return -ERANGE;
	}
	*pid = (uint32_t)v;
	return 0;
}

/* "socket:[N]" -> N; anything else (pipes, files, anon inodes) -> -EINVAL */
static int parse_socket_link(const char *s, size_t n, uint64_t *inode)
{
	static const char pre[] = "socket:[";
	uint64_t v = 0;
	size_t i = sizeof(pre) - 1;

	if (n < i + 2 || memcmp(s, pre, i) || s[n - 1] != ']')
		return -EINVAL;
	for (; i < n - 1; i++) {
		if (s[i] < '0' || s[i] > '9' || v > (UINT64_MAX - 9) / 10)
			return -EINVAL;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (!v)
		return -EINVAL;
	*inode = v;
	return 0;
}

/* Up to size bytes of a small file; its length or -errno. */
static ssize_t read_small(int dirfd, const char *path, char *buf, size_t size)
{
	size_t got = 0;
	ssize_t n;
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return -errno;
	while (got < size) {
		n = read(fd, buf + got, size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	return (ssize_t)got;
}

/* The path of the "0::" line (cgroup v2), or NULL; *len is its length. */
static const char *cgroup_v2_path(char *buf, size_t n, size_t *len)
{
	size_t i = 0, end;

	while (i < n) {
		const char *nl = memchr(buf + i, '\n', n - i);

		end = nl ? (size_t)(nl - buf) : n;
		/* a line cut by the buffer is not trusted to be whole */
		if (!nl && n == CGROUP_FILE_MAX)
			return NULL;
		if (end - i >= 3 && !memcmp(buf + i, "0::", 3)) {
			*len = end - i - 3;
			if (*len == 0 || *len > TL_PROCFD_CGROUP_MAX || memchr(buf + i + 3, '\0', *len))
				return NULL;
			return buf + i + 3;
		}
		i = end + 1;
	}
	return NULL;
}

struct scan {
	struct tl_procfd *pf;
	int root;		/* the /proc directory */
	char *cgbuf;		/* CGROUP_FILE_MAX bytes */
};

/* The owner record of a process, made when its first socket is found. */
static long scan_owner(struct scan *sc, uint32_t pid)
{
	char path[64], comm[TL_REC_COMM_LEN + 1];
	const char *cg = NULL;
	size_t comm_len = 0, cg_len = 0;
	ssize_t n;

	snprintf(path, sizeof(path), "%u/comm", pid);
	n = read_small(sc->root, path, comm, sizeof(comm));
	/* gone, or hidden: an empty name, the pid alone still names the owner */
	if (n > 0) {
		comm_len = (size_t)n;
		if (comm[comm_len - 1] == '\n')
			comm_len--;
		if (comm_len > TL_REC_COMM_LEN - 1)
			comm_len = TL_REC_COMM_LEN - 1;
		/* a NUL inside would end the name early: keep what is before it */
		comm_len = strnlen(comm, comm_len);
	}
	snprintf(path, sizeof(path), "%u/cgroup", pid);
	n = read_small(sc->root, path, sc->cgbuf, CGROUP_FILE_MAX);
	if (n > 0)
		cg = cgroup_v2_path(sc->cgbuf, (size_t)n, &cg_len);
	return owner_new(sc->pf, pid, comm, comm_len, cg, cg_len);
}

/* Every socket one process holds. Only out of memory is an error. */
static int scan_process(struct scan *sc, uint32_t pid)
{
	char path[64], link[LINK_MAX_LEN];
	struct dirent *de;
	long owner = -1;
	uint64_t inode;
	int fd, err = 0;
	ssize_t n;
	DIR *d;

	snprintf(path, sizeof(path), "%u/fd", pid);
	fd = openat(sc->root, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return 0;	/* gone, or not ours to read */
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return 0;
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		n = readlinkat(fd, de->d_name, link, sizeof(link));
		if (n <= 0 || (size_t)n >= sizeof(link))
			continue;
		if (parse_socket_link(link, (size_t)n, &inode))
			continue;
		if (owner < 0) {
			owner = scan_owner(sc, pid);
			if (owner < 0) {
				err = (int)owner;
				goto cleanup;
			}
		}
		err = inode_put(sc->pf, inode, (uint32_t)owner);
		if (err == -ENOSPC) {
			err = 0;	/* counted; the rest of /proc still gets a look */
			continue;
		}
		if (err)
			goto cleanup;
	}
cleanup:
	closedir(d);
	return err;
}

struct tl_procfd *tl_procfd_scan_at(const char *proc_root, size_t max)
{
	struct scan sc = { .root = -1 };
	struct dirent *de;
	DIR *d = NULL;
	uint32_t pid;
	int err = 0;

	sc.pf = tl_procfd_new();
	sc.cgbuf = malloc(CGROUP_FILE_MAX);
	if (!sc.pf || !sc.cgbuf) {
		err = -ENOMEM;
		goto cleanup;
	}
	sc.pf->max = max;
	sc.root = open(proc_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sc.root < 0) {
		err = -errno;
		goto cleanup;
	}
	d = opendir(proc_root);
	if (!d) {
		err = -errno;
		goto cleanup;
	}
	while ((de = readdir(d))) {
		if (parse_pid(de->d_name, &pid))
			continue;
		err = scan_process(&sc, pid);
		if (err)
			goto cleanup;
	}
cleanup:
	if (d)
		closedir(d);
	if (sc.root >= 0)
		close(sc.root);
	free(sc.cgbuf);
	if (err) {
		tl_procfd_free(sc.pf);
		errno = -err;
		return NULL;
	}
	return sc.pf;
}

struct tl_procfd *tl_procfd_scan(void)
{
	return tl_procfd_scan_at("/proc", TL_PROCFD_MAX_SOCKETS);
}

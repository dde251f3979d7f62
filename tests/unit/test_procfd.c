// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Socket owners from /proc: a real socket of this process, then fake trees. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "procfd.h"
#include "tests/unit/tap.h"

static char tmpdir[] = "/tmp/tl-procfd-XXXXXX";

static void put_file(const char *rel, const char *text, size_t n)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, rel);
	f = fopen(path, "w");
	if (f) {
		fwrite(text, 1, n, f);
		fclose(f);
	}
}

static void put_dir(const char *rel)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", tmpdir, rel);
	mkdir(path, 0700);
}

static void put_link(const char *rel, const char *target)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", tmpdir, rel);
	if (symlink(target, path))
		perror(path);
}

static void test_real_socket(void)
{
	char comm[32] = "", want_cg[4200] = "", line[4200];
	const struct tl_owner *o;
	struct tl_procfd *pf;
	struct stat st;
	size_t n;
	FILE *f;
	int fd;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	ok(fd >= 0 && !fstat(fd, &st), "a TCP socket of our own");
	f = fopen("/proc/self/comm", "r");
	if (f) {
		n = fread(comm, 1, sizeof(comm) - 1, f);
		comm[n] = '\0';
		if (n && comm[n - 1] == '\n')
			comm[n - 1] = '\0';
		fclose(f);
	}
	f = fopen("/proc/self/cgroup", "r");
	while (f && fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "0::", 3)) {
			snprintf(want_cg, sizeof(want_cg), "%s", line + 3);
			want_cg[strcspn(want_cg, "\n")] = '\0';
		}
	}
	if (f)
		fclose(f);

	pf = tl_procfd_scan();
	ok(pf != NULL, "scan /proc");
	if (!pf)
		return;
	ok(tl_procfd_count(pf) >= 1, "at least our socket: %zu", tl_procfd_count(pf));
	o = tl_procfd_find(pf, (uint64_t)st.st_ino);
	ok(o != NULL, "our socket's inode %llu is found", (unsigned long long)st.st_ino);
	if (o) {
		is_int(o->pid, getpid(), "owned by our pid");
		is_str(o->comm, comm, "with our comm");
		if (want_cg[0])
			is_str(o->cgroup, want_cg, "and our cgroup v2 path");
		else
			ok(o->cgroup == NULL, "no cgroup v2 line: no path");
	}
	ok(tl_procfd_find(pf, 0) == NULL, "inode 0 is never found");
	ok(tl_procfd_find(NULL, 1) == NULL, "no table: nothing found");
	tl_procfd_free(pf);
	close(fd);
}

static void test_fake_tree(void)
{
	const struct tl_owner *o;
	struct tl_procfd *pf;
	char cg[6000];

	if (!mkdtemp(tmpdir)) {
		ok(0, "mkdtemp");
		return;
	}
	/* 300 and 20 share socket 1000 (a fork): 20 wins whatever the order */
	put_dir("300");
	put_dir("300/fd");
	put_link("300/fd/3", "socket:[1000]");
	put_link("300/fd/4", "socket:[1001]");
	put_link("300/fd/5", "pipe:[1002]");
	put_link("300/fd/6", "/dev/null");
	put_link("300/fd/7", "socket:[]");
	put_link("300/fd/8", "socket:[12x]");
	put_file("300/comm", "parent-longer-than-15\n", 22);
	put_file("300/cgroup", "12:cpu:/x\n0::/a/b.service\n", 26);
	put_dir("20");
	put_dir("20/fd");
	put_link("20/fd/9", "socket:[1000]");
	put_file("20/comm", "we\x1b[2Jird\n", 10);
	/* no cgroup file, and a v1-only one */
	put_dir("4000");
	put_dir("4000/fd");
	put_link("4000/fd/0", "socket:[5000]");
	put_file("4000/cgroup", "1:name=systemd:/\n", 17);
	/* no comm at all, an unreadable fd dir, a non-pid entry */
	put_dir("4001");
	put_dir("4001/fd");
	put_link("4001/fd/0", "socket:[5001]");
	put_dir("4002");
	put_dir("self");
	put_dir("self/fd");
	put_link("self/fd/0", "socket:[6000]");
	put_dir("0123");
	put_dir("0123/fd");
	put_link("0123/fd/0", "socket:[6001]");
	/* a cgroup path longer than kept */
	put_dir("4003");
	put_dir("4003/fd");
	put_link("4003/fd/0", "socket:[5003]");
	memcpy(cg, "0::/", 4);
	memset(cg + 4, 'x', TL_PROCFD_CGROUP_MAX + 10);
	put_file("4003/cgroup", cg, 4 + TL_PROCFD_CGROUP_MAX + 10);

	pf = tl_procfd_scan_at(tmpdir, 1000);
	ok(pf != NULL, "scan a fake tree");
	if (!pf)
		return;
	is_int(tl_procfd_count(pf), 5, "five sockets: 1000 1001 5000 5001 5003");
	o = tl_procfd_find(pf, 1000);
	ok(o && o->pid == 20, "shared socket: the lowest pid keeps it");
	if (o) {
		is_str(o->comm, "we\x1b[2Jird", "raw bytes kept, newline dropped");
		ok(o->cgroup == NULL, "no cgroup file: no path");
	}
	o = tl_procfd_find(pf, 1001);
	ok(o && o->pid == 300, "the other socket of 300");
	if (o) {
		is_str(o->comm, "parent-longer-t", "comm cut to 15 bytes");
		is_str(o->cgroup, "/a/b.service", "the 0:: line, not the v1 one");
	}
	o = tl_procfd_find(pf, 5000);
	ok(o && o->pid == 4000 && !o->cgroup, "v1-only cgroup file: no path");
	o = tl_procfd_find(pf, 5001);
	ok(o && o->pid == 4001 && o->comm[0] == '\0', "no comm file: empty name, pid kept");
	o = tl_procfd_find(pf, 5003);
	ok(o && !o->cgroup, "an overlong cgroup path is not kept");
	ok(!tl_procfd_find(pf, 6000) && !tl_procfd_find(pf, 6001), "'self' and '0123' are not pids");
	ok(!tl_procfd_find(pf, 1002), "pipes are not sockets");
	tl_procfd_free(pf);

	pf = tl_procfd_scan_at(tmpdir, 2);
	ok(pf && tl_procfd_count(pf) == 2 && tl_procfd_dropped(pf) == 3,
	   "capped at 2: the rest counted as dropped");
	tl_procfd_free(pf);

	errno = 0;
	pf = tl_procfd_scan_at("/nonexistent-tl", 10);
	ok(!pf && errno == ENOENT, "a missing root: NULL and ENOENT");
}

static void test_add(void)
{
	struct tl_procfd *pf = tl_procfd_new();
	const struct tl_owner *o;
	int i, err = 0;

	ok(pf != NULL, "an empty table");
	is_int(tl_procfd_add(pf, 0, 1, "x", NULL), -EINVAL, "inode 0 is refused");
	for (i = 1; i <= 5000 && !err; i++)
		err = tl_procfd_add(pf, (uint64_t)i * 7919, 100 + (uint32_t)(i % 3), "svc", "/s");
	is_int(err, 0, "5000 adds (the table grows)");
	is_int(tl_procfd_count(pf), 5000, "5000 sockets");
	o = tl_procfd_find(pf, 7919 * 4999ULL);
	ok(o && o->pid == 100 + 4999 % 3 && !strcmp(o->cgroup, "/s"), "found after growth");
	tl_procfd_add(pf, 7919, 50, "low", NULL);
	o = tl_procfd_find(pf, 7919);
	ok(o && o->pid == 50 && !strcmp(o->comm, "low"), "a lower pid takes over");
	tl_procfd_add(pf, 7919, 60, "high", NULL);
	o = tl_procfd_find(pf, 7919);
	ok(o && o->pid == 50, "a higher pid does not");
	tl_procfd_free(pf);
	tl_procfd_free(NULL);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

int main(void)
{
	test_real_socket();
	test_fake_tree();
	test_add();
	nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return tap_done();
}

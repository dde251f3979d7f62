// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * cgroup v2: mountinfo parsing from literal text, unit names, and on the
 * real machine (as root, with cgroup v2 mounted) ids, paths, rescans and
 * -c arguments against cgroups this test creates and removes.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "tests/unit/tap.h"

#define HEX64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void skip(const char *why)
{
	tap_n++;
	printf("ok %d # SKIP %s\n", tap_n, why);
}

static int find(const char *text, char *out, size_t outlen)
{
	return tl_mountinfo_cgroup2(text, strlen(text), out, outlen);
}

/* As on a systemd machine in "hybrid" mode: v1 hierarchies, v2 beside them. */
static const char hybrid[] =
	"22 27 0:20 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw\n"
	"25 22 0:23 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755\n"
	"26 25 0:24 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:10 - cgroup2 cgroup2 rw,nsdelegate\n"
	"27 25 0:25 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:11 - cgroup cgroup rw,xattr,name=systemd\n"
	"31 25 0:29 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:15 - cgroup cgroup rw,memory\n"
	"32 25 0:30 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:16 - cgroup cgroup rw,cpu,cpuacct\n";

static void test_mountinfo(void)
{
	char out[256], buf[16];

	is_int(find("30 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 "
		    "rw,nsdelegate,memory_recursiveprot\n", out, sizeof(out)), 0, "pure v2");
	is_str(out, "/sys/fs/cgroup", "pure v2: /sys/fs/cgroup");

	is_int(find(hybrid, out, sizeof(out)), 0, "hybrid layout");
	is_str(out, "/sys/fs/cgroup/unified", "hybrid: the unified mount, not the v1 ones or the tmpfs");

	is_int(find("30 23 0:26 / /mnt/my\\040cg\\011x\\134y\\012z rw - cgroup2 none rw\n", out, sizeof(out)), 0,
	       "escaped mount point");
	is_str(out, "/mnt/my cg\tx\\y\nz", "\\040 \\011 \\134 \\012 unescaped");

	is_int(find("30 23 0:26 / /a rw shared:4 master:1 propagate_from:2 unbindable - cgroup2 cgroup2 rw\n",
		    out, sizeof(out)), 0, "optional fields");
	is_str(out, "/a", "optional fields skipped");

	is_int(find("40 23 0:26 /docker/abc /in-container rw - cgroup2 cgroup2 rw\n"
		    "41 23 0:26 / /whole rw - cgroup2 cgroup2 rw\n"
		    "42 23 0:26 / /again rw - cgroup2 cgroup2 rw\n", out, sizeof(out)), 0, "several cgroup2 mounts");
	is_str(out, "/whole", "the first whose root is / wins");
	is_int(find("40 23 0:26 /docker/abc /sub1 rw - cgroup2 cgroup2 rw\n"
		    "41 23 0:26 /other /sub2 rw - cgroup2 cgroup2 rw\n", out, sizeof(out)), 0,
	       "only subtree mounts");
	is_str(out, "/sub1", "then the first");

	is_int(find("", out, sizeof(out)), -ENOENT, "empty text: ENOENT");
	is_int(tl_mountinfo_cgroup2(NULL, 0, out, sizeof(out)), -ENOENT, "no text at all: ENOENT");
	is_int(find("27 25 0:25 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,name=systemd\n"
		    "28 25 0:26 / /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids\n", out, sizeof(out)), -ENOENT,
	       "v1 only: ENOENT");
	is_int(find("30 23 0:26 / /x rw - cgroup2x cgroup2 rw\n", out, sizeof(out)), -ENOENT,
	       "fstype must be exactly cgroup2");
	is_int(find("30 23 0:26 / /x rw - tmpfs cgroup2 rw\n", out, sizeof(out)), -ENOENT,
	       "cgroup2 as the source is not the fstype");

	/* Each malformed line is skipped, and the good one after them found. */
	is_int(find("30 23 0:26 / /bad1 rw cgroup2 cgroup2 rw\n"		/* no separator */
		    "30 23 0:26 / /bad2 rw - cgroup2\n"			/* truncated after it */
		    "30 23 0:26 / /bad3 rw - cgroup2 cgroup2\n"		/* no super options */
		    "30 23 0:26 / /bad\\04x rw - cgroup2 cgroup2 rw\n"	/* bad escape */
		    "30 23 0:26 / /bad\\000 rw - cgroup2 cgroup2 rw\n"	/* a NUL */
		    "30 23 0:26 / /bad\\0 rw - cgroup2 cgroup2 rw\n"	/* escape cut short */
		    "30 23 0:26 / relative rw - cgroup2 cgroup2 rw\n"	/* not a path */
		    "xx 23 0:26 / /bad4 rw - cgroup2 cgroup2 rw\n"		/* not an id */
		    "30 23 026 / /bad5 rw - cgroup2 cgroup2 rw\n"		/* no major:minor */
		    "30 23 0:26 / - rw - cgroup2 cgroup2 rw\n"		/* separator too early */
		    "- cgroup2 cgroup2 rw\n"
		    "\n"
		    "garbage\n"
		    "30 23 0:26 / /good rw - cgroup2 cgroup2 rw\n", out, sizeof(out)), 0, "malformed lines");
	is_str(out, "/good", "malformed lines skipped, the good one found");
	is_int(find("30 23 0:26 / /bad\\000 rw - cgroup2 cgroup2 rw\n", out, sizeof(out)), -ENOENT,
	       "only a malformed line: ENOENT");

	is_int(find("30 23 0:26 / /last rw - cgroup2 cgroup2 rw", out, sizeof(out)), 0, "no final newline");
	is_str(out, "/last", "no final newline: found");
	{
		static const char t[] = "30 23 0:26 / /cut rw - cgroup2 cgroup2 rw\n";

		/* Cut inside the super options: still well formed ("r"). */
		is_int(tl_mountinfo_cgroup2(t, strlen(t) - 2, out, sizeof(out)), 0, "len is respected");
		/* Cut inside the fstype: "cgrou" is not cgroup2. */
		is_int(tl_mountinfo_cgroup2(t, 29, out, sizeof(out)), -ENOENT, "a cut fstype is not cgroup2");
	}

	is_int(find("30 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n", buf, 14), -ENAMETOOLONG,
	       "too small a buffer: ENAMETOOLONG");
	is_int(find("30 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n", buf, 15), 0, "an exact fit");
	is_str(buf, "/sys/fs/cgroup", "an exact fit is whole");
	is_int(find("30 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n", buf, 0), -ENAMETOOLONG,
	       "no buffer at all: ENAMETOOLONG");
	is_int(find("30 23 0:26 / /x rw - cgroup2 cgroup2 rw\n"
		    "31 23 0:26 / /a/much/longer/mount/point rw - cgroup2 cgroup2 rw\n", buf, sizeof(buf)), 0,
	       "the first root mount wins even when a later one is long");
	is_int(find("31 23 0:26 /sub /short rw - cgroup2 cgroup2 rw\n"
		    "30 23 0:26 / /a/much/longer/mount/point rw - cgroup2 cgroup2 rw\n", buf, sizeof(buf)),
	       -ENAMETOOLONG, "a preferred mount that does not fit is an error, not a fallback");
}

static void unit_is(const char *path, const char *want)
{
	char buf[128];
	size_t n = tl_cgroup_unit(buf, sizeof(buf), path);

	is_str(buf, want, "unit of %s", path ? path : "NULL");
	if (strcmp(buf, want) == 0)
		is_int(n, strlen(want), "its length");
}

static void test_unit(void)
{
	char buf[8];

	unit_is("/", "/");
	unit_is("", "/");
	unit_is("//", "/");
	unit_is(NULL, "/");
	unit_is("/system.slice/ssh.service", "ssh.service");
	unit_is("/system.slice", "system.slice");
	unit_is("/system.slice/sshd.socket", "sshd.socket");
	unit_is("/system.slice/boot.mount", "boot.mount");
	unit_is("/user.slice/user-1000.slice/user@1000.service/app.slice/app-foo-1.scope", "app-foo-1.scope");
	unit_is("/user.slice/user-1000.slice/session-3.scope", "session-3.scope");
	unit_is("/system.slice/ssh.service/sub/deeper", "ssh.service");
	unit_is("/system.slice/docker-" HEX64 ".scope", "0123456789ab");
	unit_is("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1f2e.slice/cri-containerd-"
		HEX64 ".scope", "0123456789ab");
	unit_is("/machine.slice/libpod-" HEX64 ".scope/container", "0123456789ab");
	unit_is("/docker/" HEX64, "0123456789ab");
	unit_is("/kubepods/besteffort/pod1f2e/" HEX64 "/", "0123456789ab");
	/* Not quite container ids: then the component is a unit, or just a name. */
	unit_is("/system.slice/docker-" "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde" ".scope",
		"docker-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde.scope");
	unit_is("/docker/0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF",
		"0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF");
	unit_is("/docker/x" HEX64, "x" HEX64);
	unit_is("/foo/bar", "bar");
	unit_is("/foo/bar/", "bar");
	unit_is("foo", "foo");
	unit_is("/x/.service", ".service");
	unit_is("/tl-test-1/child x", "child x");

	is_int(tl_cgroup_unit(buf, sizeof(buf), "/system.slice/ssh.service"), 11, "truncated: the whole length");
	is_str(buf, "ssh.ser", "truncated: NUL-terminated");
	is_int(tl_cgroup_unit(NULL, 0, "/system.slice/ssh.service"), 11, "no buffer: the length only");
}

/* Another reading of /proc/self/mountinfo than the module's: sscanf. */
static int expected_mount(char *out, size_t outlen)
{
	char line[4096], root[1024], mnt[1024], fstype[64];
	int found = -ENOENT;
	FILE *f = fopen("/proc/self/mountinfo", "r");

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		const char *sep = strstr(line, " - ");

		if (!sep || sscanf(sep, " - %63s", fstype) != 1 || strcmp(fstype, "cgroup2") != 0)
			continue;
		if (sscanf(line, "%*s %*s %*s %1023s %1023s", root, mnt) != 2)
			continue;
		if (found == 0 && strcmp(root, "/") != 0)
			continue;
		snprintf(out, outlen, "%s", mnt);
		found = 0;
		if (strcmp(root, "/") == 0)
			break;
	}
	fclose(f);
	return found;
}

/* The id as the kernel's file handle says: for kernfs, 8 bytes of id. */
static uint64_t handle_id(const char *path)
{
	union {
		struct file_handle fh;
		char space[sizeof(struct file_handle) + MAX_HANDLE_SZ];
	} h;
	uint64_t id = 0;
	int mount_id;

	h.fh.handle_bytes = MAX_HANDLE_SZ;
	if (name_to_handle_at(AT_FDCWD, path, &h.fh, &mount_id, 0))
		return 0;
	if (h.fh.handle_bytes != sizeof(id))
		return 0;
	memcpy(&id, h.fh.f_handle, sizeof(id));
	return id;
}

static uint64_t ino_of(const char *path)
{
	struct stat st;

	return stat(path, &st) ? 0 : st.st_ino;
}

static void sleep_ns(uint64_t ns)
{
	struct timespec ts = { .tv_sec = (time_t)(ns / 1000000000ull), .tv_nsec = (long)(ns % 1000000000ull) };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static char dir[2048], child[4096];

static void remove_dirs(void)
{
	if (child[0])
		rmdir(child);
	if (dir[0])
		rmdir(dir);
}

/*
 * Mount layouts the machine does not have, made in a mount namespace of a
 * forked child (private before anything else, so nothing reaches the host's
 * mounts). One byte per check comes back through a pipe; the child never
 * returns (no atexit cleanup there).
 */
struct ns_case {
	const char *mnt;		/* the real cgroup2 mount */
	const char *name;		/* "/tl-test-<pid>" */
	char tmp[64];			/* an empty directory to mount on */
	uint64_t root_id, id, child_id;
};

#define NS_MAX_CHECKS 8

/*
 * Only a subtree mounted: a bind mount of the test cgroup (mountinfo root
 * "/tl-test-<pid>"), the real mount detached. Paths must still be relative
 * to the v2 root, like the kernel's ids.
 */
static const char *const subtree_checks[] = {
	"subtree: tl_cgroups_open finds the bind mount",
	"subtree: the bound cgroup's path is its path from the v2 root",
	"subtree: a nested cgroup's full path",
	"subtree: resolve a path relative to the v2 root",
	"subtree: resolve the fs path below the bind mount",
	"subtree: the root is outside the bound part: ENOENT",
	NULL,
};

static void subtree_body(const struct ns_case *c, char *res)
{
	char fs[4096], rel[4096], want[4096], arg[4096];
	struct tl_cgroups *cg;
	const char *p;
	uint64_t got = 0;

	if (mount(dir, c->tmp, NULL, MS_BIND, NULL) || umount2(c->mnt, MNT_DETACH))
		return;
	cg = tl_cgroups_open();
	if (!cg)
		return;
	res[0] = strcmp(tl_cgroups_mount(cg), c->tmp) == 0;
	p = tl_cgroups_path(cg, c->id);
	res[1] = p && strcmp(p, c->name) == 0;
	snprintf(want, sizeof(want), "%s/child x", c->name);
	p = tl_cgroups_path(cg, c->child_id);
	res[2] = p && strcmp(p, want) == 0;
	res[3] = tl_cgroups_resolve_arg(cg, want, fs, sizeof(fs), rel, sizeof(rel), &got, NULL, 0) == 0 &&
		 got == c->child_id && strcmp(rel, want) == 0;
	snprintf(arg, sizeof(arg), "%s/child x", c->tmp);
	got = 0;
	res[4] = tl_cgroups_resolve_arg(cg, arg, fs, sizeof(fs), rel, sizeof(rel), &got, NULL, 0) == 0 &&
		 got == c->child_id && strcmp(rel, want) == 0 && strcmp(fs, arg) == 0;
	res[5] = tl_cgroups_resolve_arg(cg, "/", fs, sizeof(fs), rel, sizeof(rel), &got, NULL, 0) == -ENOENT;
	tl_cgroups_free(cg);
}

/*
 * The cgroup2 root bind-mounted onto one of its own directories: same
 * device, so only the mount id tells the walk not to go in, where every
 * cgroup would be seen again under a longer, wrong path.
 */
static const char *const loop_checks[] = {
	"loop: tl_cgroups_open on a tree that contains itself",
	"loop: the root keeps its path",
	"loop: the test cgroup keeps its path",
	"loop: the hidden cgroup is unresolved, not named after the mount over it",
	"loop: a -c path through the bind mount is no cgroup: ENOENT",
	NULL,
};

static void loop_body(const struct ns_case *c, char *res)
{
	char rel[4096], want[4096];
	struct tl_cgroups *cg;
	const char *p;
	uint64_t got = 0;

	if (mount(c->mnt, child, NULL, MS_BIND, NULL))
		return;
	cg = tl_cgroups_open();
	if (!cg)
		return;
	res[0] = 1;
	p = tl_cgroups_path(cg, c->root_id);
	res[1] = p && strcmp(p, "/") == 0;
	p = tl_cgroups_path(cg, c->id);
	res[2] = p && strcmp(p, c->name) == 0;
	res[3] = tl_cgroups_path(cg, c->child_id) == NULL;
	snprintf(want, sizeof(want), "%s/child x", c->name);
	res[4] = tl_cgroups_resolve_arg(cg, want, NULL, 0, rel, sizeof(rel), &got, NULL, 0) == -ENOENT;
	tl_cgroups_free(cg);
}

/* No cgroup v2 at all. */
static const char *const none_checks[] = {
	"none: tl_cgroups_open without a cgroup2 mount: NULL, ENOENT",
	NULL,
};

static void none_body(const struct ns_case *c, char *res)
{
	struct tl_cgroups *cg;

	/* Every cgroup2 mount there is, not only the one the test uses. */
	for (int i = 0; i < 16 && (cg = tl_cgroups_open()); i++) {
		int err = umount2(tl_cgroups_mount(cg), MNT_DETACH);

		tl_cgroups_free(cg);
		if (err)
			return;
	}
	errno = 0;
	cg = tl_cgroups_open();
	res[0] = !cg && errno == ENOENT;
	tl_cgroups_free(cg);
}

static void test_in_namespace(struct ns_case *c, const char *what, const char *const *checks,
			      void (*body)(const struct ns_case *c, char *res))
{
	char res[NS_MAX_CHECKS];
	int fds[2], status = -1;
	ssize_t got = 0;
	pid_t pid;

	snprintf(c->tmp, sizeof(c->tmp), "/tmp/tl-cgmnt-XXXXXX");
	if (!mkdtemp(c->tmp) || pipe(fds)) {
		skip("no temporary directory or pipe");
		return;
	}
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		close(fds[0]);
		memset(res, 0, sizeof(res));
		if (unshare(CLONE_NEWNS) == 0 && mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0)
			body(c, res);
		_exit(write(fds[1], res, sizeof(res)) == (ssize_t)sizeof(res) ? 0 : 1);
	}
	close(fds[1]);
	if (pid > 0) {
		got = read(fds[0], res, sizeof(res));
		waitpid(pid, &status, 0);
	}
	close(fds[0]);
	rmdir(c->tmp);
	if (!ok(got == (ssize_t)sizeof(res) && status == 0, "%s: the child in its mount namespace ran", what))
		return;
	for (size_t i = 0; checks[i]; i++)
		ok(res[i], "%s", checks[i]);
}

static void test_real(void)
{
	char want[1024], fs[4096], rel[4096], err[256], name[64], small[8];
	struct tl_cgroups *cg = NULL;
	uint64_t id, child_id, root_id, got = 0;
	struct statfs sfs;
	int i, storm_hits;

	if (geteuid() != 0) {
		skip("the real-machine tests create cgroups: run as root");
		return;
	}
	if (expected_mount(want, sizeof(want))) {
		skip("no cgroup v2 mounted here");
		return;
	}
	ok(statfs(want, &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC, "%s is a cgroup2 filesystem", want);

	cg = tl_cgroups_open();
	if (!ok(cg, "tl_cgroups_open: %s", cg ? "" : strerror(errno)))
		return;
	is_str(tl_cgroups_mount(cg), want, "the mount /proc/self/mountinfo names");
	is_int(tl_cgroups_scans(cg), 1, "open walks the tree once");
	root_id = ino_of(want);
	is_str(tl_cgroups_path(cg, root_id), "/", "the root's id is \"/\"");

	/* Created after open: only a rescan can know them. */
	atexit(remove_dirs);
	snprintf(dir, sizeof(dir), "%s/tl-test-%d", want, (int)getpid());
	snprintf(child, sizeof(child), "%s/child x", dir);
	if (!ok(mkdir(dir, 0755) == 0, "mkdir %s: %s", dir, strerror(errno))) {
		dir[0] = child[0] = '\0';
		goto cleanup;
	}
	if (!ok(mkdir(child, 0755) == 0, "mkdir %s: %s", child, strerror(errno))) {
		child[0] = '\0';
		goto cleanup;
	}
	id = ino_of(dir);
	child_id = ino_of(child);
	ok(id != 0 && child_id != 0 && id != child_id, "the new cgroups have distinct ids");
	is_int(handle_id(dir), id, "the file handle's id is st_ino (the cgroup id)");
	is_int(handle_id(child), child_id, "also for the nested one");

	/* open has just walked: a miss now must not walk again, however many. */
	ok(tl_cgroups_path(cg, id) == NULL, "a cgroup newer than the scan: NULL, not a guess");
	storm_hits = 0;
	for (i = 0; i < 100000; i++)
		storm_hits += tl_cgroups_path(cg, 0xfff0000000000000ull + (uint64_t)i) != NULL;
	is_int(storm_hits, 0, "a storm of unknown ids resolves none");
	is_int(tl_cgroups_scans(cg), 1, "and walks no tree within the rescan interval");

	sleep_ns(TL_CGROUPS_RESCAN_NS + TL_CGROUPS_RESCAN_NS / 10);
	snprintf(name, sizeof(name), "/tl-test-%d", (int)getpid());
	is_str(tl_cgroups_path(cg, id), name, "after the interval a miss rescans and finds it");
	is_int(tl_cgroups_scans(cg), 2, "one more walk");
	snprintf(rel, sizeof(rel), "%s/child x", name);
	is_str(tl_cgroups_path(cg, child_id), rel, "the nested one, raw name with its space");
	is_str(tl_cgroups_path(cg, root_id), "/", "the root still");
	is_int(tl_cgroups_scans(cg), 2, "hits walk nothing");
	ok(tl_cgroups_path(cg, 0) == NULL, "id 0: NULL");

	sleep_ns(TL_CGROUPS_RESCAN_NS + TL_CGROUPS_RESCAN_NS / 10);
	ok(tl_cgroups_path(cg, 0xfff0000000000000ull) == NULL, "an unknown id: NULL");
	is_int(tl_cgroups_scans(cg), 3, "after rescanning once");

	/* -c arguments */
	is_int(tl_cgroups_resolve_arg(cg, dir, fs, sizeof(fs), rel, sizeof(rel), &got, err, sizeof(err)), 0,
	       "resolve the fs path %s", dir);
	is_str(fs, dir, "its fs path");
	is_str(rel, name, "its relative path");
	is_int(got, id, "its id");

	got = 0;
	is_int(tl_cgroups_resolve_arg(cg, name, fs, sizeof(fs), rel, sizeof(rel), &got, err, sizeof(err)), 0,
	       "resolve the relative path %s", name);
	is_str(fs, dir, "its fs path");
	is_int(got, id, "its id");

	got = 0;
	snprintf(want, sizeof(want), "tl-test-%d//./child x/", (int)getpid());
	is_int(tl_cgroups_resolve_arg(cg, want, fs, sizeof(fs), rel, sizeof(rel), &got, err, sizeof(err)), 0,
	       "resolve %s (no leading /, extra slashes, .)", want);
	is_str(fs, child, "its fs path");
	snprintf(want, sizeof(want), "%s/child x", name);
	is_str(rel, want, "its relative path, normalized");
	is_int(got, child_id, "its id");

	got = 0;
	is_int(tl_cgroups_resolve_arg(cg, tl_cgroups_mount(cg), fs, sizeof(fs), rel, sizeof(rel), &got, err,
				      sizeof(err)), 0, "resolve the mount point");
	is_str(rel, "/", "it is the root");
	is_int(got, root_id, "its id");
	is_int(tl_cgroups_resolve_arg(cg, "/", NULL, 0, rel, sizeof(rel), &got, NULL, 0), 0,
	       "resolve \"/\" (no fs path or message wanted)");
	is_int(got, root_id, "the root's id");

	err[0] = '\0';
	is_int(tl_cgroups_resolve_arg(cg, "", fs, sizeof(fs), rel, sizeof(rel), &got, err, sizeof(err)), -EINVAL,
	       "empty: EINVAL");
	ok(err[0], "with a message: %s", err);
	err[0] = '\0';
	snprintf(want, sizeof(want), "%s/../tl-test-%d", name, (int)getpid());
	is_int(tl_cgroups_resolve_arg(cg, want, fs, sizeof(fs), rel, sizeof(rel), &got, err, sizeof(err)), -EINVAL,
	       "\"..\": EINVAL");
	ok(err[0], "with a message: %s", err);
	is_int(tl_cgroups_resolve_arg(cg, "..", fs, sizeof(fs), rel, sizeof(rel), &got, err, sizeof(err)), -EINVAL,
	       "\"..\" alone: EINVAL");
	err[0] = '\0';
	snprintf(want, sizeof(want), "/tl-no-such-%d", (int)getpid());
	is_int(tl_cgroups_resolve_arg(cg, want, fs, sizeof(fs), rel, sizeof(rel), &got, err, sizeof(err)), -ENOENT,
	       "no such cgroup: ENOENT");
	ok(err[0], "with a message: %s", err);
	snprintf(want, sizeof(want), "%s/cgroup.procs", name);
	is_int(tl_cgroups_resolve_arg(cg, want, fs, sizeof(fs), rel, sizeof(rel), &got, err, sizeof(err)), -ENOENT,
	       "a control file is no cgroup: ENOENT");
	snprintf(want, sizeof(want), "%s/cgroup.procs/x", name);
	is_int(tl_cgroups_resolve_arg(cg, want, fs, sizeof(fs), rel, sizeof(rel), &got, err, sizeof(err)), -ENOENT,
	       "below a file: ENOENT");
	is_int(tl_cgroups_resolve_arg(cg, name, small, sizeof(small), rel, sizeof(rel), &got, err, sizeof(err)),
	       -ENAMETOOLONG, "a small buffer: ENAMETOOLONG");

	{
		struct ns_case c = {
			.mnt = tl_cgroups_mount(cg), .name = name,
			.root_id = root_id, .id = id, .child_id = child_id,
		};

		test_in_namespace(&c, "subtree", subtree_checks, subtree_body);
		test_in_namespace(&c, "loop", loop_checks, loop_body);
		test_in_namespace(&c, "none", none_checks, none_body);
	}

	/* Removed since seen: its last path, true when its events happened. */
	if (ok(rmdir(child) == 0, "rmdir the nested cgroup"))
		child[0] = '\0';
	snprintf(want, sizeof(want), "%s/child x", name);
	is_str(tl_cgroups_path(cg, child_id), want, "a removed cgroup keeps its last path");

	tl_cgroups_free(cg);
	cg = tl_cgroups_open_at(dir);
	/* dir is on cgroup2 but is no mount root: accepted, taken as the root */
	if (ok(cg, "open_at a cgroup2 directory")) {
		is_str(tl_cgroups_path(cg, id), "/", "relative to it");
		tl_cgroups_free(cg);
	}
	cg = NULL;
	errno = 0;
	ok(tl_cgroups_open_at("/tmp") == NULL && errno == EINVAL, "open_at a non-cgroup2 directory: EINVAL");
	errno = 0;
	ok(tl_cgroups_open_at("tmp") == NULL && errno == EINVAL, "open_at a relative path: EINVAL");
	errno = 0;
	ok(tl_cgroups_open_at("/nonexistent-tl") == NULL && errno == ENOENT, "open_at nothing: ENOENT");

cleanup:
	tl_cgroups_free(cg);
	remove_dirs();
	ok(!dir[0] || access(dir, F_OK) != 0, "the test cgroups are removed");
}

int main(void)
{
	test_mountinfo();
	test_unit();
	test_real();
	return tap_done();
}

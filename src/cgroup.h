/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * cgroup v2 ids and paths. The BPF side records bpf_get_current_cgroup_id(),
 * which on 64-bit kernels is the kernfs node id, that is the inode number of
 * the cgroup's directory in the cgroup2 filesystem. This module turns such
 * an id back into a path, and a user's -c argument into an id.
 *
 * Paths are relative to the cgroup v2 root: "/" for the root,
 * "/system.slice/ssh.service" for a service, also when only a subtree is
 * mounted (a bind mount whose mountinfo root is not "/": its root is put in
 * front). "The v2 root" is the one this process sees: inside a cgroup
 * namespace that is the namespace's root. Paths are raw bytes from the
 * filesystem (untrusted text): escape them before display.
 *
 * Not thread-safe: one tl_cgroups per thread, or a lock around it.
 */
#ifndef TCPLENS_CGROUP_H
#define TCPLENS_CGROUP_H

#include <stddef.h>
#include <stdint.h>

/* A miss rescans the tree at most this often. */
#define TL_CGROUPS_RESCAN_NS	1000000000ull
/* Bounds of one scan: deeper or further cgroups stay unresolved. */
#define TL_CGROUPS_MAX_DEPTH	64
#define TL_CGROUPS_MAX_ENTRIES	1000000

struct tl_cgroups;

/*
 * Finds the cgroup2 mount in /proc/self/mountinfo and scans its tree.
 * NULL and errno: ENOENT when no cgroup v2 is mounted, ENOMEM, or what
 * opening the mount point failed with.
 */
struct tl_cgroups *tl_cgroups_open(void);
/* The same with an explicit mount point (tests), absolute, taken as the v2 root:
 * EINVAL if it is relative or not on a cgroup2 filesystem. */
struct tl_cgroups *tl_cgroups_open_at(const char *mountpoint);
void tl_cgroups_free(struct tl_cgroups *cg);
/* The mount point, e.g. "/sys/fs/cgroup" or "/sys/fs/cgroup/unified". */
const char *tl_cgroups_mount(const struct tl_cgroups *cg);

/*
 * The path of cgroup `id` relative to the v2 root, or NULL when it cannot be
 * resolved (never a guess). Answers from a cache; a miss rescans the tree,
 * but at most once per TL_CGROUPS_RESCAN_NS, so a storm of unknown ids does
 * not walk the tree at every event; a cgroup created since the last scan is
 * found by the next allowed rescan. A cgroup removed since it was seen keeps
 * its last path (events of a finished service still name it); a renamed one
 * gets its new path at the next rescan. The returned string stays valid until
 * tl_cgroups_free, even if the entry is later updated.
 */
const char *tl_cgroups_path(struct tl_cgroups *cg, uint64_t id);

/* How many tree walks were done so far (tests, diagnostics). */
unsigned long tl_cgroups_scans(const struct tl_cgroups *cg);

/*
 * A user's -c argument: either a path inside the cgroup2 mount
 * ("/sys/fs/cgroup/unified/system.slice") or a path relative to the v2 root
 * ("/system.slice", "system.slice/x.service"). Fills fspath with the absolute
 * directory path (for open(2): the kernel-side filter needs an fd), relpath
 * with the root-relative path ("/system.slice") and *id. Each of fspath,
 * relpath, id, err may be NULL (with a zero length) if unwanted.
 * Returns 0, -ENOENT if there is no such cgroup, -EINVAL for nonsense
 * (empty, a ".." component), -ENAMETOOLONG if a buffer is too small, or
 * another -errno from stat(2); on failure err holds a message for the user.
 */
int tl_cgroups_resolve_arg(struct tl_cgroups *cg, const char *arg, char *fspath, size_t fslen,
			   char *relpath, size_t rellen, uint64_t *id, char *err, size_t errlen);

/*
 * Pure parser (fuzzed): the cgroup2 mount point in mountinfo text (len
 * bytes, need not be NUL-terminated), unescaped (\040 \011 \012 \134).
 * With several cgroup2 mounts the first whose root is "/" wins, else the
 * first. Malformed lines are skipped. Returns 0, -ENOENT if there is none,
 * -ENAMETOOLONG if it does not fit in outlen bytes with its NUL.
 */
int tl_mountinfo_cgroup2(const char *text, size_t len, char *out, size_t outlen);

/*
 * "The unit": a short readable name of a cgroup path for a UNIT column.
 * Looking from the last path component back, the first that is
 *   - a container: a 64-hex-digit component, bare or as "<runtime>-<64hex>"
 *     with an optional ".scope" ("docker-<id>.scope",
 *     "cri-containerd-<id>.scope"): its first 12 hex digits;
 *   - a systemd unit: a name ending in .service, .scope, .slice, .socket,
 *     .mount or .swap: that component ("ssh.service");
 * else the last component; "/" for the root (or an empty path).
 * Writes at most len bytes with a NUL (truncating) and returns the length
 * of the whole name, like snprintf.
 */
size_t tl_cgroup_unit(char *buf, size_t len, const char *path);

#endif

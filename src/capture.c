// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Open -> configure rodata and map sizes -> keep one probe set -> load ->
 * attach -> ring buffer. The tp_btf set is preferred; the classic
 * tracepoint set is the fallback, chosen at run time.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <linux/capability.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "adopt.h"
#include "capture.h"
#include "cgroup.h"
#include "clock.h"
#include "decode.h"
#include "log.h"
#include "open_filter.h"
#include "owners.h"
#include "procfd.h"
#include "tcplens_event.h"
#include "tcplens.skel.h"

#define VMLINUX_BTF "/sys/kernel/btf/vmlinux"
#define TRACEFS "/sys/kernel/tracing"
#define DEBUGFS_TRACING "/sys/kernel/debug/tracing"

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

struct tl_capture {
	struct tcplens_bpf *skel;
	struct ring_buffer *rb;
	struct bpf_link *iter;	/* the iter/tcp program's link */
	int64_t boot_to_wall;
	int ncpus;
	const char *kind;
	bool btf;		/* tp_btf programs, else classic tracepoints */
	bool umount_tracefs;	/* we mounted it in the host's namespace: undo at close */
	bool tracefs_ok;	/* tracefs is there (the host's, or ours) */
	char tracefs_err[256];	/* why not */
	tl_record_cb cb;
	void *cb_ctx;
	uint64_t bad_events;
	struct tl_snapshot start;	/* the walk at start that adopted the open sockets */
	struct tl_adopt_table *adopt;	/* owners and directions of those, by address */
	struct tl_owners *owners;	/* the /proc scan of start, for later snapshots */
	struct tl_cgroups *cg;		/* cgroup ids to paths; NULL: no cgroup v2 */
	const struct tl_options *opt;
	char cg_fspath[4096];		/* -c: the directory, for the kernel-side filter */
	char cg_relpath[4096];		/* -c: its path from the v2 root */
	int stats_fd;			/* BPF run-time statistics are on while held; -1: off */
};

static bool libbpf_verbose;

static int capture_adopt(struct tl_capture *c, char *err, size_t errlen);

static int capture_libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char *text = NULL, *line, *save = NULL;

	if (!libbpf_verbose)
		return 0;
	/* a verifier log is one message of many lines: keep every line */
	if (vasprintf(&text, fmt, ap) < 0)
		return 0;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		tl_log("%s", line);
	free(text);
	return 0;
}

static bool has_cap(const struct __user_cap_data_struct *d, int cap)
{
	return d[cap / 32].effective & (1u << (cap % 32));
}

/*
 * CAP_BPF with CAP_PERFMON, or CAP_SYS_ADMIN. Being uid 0 is not enough:
 * a container may have dropped them, and then "run as root" would be the
 * wrong advice. False with the reason, naming what is missing, in err.
 */
static bool capture_privileged(char *err, size_t errlen)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = { 0 };
	bool bpf, perfmon;

	if (syscall(SYS_capget, &hdr, data)) {
		if (geteuid() == 0)
			return true;
		snprintf(err, errlen, "must run as root (or with CAP_BPF and CAP_PERFMON) to load BPF "
			 "programs");
		return false;
	}
	if (has_cap(data, CAP_SYS_ADMIN))
		return true;
	bpf = has_cap(data, CAP_BPF);
	perfmon = has_cap(data, CAP_PERFMON);
	if (bpf && perfmon)
		return true;
	snprintf(err, errlen, "%s without %s%s%s (or CAP_SYS_ADMIN), needed to load and attach the BPF "
		 "programs%s",
		 geteuid() == 0 ? "running as uid 0 but" : "running", bpf ? "" : "CAP_BPF",
		 !bpf && !perfmon ? " and " : "", perfmon ? "" : "CAP_PERFMON",
		 geteuid() == 0 ? ": the capabilities were dropped (a container?)" :
				  ": run as root or grant them");
	return false;
}

static bool btf_has_typedef(const struct btf *btf, const char *name)
{
	return btf && btf__find_by_name_kind(btf, name, BTF_KIND_TYPEDEF) > 0;
}

static const char *tracefs_root(void)
{
	struct stat st;

	if (stat(DEBUGFS_TRACING "/events", &st) == 0)
		return DEBUGFS_TRACING;
	return TRACEFS;
}

/* 0: tracefs is there and readable; -EACCES: there but not for us; -ENOENT. */
static int tracefs_state(void)
{
	const char *const roots[] = { DEBUGFS_TRACING "/events", TRACEFS "/events" };
	int ret = -ENOENT;
	struct stat st;

	for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]); i++) {
		if (stat(roots[i], &st) == 0)
			return 0;
		if (errno == EACCES)
			ret = -EACCES;
	}
	return ret;
}

/*
 * Classic tracepoints are attached by their id, which only tracefs tells.
 * If it is not mounted, mount it in a mount namespace of our own, a slave
 * of the host's: the host never sees it, and it goes away with us. Only
 * where that is refused is it mounted on the host, and unmounted at exit.
 */
static int capture_need_tracefs(struct tl_capture *c, char *err, size_t errlen)
{
	int ret = tracefs_state();

	if (ret == 0)
		return 0;
	/* mounted but closed to us: mounting another would not be the answer */
	if (ret == -EACCES) {
		snprintf(err, errlen, "classic tracepoints need tracefs, which is mounted on %s but not "
			 "readable by this process (Permission denied): run as root or make it readable",
			 TRACEFS);
		return ret;
	}
	if (unshare(CLONE_NEWNS) == 0) {
		if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) == 0 &&
		    mount("tracefs", TRACEFS, "tracefs", 0, NULL) == 0)
			return 0;
		ret = -errno;
		snprintf(err, errlen, "classic tracepoints need tracefs, and mounting it on %s failed: %s",
			 TRACEFS, strerror(-ret));
		return ret;
	}
	if (mount("tracefs", TRACEFS, "tracefs", 0, NULL)) {
		ret = -errno;
		snprintf(err, errlen, "classic tracepoints need tracefs, and mounting it on %s failed: %s",
			 TRACEFS, strerror(-ret));
		return ret;
	}
	c->umount_tracefs = true;
	tl_log("mounted tracefs on %s for the classic tracepoints; it is unmounted at exit", TRACEFS);
	return 0;
}

static bool tracepoint_exists(const char *category, const char *name)
{
	char path[256];
	struct stat st;

	snprintf(path, sizeof(path), "%s/events/%s/%s", tracefs_root(), category, name);
	return stat(path, &st) == 0;
}

static uint32_t ringbuf_bytes(uint32_t kib)
{
	uint64_t want = (uint64_t)kib * 1024, size = 4096;

	while (size < want && size < (1u << 30))
		size <<= 1;
	return (uint32_t)size;
}

static void capture_configure(struct tcplens_bpf *skel, const struct tl_options *opt, bool btf)
{
	uint32_t rb = ringbuf_bytes(opt->ringbuf_kib);

	skel->rodata->filter_pid = opt->pid;
	skel->rodata->filter_family = opt->family;
	skel->rodata->filter_lports_on = opt->lports.count > 0;
	skel->rodata->filter_rports_on = opt->rports.count > 0;
	skel->rodata->filter_cgroup_on = opt->cgroup != NULL;
	memcpy((void *)skel->rodata->lport_bits, opt->lports.bits, sizeof(opt->lports.bits));
	memcpy((void *)skel->rodata->rport_bits, opt->rports.bits, sizeof(opt->rports.bits));
	/*
	 * Batch wake-ups: the reader drains on a timer anyway, so a wake-up
	 * per event would only burn CPU under load.
	 */
	skel->rodata->wakeup_bytes = rb / 4;
	bpf_map__set_max_entries(skel->maps.events, rb);
	/*
	 * The fast per-socket store on both paths; tp_btf goes on in socket
	 * storage once it is full, the fallback loses (and counts) the rest.
	 */
	(void)btf;
	bpf_map__set_max_entries(skel->maps.socks, opt->max_sockets);
}

/* What the kernel offers beyond the state tracepoint, for one probe set. */
struct probe_caps {
	bool send_reset;	/* tcp:tcp_send_reset */
	bool accept;		/* syscalls:sys_exit_accept{,4} (needs tracefs) */
	bool io;		/* sock:sock_{send,recv}_length */
	bool iter;		/* the iter/tcp iterator (Linux 5.9) */
};

static void autoload(struct bpf_program *prog, bool on)
{
	bpf_program__set_autoload(prog, on);
}

/*
 * Keep one set of programs. The owner of an accepted socket is taken at
 * the exit of accept(); only where those tracepoints are missing do the
 * send/receive hooks, which run on every I/O, take their place.
 */
static void capture_select(struct tcplens_bpf *skel, bool btf, const struct probe_caps *caps)
{
	__typeof__(skel->progs) *p = &skel->progs;
	bool io = !caps->accept && caps->io;

	autoload(p->tl_state_btf, btf);
	/* the standby for nested state changes exists for tp_btf only: classic
	 * tracepoints share one per-CPU guard, so a second program would be
	 * skipped together with the first */
	autoload(p->tl_state_btf_nested, btf);
	autoload(p->tl_reset_btf, btf);
	autoload(p->tl_send_reset_btf, btf && caps->send_reset);
	autoload(p->tl_send_btf, btf && io);
	autoload(p->tl_recv_btf, btf && io);
	autoload(p->tl_iter_btf, btf && caps->iter);
	autoload(p->tl_adopt_btf, btf && caps->iter);

	autoload(p->tl_state_tp, !btf);
	autoload(p->tl_reset_tp, !btf);
	autoload(p->tl_send_reset_tp, !btf && caps->send_reset);
	autoload(p->tl_destroy_tp, !btf);
	autoload(p->tl_send_tp, !btf && io);
	autoload(p->tl_recv_tp, !btf && io);
	autoload(p->tl_iter_hash, !btf && caps->iter);
	autoload(p->tl_adopt_hash, !btf && caps->iter);

	autoload(p->tl_accept_exit, caps->accept);
	autoload(p->tl_accept4_exit, caps->accept);
}

/*
 * A session opened before start: the owner and direction found at start
 * (the kernel knew neither), and the filters on the owner, which the kernel
 * could not apply. Returns false when the filters reject it.
 */
static bool capture_complete_adopted(struct tl_capture *c, struct tl_record *r)
{
	const struct tl_adopt_entry *e = c->adopt ? tl_adopt_record(c->adopt, r) : NULL;
	const char *path;
	uint64_t id;

	if (e && e->cgroup && !r->cgroup_id && c->cg &&
	    tl_cgroups_resolve_arg(c->cg, e->cgroup, NULL, 0, NULL, 0, &id, NULL, 0) == 0)
		r->cgroup_id = id;
	if (c->opt->pid && (!r->owner_known || r->pid != c->opt->pid))
		return false;
	if (c->opt->cgroup) {
		path = r->owner_known && r->cgroup_id && c->cg ? tl_cgroups_path(c->cg, r->cgroup_id) : NULL;
		if (!path || !tl_open_cgroup_within(c->cg_relpath, path))
			return false;
	}
	return true;
}

static int capture_on_event(void *ctx, void *data, size_t size)
{
	struct tl_capture *c = ctx;
	struct tl_record r;

	if (tl_decode(data, size, c->boot_to_wall, &r)) {
		if (c->bad_events++ == 0)
			tl_log("ignored a malformed event of %zu bytes", size);
		return 0;
	}
	if (r.adopted && !capture_complete_adopted(c, &r))
		return 0;
	c->cb(c->cb_ctx, &r);
	return 0;
}

static const char *load_error(int err)
{
	switch (-err) {
	case EPERM:
		return "the kernel refused to load the BPF programs (permission denied; lockdown or a "
		       "security module may forbid BPF)";
	case EACCES:
		/* what the verifier answers when it rejects a program */
		return "the kernel's BPF verifier rejected the programs (run with -v to see why)";
	case E2BIG:
	case ENOMEM:
		return "the kernel could not allocate the BPF maps (try a smaller --ringbuf-kib or "
		       "--max-sockets)";
	default:
		return NULL;
	}
}

/* The cgroup of -c, for the kernel-side filter: the map holds its fd. */
static int capture_set_cgroup(struct tcplens_bpf *skel, const char *path, char *err, size_t errlen)
{
	__u32 zero = 0;
	int fd, ret = 0;

	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "--cgroup: cannot open %s: %s", path, strerror(errno));
		return -errno;
	}
	if (bpf_map_update_elem(bpf_map__fd(skel->maps.cgroup_filter), &zero, &fd, BPF_ANY)) {
		ret = -errno;
		snprintf(err, errlen, "--cgroup: the kernel refused %s as a cgroup filter: %s", path,
			 strerror(errno));
	}
	close(fd);
	return ret;
}

/* cgroup v2 paths for the output, and -c resolved for the filters. */
static int capture_cgroups(struct tl_capture *c, const struct tl_options *opt, char *err, size_t errlen)
{
	int ret;

	c->cg = tl_cgroups_open();
	if (!c->cg && opt->cgroup) {
		snprintf(err, errlen, "--cgroup: %s", errno == ENOENT ? "no cgroup v2 hierarchy is mounted" :
			 strerror(errno));
		return -ENOENT;
	}
	if (!c->cg) {
		tl_log("cgroup v2 is not mounted: cgroups are shown as unknown");
		return 0;
	}
	if (!opt->cgroup)
		return 0;
	ret = tl_cgroups_resolve_arg(c->cg, opt->cgroup, c->cg_fspath, sizeof(c->cg_fspath),
				     c->cg_relpath, sizeof(c->cg_relpath), NULL, err, errlen);
	return ret;
}

/* One attempt with one probe set; on failure err says why. */
static struct tcplens_bpf *capture_try(struct tl_capture *c, const struct tl_options *opt, bool btf,
				       const struct btf *vmlinux, char *err, size_t errlen)
{
	struct probe_caps caps = { 0 };
	struct tcplens_bpf *skel;
	int ret;

	if (btf) {
		if (!btf_has_typedef(vmlinux, "btf_trace_inet_sock_set_state")) {
			snprintf(err, errlen, "kernel BTF has no inet_sock_set_state tracepoint for tp_btf");
			return NULL;
		}
		caps.send_reset = btf_has_typedef(vmlinux, "btf_trace_tcp_send_reset");
		caps.io = btf_has_typedef(vmlinux, "btf_trace_sock_send_length") &&
			  btf_has_typedef(vmlinux, "btf_trace_sock_recv_length");
		/* the accept() hooks are worth a tracefs mount of our own */
		caps.accept = c->tracefs_ok && tracepoint_exists("syscalls", "sys_exit_accept4") &&
			      tracepoint_exists("syscalls", "sys_exit_accept");
	} else {
		if (!c->tracefs_ok) {
			snprintf(err, errlen, "%s", c->tracefs_err);
			return NULL;
		}
		if (!tracepoint_exists("sock", "inet_sock_set_state")) {
			snprintf(err, errlen, "kernel too old: tracepoint sock:inet_sock_set_state (Linux 4.16) "
				 "is missing");
			return NULL;
		}
		caps.send_reset = tracepoint_exists("tcp", "tcp_send_reset");
		caps.io = tracepoint_exists("sock", "sock_send_length") &&
			  tracepoint_exists("sock", "sock_recv_length");
		caps.accept = tracepoint_exists("syscalls", "sys_exit_accept4") &&
			      tracepoint_exists("syscalls", "sys_exit_accept");
	}

	caps.iter = vmlinux && btf__find_by_name_kind(vmlinux, "bpf_iter__tcp", BTF_KIND_STRUCT) > 0;
	if (!caps.iter)
		tl_log("kernel has no TCP socket iterator (iter/tcp, Linux 5.9): sessions opened before "
		       "start are not reported, and the open mode is not available");
	skel = tcplens_bpf__open();
	if (!skel) {
		snprintf(err, errlen, "cannot open the BPF object: %s", strerror(errno));
		return NULL;
	}
	capture_configure(skel, opt, btf);
	capture_select(skel, btf, &caps);
	/* with accept() telling the owner, the close need not look again */
	skel->rodata->owner_at_close = !caps.accept;
	if (!caps.accept && !caps.io)
		tl_log("kernel has neither the syscalls:sys_exit_accept nor the sock_send_length/"
		       "sock_recv_length tracepoints: passive sessions are attributed at close only");

	ret = tcplens_bpf__load(skel);
	if (ret) {
		const char *why = load_error(ret);

		if (why)
			snprintf(err, errlen, "%s", why);
		else
			snprintf(err, errlen, "loading the %s programs failed: %s (run with -v for details)",
				 btf ? "tp_btf" : "tracepoint", strerror(-ret));
		goto fail;
	}
	if (opt->cgroup && capture_set_cgroup(skel, c->cg_fspath, err, errlen))
		goto fail;
	ret = tcplens_bpf__attach(skel);
	if (ret) {
		snprintf(err, errlen, "attaching the %s programs failed: %s (run with -v for details)",
			 btf ? "tp_btf" : "tracepoint", strerror(-ret));
		goto fail;
	}
	return skel;
fail:
	tcplens_bpf__destroy(skel);
	return NULL;
}

static int capture_preflight(char *err, size_t errlen)
{
	struct stat st;
	int ret;

	if (!capture_privileged(err, errlen))
		return -EPERM;
	if (stat(VMLINUX_BTF, &st)) {
		snprintf(err, errlen, "kernel has no BTF (%s is missing): a kernel built with "
			 "CONFIG_DEBUG_INFO_BTF=y (Linux 5.8 or later) is required", VMLINUX_BTF);
		return -ENOENT;
	}
	ret = libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL);
	if (ret == 0) {
		snprintf(err, errlen, "kernel too old: BPF ring buffers (Linux 5.8) are not supported");
		return -EOPNOTSUPP;
	}
	return 0;
}

struct tl_capture *tl_capture_open(const struct tl_options *opt, char *err, size_t errlen)
{
	struct tl_capture *c = NULL;
	struct btf *vmlinux = NULL;
	char btf_err[256] = "";
	/* what the user or the kernel must change, unless a run-time failure says otherwise */
	int why = EINVAL;

	libbpf_verbose = opt->verbose;
	libbpf_set_print(capture_libbpf_print);
	if (capture_preflight(err, errlen)) {
		errno = EINVAL;
		return NULL;
	}

	c = calloc(1, sizeof(*c));
	if (!c) {
		snprintf(err, errlen, "out of memory");
		errno = EIO;
		return NULL;
	}
	c->stats_fd = -1;
	c->opt = opt;
	/*
	 * First, since it may give us a mount namespace of our own: whatever
	 * looks at mounts (the cgroup tree) must see the one we keep.
	 */
	c->tracefs_ok = capture_need_tracefs(c, c->tracefs_err, sizeof(c->tracefs_err)) == 0;
	if (capture_cgroups(c, opt, err, errlen))
		goto fail;
	vmlinux = btf__load_vmlinux_btf();

	if (opt->probes != TL_PROBES_TRACEPOINT) {
		c->skel = capture_try(c, opt, true, vmlinux, btf_err, sizeof(btf_err));
		c->kind = "tp_btf";
		c->btf = true;
		if (!c->skel && opt->probes == TL_PROBES_BTF) {
			snprintf(err, errlen, "%s", btf_err);
			goto fail;
		}
		if (!c->skel)
			tl_log("tp_btf probes unavailable (%s); using classic tracepoints", btf_err);
	}
	if (!c->skel) {
		c->skel = capture_try(c, opt, false, vmlinux, err, errlen);
		c->kind = "tracepoint";
		c->btf = false;
		if (!c->skel)
			goto fail;
	}

	/* from here on, what fails is not the user's to fix */
	why = EIO;
	c->ncpus = libbpf_num_possible_cpus();
	if (c->ncpus <= 0) {
		snprintf(err, errlen, "cannot count the possible CPUs: %s", strerror(-c->ncpus));
		goto fail;
	}
	c->rb = ring_buffer__new(bpf_map__fd(c->skel->maps.events), capture_on_event, c, NULL);
	if (!c->rb) {
		snprintf(err, errlen, "cannot set up the ring buffer: %s", strerror(errno));
		goto fail;
	}
	c->boot_to_wall = tl_clock_boot_to_wall();
	c->iter = c->btf ? c->skel->links.tl_iter_btf : c->skel->links.tl_iter_hash;
	if (capture_adopt(c, err, errlen))
		goto fail;
	btf__free(vmlinux);
	return c;
fail:
	btf__free(vmlinux);
	tl_capture_close(c);
	errno = why;
	return NULL;
}

void tl_capture_close(struct tl_capture *c)
{
	if (!c)
		return;
	tl_capture_bpf_stats_enable(c, false);
	ring_buffer__free(c->rb);
	tcplens_bpf__destroy(c->skel);
	if (c->umount_tracefs && umount2(TRACEFS, MNT_DETACH))
		tl_log("could not unmount the tracefs it mounted on %s: %s", TRACEFS, strerror(errno));
	tl_snapshot_free(&c->start);
	tl_adopt_table_free(c->adopt);
	tl_owners_free(c->owners);
	tl_cgroups_free(c->cg);
	free(c);
}

int tl_capture_bpf_stats_enable(struct tl_capture *c, bool on)
{
	int fd;

	if (!on) {
		if (c->stats_fd >= 0)
			close(c->stats_fd);	/* the kernel turns them off with the last holder */
		c->stats_fd = -1;
		return 0;
	}
	if (c->stats_fd >= 0)
		return 0;
	fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	if (fd < 0)
		return fd < -1 ? fd : -errno;
	c->stats_fd = fd;
	return 0;
}

bool tl_capture_bpf_stats_on(const struct tl_capture *c)
{
	return c->stats_fd >= 0;
}

int tl_capture_bpf_stats(const struct tl_capture *c, uint64_t *run_ns, uint64_t *run_cnt)
{
	struct bpf_program *prog;

	*run_ns = *run_cnt = 0;
	bpf_object__for_each_program(prog, c->skel->obj) {
		struct bpf_prog_info info;
		__u32 len = sizeof(info);
		int fd = bpf_program__fd(prog);

		if (fd < 0)	/* the variant not loaded on this kernel */
			continue;
		memset(&info, 0, sizeof(info));
		if (bpf_obj_get_info_by_fd(fd, &info, &len))
			return -errno;
		*run_ns += info.run_time_ns;
		*run_cnt += info.run_cnt;
	}
	return 0;
}

int tl_capture_fd(const struct tl_capture *c)
{
	return ring_buffer__epoll_fd(c->rb);
}

int tl_capture_drain(struct tl_capture *c, tl_record_cb cb, void *ctx)
{
	c->cb = cb;
	c->cb_ctx = ctx;
	return ring_buffer__consume(c->rb);
}

static uint64_t capture_counter(const struct tl_capture *c, uint32_t idx)
{
	uint64_t vals[c->ncpus], sum = 0;

	if (bpf_map_lookup_elem(bpf_map__fd(c->skel->maps.counters), &idx, vals))
		return 0;
	for (int i = 0; i < c->ncpus; i++)
		sum += vals[i];
	return sum;
}

/* How often the kernel skipped the program because it was already running on that CPU. */
static uint64_t prog_misses(const struct bpf_program *prog)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len))
		return 0;
	return info.recursion_misses;
}

void tl_capture_drops(const struct tl_capture *c, struct tl_drops *d)
{
	const struct tcplens_bpf *skel = c->skel;
	uint64_t misses, covered, maybe;

	memset(d, 0, sizeof(*d));
	d->ringbuf_sessions = capture_counter(c, TL_CNT_RB_SESSION);
	d->ringbuf_connects = capture_counter(c, TL_CNT_RB_CONNECT);
	d->ringbuf = d->ringbuf_sessions + d->ringbuf_connects;
	/*
	 * An untracked active socket loses its connect for sure, and its
	 * session only if it gets established, which nothing records: that
	 * part is a worst case, kept apart. So is a passive socket that the
	 * filters, decided later, might have rejected anyway.
	 */
	d->map_connects = capture_counter(c, TL_CNT_STORE_ACTIVE);
	d->map_connects_max = capture_counter(c, TL_CNT_STORE_ACTIVE_MAYBE);
	d->map_sessions = capture_counter(c, TL_CNT_STORE_PASSIVE);
	maybe = capture_counter(c, TL_CNT_STORE_MAYBE);
	d->map_sessions_max = d->map_connects + d->map_connects_max + maybe;
	d->map = d->map_connects + d->map_sessions;
	/*
	 * Every skipped run of the main state program is either taken by the
	 * standby (counted as nested) or lost. Skipped runs of the other
	 * programs lose no event: they only mark resets, owners, clean up.
	 */
	if (c->btf) {
		misses = prog_misses(skel->progs.tl_state_btf);
		covered = capture_counter(c, TL_CNT_NESTED);
	} else {
		misses = prog_misses(skel->progs.tl_state_tp);
		covered = 0;
	}
	d->missed = misses > covered ? misses - covered : 0;
}

void tl_capture_announce(const struct tl_capture *c, const char *what)
{
	fprintf(stderr, "tcplens: tracing %s with %s probes\n", what, c->kind);
	fflush(stderr);
}

const char *tl_capture_probe_kind(const struct tl_capture *c)
{
	return c->kind;
}

static int snapshot_grow(struct tl_snapshot *snap)
{
	size_t cap = snap->cap ? snap->cap * 2 : 1024;
	struct tl_sock *n = realloc(snap->socks, cap * sizeof(*n));

	if (!n)
		return -ENOMEM;
	snap->socks = n;
	snap->cap = cap;
	return 0;
}

static void sock_from_iter(struct tl_sock *s, const struct tl_iter_sock *r, uint64_t now_boot)
{
	memset(s, 0, sizeof(*s));
	s->cookie = r->cookie;
	s->tx_bytes = r->tx_bytes;
	s->rx_bytes = r->rx_bytes;
	s->inode = r->inode;
	s->srtt_us = r->srtt_us;
	s->retrans = r->retrans;
	s->accept_queue = r->ack_backlog;
	s->accept_queue_max = r->max_ack_backlog;
	s->drops = r->sk_drops;
	s->lport = r->lport;
	s->rport = r->rport;
	s->family = r->family;
	s->state = r->state;
	s->dir = r->dir <= TL_DIR_PASSIVE ? r->dir : TL_SOCK_DIR_UNKNOWN;
	s->syn_in_acked = !!(r->flags & TL_F_SYN_IN_TX);
	if (r->flags & TL_F_AGE_KNOWN) {
		s->age_known = 1;
		s->age_ns = now_boot > r->start_ns ? now_boot - r->start_ns : 0;
	}
	if (r->flags & TL_F_OWNER_KNOWN) {
		s->owner_known = 1;
		s->pid = r->pid;
		s->cgroup_id = r->cgroup_id;
		memcpy(s->comm, r->comm, sizeof(s->comm));
		s->comm[sizeof(s->comm) - 1] = '\0';
	}
	memcpy(s->laddr, r->laddr, sizeof(s->laddr));
	memcpy(s->raddr, r->raddr, sizeof(s->raddr));
}

int tl_capture_snapshot(struct tl_capture *c, struct tl_snapshot *snap)
{
	struct tl_iter_sock recs[256];
	struct timespec ts;
	uint64_t now_boot;
	size_t have = 0;
	ssize_t n;
	int fd, ret = 0;

	snap->n = 0;
	if (!c->iter)
		return -EOPNOTSUPP;
	fd = bpf_iter_create(bpf_link__fd(c->iter));
	if (fd < 0)
		return -errno;
	clock_gettime(CLOCK_BOOTTIME, &ts);
	now_boot = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	snap->ts_ns = (uint64_t)((int64_t)now_boot + c->boot_to_wall);
	/* records are whole, but read() may stop anywhere: keep the tail */
	for (;;) {
		n = read(fd, (char *)recs + have, sizeof(recs) - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			break;
		}
		if (n == 0)
			break;
		have += (size_t)n;
		for (size_t i = 0; i < have / sizeof(recs[0]); i++) {
			if (snap->n == snap->cap && (ret = snapshot_grow(snap)))
				goto out;
			sock_from_iter(&snap->socks[snap->n++], &recs[i], now_boot);
		}
		memmove(recs, (char *)recs + have / sizeof(recs[0]) * sizeof(recs[0]),
			have % sizeof(recs[0]));
		have %= sizeof(recs[0]);
	}
out:
	close(fd);
	return ret ? ret : (int)snap->n;
}

const struct tl_snapshot *tl_capture_start_snapshot(const struct tl_capture *c)
{
	return &c->start;
}

/*
 * The one walk that adopts the sockets open at start, after the probes are
 * attached: a socket opened since has state already and is left alone.
 */
static int capture_adopt(struct tl_capture *c, char *err, size_t errlen)
{
	int ret;

	struct tl_procfd *pf = NULL;
	const char **cgroups = NULL;

	if (!c->iter)
		return 0;
	c->iter = c->btf ? c->skel->links.tl_adopt_btf : c->skel->links.tl_adopt_hash;
	ret = tl_capture_snapshot(c, &c->start);
	c->iter = c->btf ? c->skel->links.tl_iter_btf : c->skel->links.tl_iter_hash;
	if (ret < 0) {
		snprintf(err, errlen, "walking the open TCP sockets failed: %s", strerror(-ret));
		return ret;
	}
	/* owners of what the kernel saw before us: once, from /proc, like ss -p */
	pf = tl_procfd_scan();
	if (!pf)
		tl_log("warning: cannot read /proc (%s): owners of sessions opened before start "
		       "stay unknown", strerror(errno));
	cgroups = calloc(c->start.n ? c->start.n : 1, sizeof(*cgroups));
	if (!cgroups || tl_adopt_snapshot(&c->start, pf, cgroups) < 0 ||
	    !(c->adopt = tl_adopt_table_new(&c->start, cgroups))) {
		snprintf(err, errlen, "out of memory adopting the open sockets");
		ret = -ENOMEM;
	} else if (!(c->owners = tl_owners_new(pf, tl_clock_mono_ns(), TL_OWNERS_RESCAN_NS,
						  tl_procfd_scan))) {
		snprintf(err, errlen, "out of memory adopting the open sockets");
		ret = -ENOMEM;
	} else {
		/* the scan is kept: later snapshots look owners up in it */
		pf = NULL;
		ret = 0;
	}
	free(cgroups);
	tl_procfd_free(pf);
	return ret;
}

struct tl_owners *tl_capture_owners(struct tl_capture *c)
{
	return c->owners;
}

const char *tl_capture_cgroup_path(void *ctx, uint64_t id)
{
	struct tl_capture *c = ctx;

	return c->cg && id ? tl_cgroups_path(c->cg, id) : NULL;
}

const struct tl_adopt_table *tl_capture_adopt_table(const struct tl_capture *c)
{
	return c->adopt;
}

const char *tl_capture_cgroup_filter(const struct tl_capture *c)
{
	return c->opt->cgroup ? c->cg_relpath : NULL;
}

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
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <linux/capability.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "capture.h"
#include "clock.h"
#include "decode.h"
#include "log.h"
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
	int64_t boot_to_wall;
	int ncpus;
	const char *kind;
	bool btf;		/* tp_btf programs, else classic tracepoints */
	tl_record_cb cb;
	void *cb_ctx;
	uint64_t bad_events;
};

static bool libbpf_verbose;

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

/* Root, or CAP_BPF with CAP_PERFMON, or CAP_SYS_ADMIN. */
static bool capture_privileged(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = { 0 };

	if (syscall(SYS_capget, &hdr, data))
		return geteuid() == 0;
	return has_cap(data, CAP_SYS_ADMIN) || (has_cap(data, CAP_BPF) && has_cap(data, CAP_PERFMON));
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

/* Classic tracepoints need tracefs; mount it where it belongs if missing. */
static int capture_need_tracefs(char *err, size_t errlen)
{
	struct stat st;

	if (stat(DEBUGFS_TRACING "/events", &st) == 0 || stat(TRACEFS "/events", &st) == 0)
		return 0;
	if (mount("nodev", TRACEFS, "tracefs", 0, NULL)) {
		snprintf(err, errlen, "classic tracepoints need tracefs, and mounting it on %s failed: %s",
			 TRACEFS, strerror(errno));
		return -errno;
	}
	tl_log("mounted tracefs on %s for the classic tracepoints", TRACEFS);
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

static void capture_configure(struct tcplens_bpf *skel, const struct tl_options *opt)
{
	uint32_t rb = ringbuf_bytes(opt->ringbuf_kib);

	skel->rodata->filter_pid = opt->pid;
	skel->rodata->filter_family = opt->family;
	skel->rodata->filter_lports_on = opt->lports.count > 0;
	skel->rodata->filter_rports_on = opt->rports.count > 0;
	memcpy((void *)skel->rodata->lport_bits, opt->lports.bits, sizeof(opt->lports.bits));
	memcpy((void *)skel->rodata->rport_bits, opt->rports.bits, sizeof(opt->rports.bits));
	/*
	 * Batch wake-ups: the reader drains on a timer anyway, so a wake-up
	 * per event would only burn CPU under load.
	 */
	skel->rodata->wakeup_bytes = rb / 4;
	bpf_map__set_max_entries(skel->maps.events, rb);
	bpf_map__set_max_entries(skel->maps.socks, opt->max_sockets);
}

/* Keep one set of programs; the I/O hooks only where the kernel has them. */
static void capture_select(struct tcplens_bpf *skel, bool btf, bool have_io)
{
	/* same order in both; the I/O hooks last */
	struct bpf_program *btf_set[] = { skel->progs.tl_state_btf, skel->progs.tl_reset_btf,
					  skel->progs.tl_destroy_btf, skel->progs.tl_send_btf,
					  skel->progs.tl_recv_btf };
	struct bpf_program *tp_set[] = { skel->progs.tl_state_tp, skel->progs.tl_reset_tp,
					 skel->progs.tl_destroy_tp, skel->progs.tl_send_tp,
					 skel->progs.tl_recv_tp };

	/* the standby for nested state changes exists for tp_btf only: classic
	 * tracepoints share one per-CPU guard, so a second program would be
	 * skipped together with the first */
	bpf_program__set_autoload(skel->progs.tl_state_btf_nested, btf);
	for (size_t i = 0; i < sizeof(btf_set) / sizeof(btf_set[0]); i++) {
		bool io = i >= 3;

		bpf_program__set_autoload(btf_set[i], btf && (!io || have_io));
		bpf_program__set_autoload(tp_set[i], !btf && (!io || have_io));
	}
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

/* One attempt with one probe set; on failure err says why. */
static struct tcplens_bpf *capture_try(const struct tl_options *opt, bool btf, const struct btf *vmlinux,
				       char *err, size_t errlen)
{
	struct tcplens_bpf *skel;
	bool have_io;
	int ret;

	if (btf) {
		if (!btf_has_typedef(vmlinux, "btf_trace_inet_sock_set_state")) {
			snprintf(err, errlen, "kernel BTF has no inet_sock_set_state tracepoint for tp_btf");
			return NULL;
		}
		have_io = btf_has_typedef(vmlinux, "btf_trace_sock_send_length") &&
			  btf_has_typedef(vmlinux, "btf_trace_sock_recv_length");
	} else {
		if (capture_need_tracefs(err, errlen))
			return NULL;
		if (!tracepoint_exists("sock", "inet_sock_set_state")) {
			snprintf(err, errlen, "kernel too old: tracepoint sock:inet_sock_set_state (Linux 4.16) "
				 "is missing");
			return NULL;
		}
		have_io = tracepoint_exists("sock", "sock_send_length") &&
			  tracepoint_exists("sock", "sock_recv_length");
	}

	skel = tcplens_bpf__open();
	if (!skel) {
		snprintf(err, errlen, "cannot open the BPF object: %s", strerror(errno));
		return NULL;
	}
	capture_configure(skel, opt);
	capture_select(skel, btf, have_io);
	if (!have_io)
		tl_log("kernel has no sock_send_length/sock_recv_length tracepoints: passive sessions are "
		       "attributed at close only");

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

	if (!capture_privileged()) {
		snprintf(err, errlen, "must run as root (or with CAP_BPF and CAP_PERFMON) to load BPF programs");
		return -EPERM;
	}
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

	libbpf_verbose = opt->verbose;
	libbpf_set_print(capture_libbpf_print);
	if (capture_preflight(err, errlen))
		return NULL;

	c = calloc(1, sizeof(*c));
	if (!c) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	vmlinux = btf__load_vmlinux_btf();

	if (opt->probes != TL_PROBES_TRACEPOINT) {
		c->skel = capture_try(opt, true, vmlinux, btf_err, sizeof(btf_err));
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
		c->skel = capture_try(opt, false, vmlinux, err, errlen);
		c->kind = "tracepoint";
		c->btf = false;
		if (!c->skel)
			goto fail;
	}

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
	btf__free(vmlinux);
	return c;
fail:
	btf__free(vmlinux);
	tl_capture_close(c);
	return NULL;
}

void tl_capture_close(struct tl_capture *c)
{
	if (!c)
		return;
	ring_buffer__free(c->rb);
	tcplens_bpf__destroy(c->skel);
	free(c);
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
	uint64_t misses, covered;

	d->ringbuf = capture_counter(c, TL_CNT_RB_SESSION) + capture_counter(c, TL_CNT_RB_CONNECT);
	d->map = capture_counter(c, TL_CNT_MAP_FULL);
	/*
	 * Every skipped run of the main state program is either taken by the
	 * standby (counted as nested) or lost. Skipped runs of the other
	 * programs lose no event: they only attribute or clean up.
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

const char *tl_capture_probe_kind(const struct tl_capture *c)
{
	return c->kind;
}

int tl_capture_snapshot(struct tl_capture *c, struct tl_snapshot *snap)
{
	(void)c;
	snap->n = 0;
	return -ENOSYS;
}

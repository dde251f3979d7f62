// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The open mode's filters, and its runner driven by a fake capture engine
 * (this file defines the tl_capture_* functions openmode.c calls), so the
 * loop, the stderr contract, -n, signals and write errors are checked
 * without a kernel.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup.h"

#include "adopt.h"
#include "source.h"
#include "cli.h"
#include "open_filter.h"
#include "openmode.h"
#include "tests/unit/tap.h"

/* ---- the fake source ---- */

struct fake_source {
	struct tl_source base;
	int fd;
	int calls;
	int fail_at;		/* snapshot call that fails; 0: none */
	int sigterm_at;		/* snapshot call that raises SIGTERM; 0: none */
	int drains;
	const char *cgroups[3];
};

static struct fake_source fake;
static uint64_t own_cgroup_id;		/* of this process; 0: not found */
static char own_cgroup[4200];

static int fake_fd(const struct tl_source *s)
{
	return ((const struct fake_source *)s)->fd;
}

static int fake_drain(struct tl_source *s, tl_record_cb cb, void *ctx, size_t max)
{
	((struct fake_source *)s)->drains++;
	return 0;
}

static void fake_drops(const struct tl_source *s, struct tl_drops *d)
{
	memset(d, 0, sizeof(*d));
}

/* the real resolver, as the capture engine holds it */
static struct tl_cgroups *fake_cg;

static const char *fake_cgroup_path(void *ctx, uint64_t id)
{
	(void)ctx;
	return fake_cg && id ? tl_cgroups_path(fake_cg, id) : NULL;
}

static void fake_announce(const struct tl_source *s, const char *what)
{
	fprintf(stderr, "tcplens: tracing %s with fake probes\n", what);
}

static void fill(struct tl_sock *s, uint64_t cookie, uint16_t lport, uint8_t state)
{
	memset(s, 0, sizeof(*s));
	s->cookie = cookie;
	s->family = 4;
	s->state = state;
	inet_pton(AF_INET, "127.0.0.1", s->laddr);
	inet_pton(AF_INET, "127.0.0.1", s->raddr);
	s->lport = lport;
	s->rport = state == TL_TCP_LISTEN ? 0 : 9000;
	s->owner_known = 1;
	s->pid = 4321;
	memcpy(s->comm, "srv", 4);
}

/* As the live source hands them out: completed (directions, the SYN byte)
 * by the same adoption code, cgroup paths resolved. */
static int fake_snapshot(struct tl_source *src, struct tl_snapshot *snap,
			 const struct tl_snapshot *prev, const char *const **cgroups)
{
	struct fake_source *c = (struct fake_source *)src;

	c->calls++;
	if (c->calls == c->sigterm_at)
		kill(getpid(), SIGTERM);
	if (c->calls == c->fail_at)
		return -EIO;
	if (snap->cap < 3) {
		free(snap->socks);
		snap->socks = calloc(3, sizeof(*snap->socks));
		snap->cap = 3;
	}
	snap->n = 3;
	snap->ts_ns = 1700000000000000000ULL + (uint64_t)c->calls * 1000000000ULL;
	fill(&snap->socks[0], 10, 8080, TL_TCP_LISTEN);
	fill(&snap->socks[1], 11, 8080, TL_TCP_ESTABLISHED);
	snap->socks[1].dir = TL_SOCK_DIR_UNKNOWN;
	snap->socks[1].syn_in_acked = 1;
	snap->socks[1].tx_bytes = 1000 * (uint64_t)c->calls;
	snap->socks[1].cgroup_id = own_cgroup_id;
	fill(&snap->socks[2], 12, 40000, TL_TCP_ESTABLISHED);
	snap->socks[2].owner_known = 0;
	snap->socks[2].syn_in_acked = 1;
	snap->socks[2].tx_bytes = 1 + 2048 * (uint64_t)c->calls;
	if (tl_adopt_keep_dirs(snap, prev) < 0 || tl_adopt_snapshot(snap, NULL, c->cgroups) < 0)
		return -ENOMEM;
	for (int i = 0; i < 3; i++)
		if (snap->socks[i].cgroup_id)
			c->cgroups[i] = fake_cgroup_path(c, snap->socks[i].cgroup_id);
	*cgroups = c->cgroups;
	return 3;
}

static const struct tl_source_ops fake_ops = {
	.fd = fake_fd,
	.drain = fake_drain,
	.drops = fake_drops,
	.snapshot = fake_snapshot,
	.cgroup_path = fake_cgroup_path,
	.announce = fake_announce,
};

/* ---- running tl_open_run with stdout and stderr in files ---- */

static char out_text[16384], err_text[4096];

static size_t slurp(int fd, char *buf, size_t size)
{
	ssize_t n;
	size_t got = 0;

	lseek(fd, 0, SEEK_SET);
	while (got < size - 1 && (n = read(fd, buf + got, size - 1 - got)) > 0)
		got += (size_t)n;
	buf[got] = '\0';
	return got;
}

/* stdout_fd: where stdout goes (-1: a temp file read back into out_text) */
static int run(const char *argline, int stdout_fd)
{
	char args[512], *argv[32], *save = NULL, *tok, errbuf[256];
	static struct tl_options opt;
	int argc = 0, status, so, se, fo, fe;
	char tmpo[] = "/tmp/tl-om-out-XXXXXX", tmpe[] = "/tmp/tl-om-err-XXXXXX";

	snprintf(args, sizeof(args), "tcplens open %s", argline);
	for (tok = strtok_r(args, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
		argv[argc++] = tok;
	argv[argc] = NULL;
	if (tl_cli_parse(argc, argv, NULL, &opt, errbuf, sizeof(errbuf)) != TL_CLI_RUN) {
		printf("# parse: %s\n", errbuf);
		return -100;
	}
	/* what the capture engine does with -c before the mode runs */
	if (opt.cgroup) {
		static char rel[4200];

		if (!fake_cg || tl_cgroups_resolve_arg(fake_cg, opt.cgroup, NULL, 0, rel, sizeof(rel), NULL,
						       errbuf, sizeof(errbuf)))
			return -101;
		opt.cgroup_relpath = rel;
	}
	fo = mkstemp(tmpo);
	fe = mkstemp(tmpe);
	unlink(tmpo);
	unlink(tmpe);
	fflush(stdout);
	fflush(stderr);
	so = dup(1);
	se = dup(2);
	dup2(stdout_fd >= 0 ? stdout_fd : fo, 1);
	dup2(fe, 2);
	clearerr(stdout);
	status = tl_open_run(&opt, &fake.base);
	fflush(stdout);
	fflush(stderr);
	dup2(so, 1);
	dup2(se, 2);
	close(so);
	close(se);
	clearerr(stdout);
	slurp(fo, out_text, sizeof(out_text));
	slurp(fe, err_text, sizeof(err_text));
	close(fo);
	close(fe);
	return status;
}

static int count_lines(const char *s, const char *prefix)
{
	int n = 0;
	size_t len = strlen(prefix);

	for (; *s; s = strchr(s, '\n') ? strchr(s, '\n') + 1 : s + strlen(s)) {
		if (!strncmp(s, prefix, len))
			n++;
	}
	return n;
}

static void reset_fake(void)
{
	int fd = fake.fd;

	memset(&fake, 0, sizeof(fake));
	fake.base.ops = &fake_ops;
	fake.fd = fd;
}

static void find_own_cgroup(void)
{
	struct tl_cgroups *cg = tl_cgroups_open();
	char line[4200], path[8400];
	struct stat st;
	FILE *f = fopen("/proc/self/cgroup", "r");

	while (cg && f && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::", 3))
			continue;
		line[strcspn(line, "\n")] = '\0';
		snprintf(own_cgroup, sizeof(own_cgroup), "%s", line + 3);
		snprintf(path, sizeof(path), "%s%s", tl_cgroups_mount(cg), own_cgroup);
		if (!stat(path, &st))
			own_cgroup_id = st.st_ino;
	}
	if (f)
		fclose(f);
	tl_cgroups_free(cg);
}

static void test_cgroup_filter(void)
{
	char line[4400], want[4400];
	int status;

	if (!own_cgroup_id) {
		ok(1, "# SKIP no cgroup v2 here");
		return;
	}
	fake_cg = tl_cgroups_open();
	reset_fake();
	status = run("-c / --json", -1);
	is_int(status, 0, "-c /: status 0");
	is_int(count_lines(out_text, "{\"type\":\"open\""), 1,
	       "only the socket whose cgroup is known (by id) matches");
	snprintf(want, sizeof(want), "\"cgroup\":\"%s\",", own_cgroup);
	ok(strstr(out_text, want) != NULL, "its id printed as our path %s", own_cgroup);
	snprintf(line, sizeof(line), "-c %s --json", own_cgroup);
	reset_fake();
	status = run(line, -1);
	ok(status == 0 && count_lines(out_text, "{\"type\":\"open\"") == 1, "-c our own cgroup");
	tl_cgroups_free(fake_cg);
	fake_cg = NULL;
}

static void test_runner(void)
{
	int status, p[2];

	fake.fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);

	reset_fake();
	status = run("--json", -1);
	is_int(status, 0, "one snapshot: status 0");
	is_int(fake.calls, 1, "one walk");
	is_int(count_lines(err_text, "tcplens: tracing "), 1, "one 'tcplens: tracing ' line");
	is_int(count_lines(err_text, ""), 1, "and nothing else on stderr");
	is_int(count_lines(out_text, "{\"type\":\"open\""), 2, "listener hidden without -l");
	ok(strstr(out_text, "\"lport\":8080,\"raddr\":\"127.0.0.1\",\"rport\":9000,\"dir\":\"passive\"") &&
	   strstr(out_text, "\"tx_bytes\":1000,"), "under the listener: passive, tx as counted");
	ok(strstr(out_text, "\"lport\":40000,\"raddr\":\"127.0.0.1\",\"rport\":9000,\"dir\":\"active\"") &&
	   strstr(out_text, "\"tx_bytes\":2048,"), "the other end: active, the SYN taken off");
	ok(strstr(out_text, "\"tx_bps\":null,\"rx_bps\":null}") != NULL, "no -i: no rates");
	ok(strstr(out_text, "{\"type\":\"snapshot_end\",\"ts\":1700000001.000000,\"sockets\":2}\n") != NULL,
	   "snapshot_end counts what was printed");

	reset_fake();
	status = run("-l -i 0.1 -n 3 --json", -1);
	is_int(status, 0, "-i 0.1 -n 3: status 0");
	is_int(fake.calls, 3, "three walks");
	is_int(count_lines(out_text, "{\"type\":\"snapshot_end\""), 3, "three snapshot_end lines");
	is_int(count_lines(out_text, "{\"type\":\"open\""), 9, "with -l: three sockets each");
	ok(strstr(out_text, "\"accept_queue\":0,\"accept_queue_max\":0}") != NULL, "listener keys");
	ok(strstr(out_text, "\"tx_bytes\":2000,\"rx_bytes\":0,\"srtt_us\":0,\"retrans\":0,\"age_ms\":null,"
			    "\"tx_bps\":1000.0,\"rx_bps\":0.0}") != NULL, "1000 B in 1 s: 1000.0 B/s");
	is_int(count_lines(err_text, "tcplens: tracing "), 1, "one tracing line with -i");
	is_int(count_lines(err_text, ""), 1, "nothing else");
	ok(fake.drains >= 2, "the ring buffer is drained on every tick");

	reset_fake();
	status = run("-i 0.1 -n 2 -L 40000", -1);
	is_int(status, 0, "text, -n 2 -L 40000: status 0");
	is_int(count_lines(out_text, "-       [unknown]       ESTABLISHED 127.0.0.1       40000 "), 2,
	       "-L 40000: only that socket, owner unknown");
	is_int(count_lines(out_text, "4321 "), 0, "not the one on 8080");

	reset_fake();
	fake.sigterm_at = 3;
	status = run("-i 0.1 -p 4321", -1);
	is_int(status, 0, "SIGTERM during -i: status 0");
	ok(fake.calls >= 3, "ended after the signal: %d walks", fake.calls);
	is_int(count_lines(out_text, "PID "), fake.calls, "a header per snapshot");
	is_int(count_lines(out_text, "4321 "), fake.calls, "-p 4321: the unknown owner never matches");
	ok(strstr(out_text, "TX_KB/s   RX_KB/s\n") != NULL, "rate columns with -i");
	ok(strstr(out_text, "       -         -\n") != NULL, "first snapshot: '-' rates");

	reset_fake();
	fake.fail_at = 2;
	status = run("-i 0.1 --json", -1);
	is_int(status, 1, "a failed walk: status 1");
	is_int(count_lines(err_text, "tcplens: cannot walk the open sockets: "), 1, "one line saying so");
	is_int(count_lines(err_text, "tcplens: tracing "), 1, "after the single tracing line");

	reset_fake();
	if (pipe(p) == 0) {
		close(p[0]);
		status = run("-i 0.1 --json", p[1]);
		close(p[1]);
		is_int(status, 0, "reader gone (EPIPE): status 0, quietly");
		is_int(count_lines(err_text, ""), 1, "only the tracing line on stderr");
		is_int(fake.calls, 1, "ended at the first write");
	}

	reset_fake();
	{
		int full = open("/dev/full", O_WRONLY | O_CLOEXEC);

		if (full >= 0) {
			status = run("--json", full);
			close(full);
			is_int(status, 1, "ENOSPC on stdout: status 1");
			is_int(count_lines(err_text, "tcplens: writing the output failed: "), 1,
			       "one line saying so");
		}
	}
}

static struct tl_sock sk(uint8_t family, uint8_t state, uint16_t lport, uint16_t rport)
{
	struct tl_sock s;

	memset(&s, 0, sizeof(s));
	s.family = family;
	s.state = state;
	s.lport = lport;
	s.rport = rport;
	s.owner_known = 1;
	s.pid = 50;
	return s;
}

static void test_filters(void)
{
	struct tl_options o;
	struct tl_sock s = sk(4, TL_TCP_ESTABLISHED, 1000, 443), l = sk(6, TL_TCP_LISTEN, 443, 0);
	char err[128];
	char *argv[16];
	char a0[] = "tcplens", a1[] = "open";

	argv[0] = a0;
	argv[1] = a1;
	argv[2] = NULL;
	tl_cli_parse(2, argv, NULL, &o, err, sizeof(err));
	ok(tl_open_match(&o, &s, NULL), "no filter: a connection matches");
	ok(!tl_open_match(&o, &l, NULL), "listeners only with -l");
	o.listeners = true;
	ok(tl_open_match(&o, &l, NULL), "-l: listeners too");
	o.family = 4;
	ok(tl_open_match(&o, &s, NULL) && !tl_open_match(&o, &l, NULL), "-4");
	o.family = 0;
	o.pid = 50;
	ok(tl_open_match(&o, &s, NULL), "-p 50 matches pid 50");
	s.owner_known = 0;
	ok(!tl_open_match(&o, &s, NULL), "-p: an unknown owner does not match");
	s.owner_known = 1;
	s.pid = 51;
	ok(!tl_open_match(&o, &s, NULL), "-p 50: not pid 51");
	s.pid = 50;
	o.pid = 0;
	o.lports.bits[1000 >> 6] |= 1ULL << (1000 & 63);
	o.lports.count = 1;
	ok(tl_open_match(&o, &s, NULL) && !tl_open_match(&o, &l, NULL), "-L 1000");
	memset(&o.lports, 0, sizeof(o.lports));
	o.rports.bits[443 >> 6] |= 1ULL << (443 & 63);
	o.rports.count = 1;
	ok(tl_open_match(&o, &s, NULL), "-D 443");
	ok(!tl_open_match(&o, &l, NULL), "-D: a listener (local port 443) has no remote port");
	memset(&o.rports, 0, sizeof(o.rports));

	/* the user may write either form; the capture engine resolves it to this */
	o.cgroup = "/sys/fs/cgroup/system.slice/web.service";
	o.cgroup_relpath = "/system.slice/web.service";
	ok(tl_open_match(&o, &s, "/system.slice/web.service"), "-c: the cgroup itself");
	ok(tl_open_match(&o, &s, "/system.slice/web.service/worker"), "-c: below it");
	ok(!tl_open_match(&o, &s, "/system.slice/web.service2"), "-c: not a sibling prefix");
	ok(!tl_open_match(&o, &s, "/system.slice"), "-c: not the parent");
	ok(!tl_open_match(&o, &s, NULL), "-c: no path (not known), no match");
	o.cgroup_relpath = "/other";
	ok(!tl_open_match(&o, &s, "/system.slice/web.service"), "-c: the resolved path is the one used");
	o.cgroup_relpath = NULL;
	ok(!tl_open_match(&o, &s, "/system.slice/web.service"), "-c: never matches unresolved");
	ok(tl_open_cgroup_within("/system.slice/", "/system.slice/a.service"), "-c with a trailing slash");
	ok(tl_open_cgroup_within("/", "/anything"), "the root holds everything");
	ok(!tl_open_cgroup_within("/system.slice/a", "/system.slice"), "a parent is not within its child");
}

int main(void)
{
	test_filters();
	find_own_cgroup();
	test_runner();
	test_cgroup_filter();
	return tap_done();
}

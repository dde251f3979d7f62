// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The line modes' runner (life, connlat, json) against a fake finite
 * source: every record printed once and in order, the source drained in
 * bounded batches, the totals and drops at the end, the ready line from
 * the source alone, and the end of a finite source ends the mode.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "cli.h"
#include "linemode.h"
#include "source.h"
#include "tests/unit/tap.h"

#define NREC 10000

struct fake_source {
	struct tl_source base;
	int fd;
	size_t next;		/* records handed out */
	size_t max_batch;	/* the most records handed out by one call */
	int drains;
	bool traces;		/* prints a ready line */
};

static struct fake_source fake;

static int fake_fd(const struct tl_source *s)
{
	return ((const struct fake_source *)s)->fd;
}

static void rec(struct tl_record *r, size_t i)
{
	memset(r, 0, sizeof(*r));
	r->kind = i % 3 ? TL_REC_SESSION : TL_REC_CONNECT;
	r->ts_ns = 1700000000000000000ULL + i * 1000ULL;
	r->span_ns = 1000000;
	r->tx_bytes = i;
	r->family = 4;
	r->dir = TL_REC_ACTIVE;
	r->owner_known = 1;
	r->pid = 100 + (uint32_t)i;
	memcpy(r->comm, "cli", 4);
	inet_pton(AF_INET, "127.0.0.1", r->laddr);
	inet_pton(AF_INET, "127.0.0.2", r->raddr);
	r->lport = 40000;
	r->rport = 80;
}

static int fake_drain(struct tl_source *s, tl_record_cb cb, void *ctx, size_t max)
{
	struct fake_source *f = (struct fake_source *)s;
	struct tl_record r;
	int n = 0;

	f->drains++;
	while (f->next < NREC && (!max || (size_t)n < max)) {
		rec(&r, f->next++);
		cb(ctx, &r);
		n++;
	}
	if ((size_t)n > f->max_batch)
		f->max_batch = (size_t)n;
	return n;
}

static void fake_drops(const struct tl_source *s, struct tl_drops *d)
{
	memset(d, 0, sizeof(*d));
	d->ringbuf = d->ringbuf_sessions = 7;
}

static const char *fake_cgroup_path(void *ctx, uint64_t id)
{
	return NULL;
}

static void fake_announce(const struct tl_source *s, const char *what)
{
	if (((const struct fake_source *)s)->traces)
		fprintf(stderr, "tcplens: tracing %s with fake probes\n", what);
}

static bool fake_ended(const struct tl_source *s)
{
	return ((const struct fake_source *)s)->next == NREC;
}

static const struct tl_source_ops fake_ops = {
	.finite = true,
	.fd = fake_fd,
	.drain = fake_drain,
	.drops = fake_drops,
	.cgroup_path = fake_cgroup_path,
	.announce = fake_announce,
	.ended = fake_ended,
};

static char *out_text, err_text[4096];

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

static int run(const char *mode)
{
	char args[64], *argv[4], errbuf[256];
	static struct tl_options opt;
	int status, so, se, fo, fe;
	char tmpo[] = "/tmp/tl-lm-out-XXXXXX", tmpe[] = "/tmp/tl-lm-err-XXXXXX";

	snprintf(args, sizeof(args), "%s", mode);
	argv[0] = "tcplens";
	argv[1] = args;
	argv[2] = NULL;
	if (tl_cli_parse(2, argv, NULL, &opt, errbuf, sizeof(errbuf)) != TL_CLI_RUN)
		return -100;
	fo = mkstemp(tmpo);
	fe = mkstemp(tmpe);
	unlink(tmpo);
	unlink(tmpe);
	fflush(stdout);
	fflush(stderr);
	so = dup(1);
	se = dup(2);
	dup2(fo, 1);
	dup2(fe, 2);
	clearerr(stdout);
	status = tl_linemode_run(&opt, &fake.base);
	fflush(stdout);
	fflush(stderr);
	dup2(so, 1);
	dup2(se, 2);
	close(so);
	close(se);
	clearerr(stdout);
	slurp(fo, out_text, 8 << 20);
	slurp(fe, err_text, sizeof(err_text));
	close(fo);
	close(fe);
	return status;
}

static size_t count(const char *s, const char *needle)
{
	size_t n = 0;

	for (const char *p = s; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

int main(void)
{
	char want[128];

	out_text = malloc(8 << 20);
	fake.base.ops = &fake_ops;
	/* always readable: the loop must come back for more until the end */
	fake.fd = eventfd(1, EFD_NONBLOCK | EFD_CLOEXEC);

	is_int(run("json"), 0, "json from a finite source ends by itself, status 0");
	is_int((int)fake.next, NREC, "every record handed out");
	ok(fake.max_batch > 0 && fake.max_batch <= 4096, "drained in bounded batches (largest %zu)",
	   fake.max_batch);
	is_int((int)count(out_text, "{\"type\":\"session\""), NREC - (NREC + 2) / 3, "session lines");
	is_int((int)count(out_text, "{\"type\":\"connect\""), (NREC + 2) / 3, "connect lines");
	snprintf(want, sizeof(want), "\"pid\":%d,", 100 + NREC - 1);
	ok(strstr(out_text, want) && strstr(out_text, "\"pid\":100,") &&
	   strstr(out_text, "\"pid\":100,") < strstr(out_text, want), "in order, first to last");
	ok(strstr(out_text, "\"type\":\"stats\"") != NULL, "the stats line at the end");
	ok(strstr(err_text, "dropped 7 events") != NULL, "the drops in the totals: %s", err_text);
	is_int((int)count(err_text, "tcplens: tracing "), 0, "a source that does not trace: no ready line");

	fake.next = 0;
	fake.max_batch = 0;
	fake.traces = true;
	is_int(run("life"), 0, "life, status 0");
	is_int((int)count(err_text, "tcplens: tracing "), 1, "a tracing source: the ready line once");
	is_int((int)count(out_text, " cli "), NREC - (NREC + 2) / 3, "life prints the sessions only");
	free(out_text);
	return tap_done();
}

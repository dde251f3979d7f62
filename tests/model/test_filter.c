// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The filter language: every term, negation, malformed input, matching. */
#include <locale.h>
#include <stdlib.h>

#include "../unit/tap.h"
#include "model/model.h"
#include "mrec.h"
#include "model/filter.h"

static struct tl_filter *parse(const char *expr)
{
	char err[256] = "";
	struct tl_filter *f = tl_filter_parse(expr, err, sizeof(err));

	if (!f)
		printf("#   '%s': %s\n", expr, err);
	return f;
}

/* Does expr (which must parse) match r? */
static int m1(const char *expr, const struct tl_record *r)
{
	struct tl_filter *f = parse(expr);
	int res;

	if (!f)
		return -1;
	res = tl_filter_match(f, r);
	tl_filter_free(f);
	return res;
}

/* A fake cgroup table: the monitor resolves ids with the capture engine. */
static const char *fake_path(void *ctx, uint64_t id)
{
	static const char *const paths[] = {
		[1] = "/",
		[2] = "/system.slice/nginx.service",
		[3] = "/system.slicex/other.service",
		[4] = "/system.slice/docker-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.scope",
		[5] = "/user.slice/user-1000.slice/session-3.scope/app",
		[6] = "/other.slice/nginx.service",
	};
	(void)ctx;
	return id < sizeof(paths) / sizeof(paths[0]) ? paths[id] : NULL;
}

/* Does expr match r from cgroup id (with the fake table)? */
static int mc(const char *expr, struct tl_record r, uint64_t id)
{
	struct tl_filter *f = parse(expr);
	int res;

	if (!f)
		return -1;
	r.cgroup_id = id;
	tl_filter_set_cgroup_path(f, fake_path, NULL);
	res = tl_filter_match(f, &r);
	tl_filter_free(f);
	return res;
}

static void bad(const char *expr, const char *want_in_reason)
{
	char err[256] = "";
	struct tl_filter *f = tl_filter_parse(expr, err, sizeof(err));

	ok(!f && err[0] && strstr(err, want_in_reason) && !strchr(err, '\n'),
	   "'%s' rejected: %s", expr, err);
	tl_filter_free(f);
}

int main(void)
{
	struct tl_record s4 = mk_session(1, 4242, "nginx", "10.1.2.3", 443, "192.168.7.9", 51000,
					 TL_REC_PASSIVE);
	struct tl_record s6 = mk_session(1, 77, "curl-worker", "2001:db8::5", 40000,
					 "2001:db8:1::9", 8443, TL_REC_ACTIVE);
	struct tl_record su = mk_session(1, 0, NULL, "10.1.2.3", 22, "10.9.9.9", 6000,
					 TL_REC_PASSIVE);
	struct tl_record cok = mk_connect(1, 500, "curl", "93.184.216.34", 443, TL_REC_OK, 2500000);
	struct tl_record cref = mk_connect(1, 500, "curl", "10.0.0.9", 81, TL_REC_REFUSED, 100000);
	struct tl_filter *f;

	/* parse + text */
	f = parse("  port=443   comm=curl ");
	ok(f != NULL, "two terms with extra blanks parse");
	is_str(tl_filter_text(f), "  port=443   comm=curl ", "text is the expression as given");
	tl_filter_free(f);
	ok(tl_filter_match(NULL, &s4), "NULL filter matches everything");
	is_str(tl_filter_text(NULL), "", "NULL filter text is empty");
	f = parse("");
	ok(f && tl_filter_match(f, &s4) && tl_filter_match(f, &cok), "empty expression matches everything");
	tl_filter_free(f);

	/* pid */
	is_int(m1("pid=4242", &s4), 1, "pid= matches");
	is_int(m1("pid=4243", &s4), 0, "pid= other pid");
	is_int(m1("pid=0", &su), 0, "pid= never matches an unknown owner");
	is_int(m1("!pid=4242", &s4), 0, "!pid= negates");
	is_int(m1("!pid=1", &s4), 1, "!pid= other pid matches");
	/* comm */
	is_int(m1("comm=gin", &s4), 1, "comm= is a substring");
	is_int(m1("comm=nginx", &s4), 1, "comm= whole name");
	is_int(m1("comm=NGINX", &s4), 0, "comm= is case-sensitive");
	is_int(m1("comm=-work", &s6), 1, "comm= with a dash");
	is_int(m1("comm=n", &su), 0, "comm= never matches an unknown owner");
	is_int(m1("!comm=n", &su), 1, "!comm= matches an unknown owner");
	/* ports */
	is_int(m1("port=443", &s4), 1, "port= local side");
	is_int(m1("port=51000", &s4), 1, "port= remote side");
	is_int(m1("port=80", &s4), 0, "port= neither side");
	is_int(m1("lport=443", &s4), 1, "lport= local");
	is_int(m1("lport=51000", &s4), 0, "lport= not the remote port");
	is_int(m1("rport=51000", &s4), 1, "rport= remote");
	is_int(m1("rport=443", &s4), 0, "rport= not the local port");
	is_int(m1("rport=443", &cok), 1, "rport= of a connect is the destination port");
	/* addresses */
	is_int(m1("addr=10.1.2.3", &s4), 1, "addr= v4 local side");
	is_int(m1("addr=192.168.7.9", &s4), 1, "addr= v4 remote side");
	is_int(m1("addr=10.1.2.4", &s4), 0, "addr= v4 other");
	is_int(m1("addr=192.168.0.0/16", &s4), 1, "addr= v4 CIDR");
	is_int(m1("addr=192.168.8.0/24", &s4), 0, "addr= v4 CIDR miss");
	is_int(m1("addr=192.168.7.9/31", &s4), 1, "addr= host bits in a CIDR are ignored");
	is_int(m1("addr=0.0.0.0/0", &s4), 1, "addr=/0 matches any v4");
	is_int(m1("addr=0.0.0.0/0", &s6), 0, "a v4 filter never matches v6");
	is_int(m1("addr=::ffff:10.1.2.3", &s4), 1, "an IPv4-mapped filter matches IPv4 records");
	is_int(m1("addr=2001:db8:1::9", &s6), 1, "addr= v6");
	is_int(m1("addr=2001:db8::/32", &s6), 1, "addr= v6 CIDR");
	is_int(m1("addr=2001:db8:1::/48", &s6), 1, "addr= v6 /48 remote side");
	is_int(m1("addr=2001:db9::/32", &s6), 0, "addr= v6 CIDR miss");
	is_int(m1("addr=2001:db8::/29", &s6), 1, "addr= v6 prefix not on a byte boundary");
	is_int(m1("addr=2001:db8::/32", &s4), 0, "a v6 filter never matches v4");
	is_int(m1("!addr=10.0.0.0/8", &s4), 0, "!addr= negates (local side in 10/8)");
	/* fam, dir */
	is_int(m1("fam=4", &s4), 1, "fam=4");
	is_int(m1("fam=6", &s4), 0, "fam=6 on v4");
	is_int(m1("fam=6", &s6), 1, "fam=6");
	is_int(m1("dir=in", &s4), 1, "dir=in is passive");
	is_int(m1("dir=out", &s4), 0, "dir=out on passive");
	is_int(m1("dir=out", &s6), 1, "dir=out is active");
	is_int(m1("dir=out", &cok), 1, "dir=out matches connects");
	is_int(m1("dir=in", &cok), 0, "dir=in never matches a connect");
	/* result: connects only */
	is_int(m1("result=ok", &cok), 1, "result=ok on ok");
	is_int(m1("result=ok", &cref), 0, "result=ok on refused");
	is_int(m1("result=fail", &cref), 1, "result=fail on refused");
	is_int(m1("result=fail", &cok), 0, "result=fail on ok");
	is_int(m1("result=ok", &s4), 0, "result= never matches a session");
	is_int(m1("result=fail", &s4), 0, "result=fail never matches a session");
	is_int(m1("!result=ok", &s4), 1, "!result= matches every session");
	/* lat: connect latency in ms, connects only */
	is_int(m1("lat>2", &cok), 1, "lat>2 on 2.5 ms");
	is_int(m1("lat>2.5", &cok), 0, "lat>2.5 on 2.5 ms is strict");
	is_int(m1("lat<3", &cok), 1, "lat<3 on 2.5 ms");
	is_int(m1("lat<0.1", &cref), 0, "lat<0.1 on 0.1 ms is strict");
	is_int(m1("lat>.05", &cref), 1, "lat>.05 on 0.1 ms");
	is_int(m1("lat>0", &s4), 0, "lat> never matches a session");
	is_int(m1("lat<1000000000", &s4), 0, "lat< never matches a session");
	/* combinations */
	is_int(m1("port=443 comm=ngi dir=in fam=4", &s4), 1, "all four terms hold");
	is_int(m1("port=443 comm=ngi dir=out", &s4), 0, "one term fails: no match");
	is_int(m1("comm=curl !result=ok", &cref), 1, "negation combined (refused curl)");
	is_int(m1("comm=curl !result=ok", &cok), 0, "negation combined (ok curl)");
	is_int(m1("rport=443 lat>1", &cok), 1, "rport and lat on a connect");
	/* unit=, cgroup= */
	is_int(mc("unit=nginx.service", s4, 2), 1, "unit= a systemd service");
	is_int(mc("unit=nginx", s4, 2), 0, "unit= is the exact name, not a substring");
	is_int(mc("unit=nginx.service", s4, 3), 0, "unit= another unit");
	is_int(mc("unit=0123456789ab", s4, 4), 1, "unit= a container's short id");
	is_int(mc("unit=app", s4, 5), 0, "unit= is the innermost unit, not a plain tail above it");
	is_int(mc("unit=session-3.scope", s4, 5), 1, "unit= the scope around a plain directory");
	is_int(mc("unit=/", s4, 1), 1, "unit=/ the root cgroup");
	is_int(mc("unit=nginx.service", s4, 6), 1, "unit= the same name in another slice");
	is_int(mc("!unit=nginx.service", s4, 2), 0, "!unit= negates");
	is_int(mc("!unit=nginx.service", s4, 3), 1, "!unit= another unit matches");
	is_int(mc("unit=nginx.service", s4, 99), 0, "unit= never matches an unresolved cgroup");
	is_int(mc("unit=nginx.service", s4, 0), 0, "unit= never matches cgroup id 0 (unknown)");
	is_int(mc("!unit=nginx.service", s4, 99), 1, "!unit= keeps an unresolved cgroup");
	is_int(mc("unit=/", su, 1), 0, "unit= never matches an unknown owner, whatever its id");
	is_int(mc("cgroup=/", su, 1), 0, "cgroup= never matches an unknown owner");
	is_int(m1("unit=nginx.service", &s4), 0, "unit= without a resolver: unknown, no match");
	is_int(mc("cgroup=/system.slice", s4, 2), 1, "cgroup= prefix on a component boundary");
	is_int(mc("cgroup=/system.slice", s4, 3), 0, "cgroup=/system.slice is not /system.slicex");
	is_int(mc("cgroup=/system.slice/nginx.service", s4, 2), 1, "cgroup= the whole path");
	is_int(mc("cgroup=/system.slice/nginx.service/", s4, 2), 1, "cgroup= a trailing '/' is ignored");
	is_int(mc("cgroup=system.slice", s4, 2), 1, "cgroup= relative to the root without the '/'");
	is_int(mc("cgroup=/system.slice/nginx", s4, 2), 0, "cgroup= a partial component is no match");
	is_int(mc("cgroup=/", s4, 5), 1, "cgroup=/ holds every known cgroup");
	is_int(mc("cgroup=/", s4, 1), 1, "cgroup=/ holds the root itself");
	is_int(mc("cgroup=/", s4, 99), 0, "cgroup=/ never matches an unresolved cgroup");
	is_int(mc("!cgroup=/system.slice", s4, 3), 1, "!cgroup= negates (outside)");
	is_int(mc("!cgroup=/system.slice", s4, 2), 0, "!cgroup= negates (inside)");
	is_int(mc("!cgroup=/system.slice", s4, 0), 1, "!cgroup= keeps an unknown cgroup");
	is_int(mc("cgroup=/system.slice unit=nginx.service", cok, 2), 1, "both terms on a connect");
	is_int(mc("cgroup=/other.slice unit=nginx.service", cok, 2), 0, "the same unit, other slice");
	{
		struct tl_conn c;
		struct tl_subject sub;

		f = parse("unit=nginx.service");
		tl_filter_set_cgroup_path(f, fake_path, NULL);
		cok.cgroup_id = 2;
		tl_conn_pack(&c, &cok);
		tl_subject_from_conn(&sub, &c);
		ok(f && tl_filter_match_subject(f, &sub), "a retained connect keeps its cgroup for unit=");
		tl_filter_free(f);
		cok.cgroup_id = 0;
	}

	/* malformed */
	bad("foo=1", "unknown");
	bad("port", "unknown");
	bad("pid=abc", "not a number");
	bad("pid=-1", "not a number");
	bad("pid=99999999999", "not a number");
	bad("port=0", "1-65535");
	bad("port=65536", "1-65535");
	bad("lport=x", "1-65535");
	bad("rport=", "empty");
	bad("comm=", "empty");
	bad("addr=10.0.0.300", "address");
	bad("addr=10.0.0.0/33", "address");
	bad("addr=::/129", "address");
	bad("addr=10.0.0.0/", "address");
	bad("addr=/8", "address");
	bad("fam=5", "fam");
	bad("dir=up", "dir");
	bad("result=maybe", "result");
	bad("lat>abc", "milliseconds");
	/* numbers as typed, in any locale: no hex, exponents or comma decimals */
	bad("lat>0x10", "milliseconds");
	bad("lat>1e3", "milliseconds");
	bad("lat>0,5", "milliseconds");
	bad("lat>000000000000000000000000000000000000000000000000000000000000001", "milliseconds");
	bad("lat>-1", "milliseconds");
	bad("lat>", "empty");
	bad("lat=5", "'>' or '<'");
	bad("port>5", "'='");
	bad("!", "'!'");
	bad("port=80 !", "'!'");
	bad("comm=averyveryverylongname", "15");
	bad("port=80 bogus", "unknown");
	bad("unit=", "empty");
	bad("cgroup=", "empty");
	bad("unit", "unknown");
	bad("units=x", "unknown");
	f = tl_filter_parse("port=99999", NULL, 0);
	ok(f == NULL, "a NULL error buffer is allowed");
	/* under a locale whose decimal point is a comma (generated here: no
	 * locale is installed on a fresh machine), numbers read the same */
	{
		char dir[] = "/tmp/tl-locale-XXXXXX", cmd[256];

		if (mkdtemp(dir)) {
			snprintf(cmd, sizeof(cmd), "localedef -i de_DE -f UTF-8 %s/de_DE.UTF-8 2>/dev/null",
				 dir);
			if (system(cmd) == 0) {
				setenv("LOCPATH", dir, 1);
				ok(setlocale(LC_ALL, "de_DE.UTF-8") != NULL, "de_DE.UTF-8 generated and set");
				is_int(m1("lat>2", &cok), 1, "de_DE: lat>2 on 2.5 ms");
				is_int(m1("lat>2.5", &cok), 0, "de_DE: lat>2.5 still reads 2.5");
				is_int(m1("lat>.05", &cref), 1, "de_DE: lat>.05 on 0.1 ms");
				bad("lat>0,5", "milliseconds");
				setlocale(LC_ALL, "C");
			} else {
				ok(0, "localedef -i de_DE (the locales package) could build a de_DE locale");
			}
			snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
			if (system(cmd) != 0)
				printf("# could not remove %s\n", dir);
		}
	}
	return tap_done();
}

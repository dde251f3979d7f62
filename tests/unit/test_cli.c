// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "tests/unit/tap.h"

static struct tl_options o;
static char err[256];

/* argv storage that outlives the parse, since options point into it */
static char store[2048];
static char *argv_buf[64];

static enum tl_cli_status parse_v(int argc, const char *const *args, const char *no_color)
{
	size_t off = 0;
	int i;

	for (i = 0; i < argc; i++) {
		size_t n = strlen(args[i]) + 1;

		memcpy(store + off, args[i], n);
		argv_buf[i] = store + off;
		off += n;
	}
	argv_buf[argc] = NULL;
	memset(err, 'Z', sizeof(err));
	err[sizeof(err) - 1] = '\0';
	return tl_cli_parse(argc, argv_buf, no_color, &o, err, sizeof(err));
}

/* "life -p 5": split on spaces, "tcplens" in front */
static enum tl_cli_status parse(const char *line)
{
	const char *args[64];
	char copy[512], *tok, *save = NULL;
	int argc = 0;

	args[argc++] = "tcplens";
	snprintf(copy, sizeof(copy), "%s", line);
	for (tok = strtok_r(copy, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
		args[argc++] = tok;
	return parse_v(argc, args, NULL);
}

/* bad input: an error whose one line contains every `want` fragment */
static void bad(const char *line, const char *want1, const char *want2)
{
	enum tl_cli_status st = parse(line);
	int good = st == TL_CLI_ERROR && !strchr(err, '\n') && strlen(err) > 0 &&
		   strstr(err, want1) && (!want2 || strstr(err, want2));

	ok(good, "'%s' -> error mentioning '%s'%s%s", line, want1, want2 ? " and " : "",
	   want2 ? want2 : "");
	if (!good)
		printf("#   status %d, err \"%s\"\n", st, err);
}

static int port_count(const struct tl_port_set *s)
{
	int n = 0, p;

	for (p = 0; p < 65536; p++)
		n += tl_port_set_has(s, (uint16_t)p);
	return n;
}

static void test_defaults(void)
{
	is_int(parse(""), TL_CLI_RUN, "no arguments: run");
	is_int(o.mode, TL_MODE_MONITOR, "no mode: monitor");
	ok(o.interval_s == 1.0, "interval 1.0");
	is_int(o.history, 200000, "history 200000");
	is_int(o.max_dests, 10000, "max_dests 10000");
	is_int(o.ringbuf_kib, 16384, "ringbuf_kib 16384");
	is_int(o.max_sockets, 65536, "max_sockets 65536");
	is_int(o.probes, TL_PROBES_AUTO, "probes auto");
	is_int(o.pid, 0, "no pid filter");
	is_int(o.family, 0, "no family filter");
	is_int(o.lports.count, 0, "no lport filter");
	is_int(o.rports.count, 0, "no rport filter");
	is_int(port_count(&o.lports), 0, "lport bitmap empty");
	ok(!o.batch && !o.no_color && !o.verbose && o.count == 0 && !o.filter, "flags off");
	ok(!o.time_hms && !o.time_rel && !o.wide && !o.csv && !o.show_lport && !o.extended &&
	   o.min_ms == 0, "line-mode flags off");
	is_str(err, "", "err cleared on success");

	const char *a[] = { "tcplens" };

	parse_v(1, a, "1");
	ok(o.no_color, "NO_COLOR=1 turns colour off");
	parse_v(1, a, "");
	ok(!o.no_color, "empty NO_COLOR is ignored");
	parse_v(1, a, NULL);
	ok(!o.no_color, "no NO_COLOR");
}

static void test_life(void)
{
	is_int(parse("life"), TL_CLI_RUN, "life");
	is_int(o.mode, TL_MODE_LIFE, "mode life");
	is_int(parse("life -T -t -w -s -p 123 -L 80,443 -D 8000-8002 -4"), TL_CLI_RUN,
	       "life with every option");
	ok(o.time_hms && o.time_rel && o.wide && o.csv, "-T -t -w -s");
	is_int(o.pid, 123, "-p 123");
	is_int(o.family, 4, "-4");
	is_int(o.lports.count, 2, "-L 80,443: two ports");
	ok(tl_port_set_has(&o.lports, 80) && tl_port_set_has(&o.lports, 443) &&
	   !tl_port_set_has(&o.lports, 81), "-L bitmap");
	is_int(port_count(&o.lports), 2, "-L bitmap has exactly two bits");
	is_int(o.rports.count, 3, "-D 8000-8002: three ports");
	ok(tl_port_set_has(&o.rports, 8000) && tl_port_set_has(&o.rports, 8002) &&
	   !tl_port_set_has(&o.rports, 8003) && !tl_port_set_has(&o.rports, 7999), "-D range bitmap");
	is_int(o.mode, TL_MODE_LIFE, "still life");

	is_int(parse("life -Tws -6"), TL_CLI_RUN, "clustered flags");
	ok(o.time_hms && o.wide && o.csv && !o.time_rel && o.family == 6, "-Tws -6");
	is_int(parse("life -L 1,65535 -L 1,22"), TL_CLI_RUN, "edges, repeated -L adds");
	is_int(o.lports.count, 3, "1, 22, 65535 counted once each");
	is_int(parse("life -p 4194304"), TL_CLI_RUN, "largest pid");
	is_int(o.pid, 4194304, "pid 4194304");
	is_int(parse("life -p1"), TL_CLI_RUN, "attached value");
	is_int(o.pid, 1, "-p1");
	is_int(parse("life --time --timestamp --wide --csv --pid=9 --localport=22 --remoteport 53"),
	       TL_CLI_RUN, "tcplife long options");
	ok(o.time_hms && o.time_rel && o.wide && o.csv && o.pid == 9 &&
	   tl_port_set_has(&o.lports, 22) && tl_port_set_has(&o.rports, 53), "long options set");
	is_int(parse("life -4 -4"), TL_CLI_RUN, "-4 twice is fine");
}

static void test_connlat(void)
{
	is_int(parse("connlat"), TL_CLI_RUN, "connlat");
	is_int(o.mode, TL_MODE_CONNLAT, "mode connlat");
	ok(o.min_ms == 0 && !o.extended && !o.show_lport && !o.time_rel, "connlat defaults");
	is_int(parse("connlat -t -p 5 -L -6 -x 1.5"), TL_CLI_RUN, "connlat with every option");
	ok(o.time_rel && o.show_lport && o.extended && o.family == 6 && o.pid == 5,
	   "-t -L -x -6 -p 5");
	ok(o.min_ms == 1.5, "MIN_MS 1.5");
	is_int(o.lports.count, 0, "-L is a flag here, not a port list");
	is_int(parse("connlat 0.1"), TL_CLI_RUN, "fractional MIN_MS");
	ok(o.min_ms > 0.0999999 && o.min_ms < 0.1000001, "MIN_MS 0.1");
	is_int(parse("connlat 10 -x"), TL_CLI_RUN, "option after MIN_MS");
	ok(o.min_ms == 10 && o.extended, "MIN_MS 10 with -x");
	is_int(parse("connlat .5"), TL_CLI_RUN, ".5");
	ok(o.min_ms == 0.5, "MIN_MS .5");
	is_int(parse("connlat 0"), TL_CLI_RUN, "MIN_MS 0");
	is_int(parse("connlat -L 80"), TL_CLI_RUN, "-L then a number: MIN_MS, like tcpconnlat");
	ok(o.show_lport && o.min_ms == 80, "-L 80 = LPORT column, MIN_MS 80");
	is_int(parse("connlat --timestamp --lport --extended --ipv4"), TL_CLI_RUN,
	       "connlat long options");
	ok(o.time_rel && o.show_lport && o.extended && o.family == 4, "long options set");
}

static void test_json_mode(void)
{
	is_int(parse("json -p 1 -L 1 -D 65535 -4"), TL_CLI_RUN, "json with every option");
	is_int(o.mode, TL_MODE_JSON, "mode json");
	ok(o.pid == 1 && o.family == 4 && tl_port_set_has(&o.lports, 1) &&
	   tl_port_set_has(&o.rports, 65535), "json filters");
	is_int(parse("json -6"), TL_CLI_RUN, "json -6");
	is_int(o.family, 6, "family 6");
}

static void test_monitor(void)
{
	const char *a[] = { "tcplens", "-f", "port=443 comm=curl", "-d", "0.5" };

	is_int(parse("-d 0.5 -b -n 3 -f pid=1 -p 7 -L 22 -D 443 -6 --history 1000 --max-dests 10 "
		     "--no-color"), TL_CLI_RUN, "monitor with every option");
	is_int(o.mode, TL_MODE_MONITOR, "mode monitor");
	ok(o.interval_s == 0.5, "-d 0.5");
	ok(o.batch, "-b");
	is_int(o.count, 3, "-n 3");
	is_str(o.filter, "pid=1", "-f");
	is_int(o.pid, 7, "-p 7");
	ok(tl_port_set_has(&o.lports, 22) && tl_port_set_has(&o.rports, 443), "-L -D");
	is_int(o.family, 6, "-6");
	is_int(o.history, 1000, "--history 1000");
	is_int(o.max_dests, 10, "--max-dests 10");
	ok(o.no_color, "--no-color");
	ok(!o.bpf_stats, "no --bpf-stats: off");
	is_int(parse("--bpf-stats -d 1"), TL_CLI_RUN, "--bpf-stats");
	ok(o.bpf_stats, "--bpf-stats: on");
	bad("--bpf-stats -b", "--bpf-stats", "not -b");
	bad("life --bpf-stats", "unknown", "--bpf-stats");

	is_int(parse_v(5, a, NULL), TL_CLI_RUN, "filter with spaces");
	is_str(o.filter, "port=443 comm=curl", "filter kept whole");
	is_int(parse("-d 0.1"), TL_CLI_RUN, "-d 0.1");
	ok(o.interval_s > 0.0999 && o.interval_s < 0.1001, "interval 0.1");
	is_int(parse("-d 3600"), TL_CLI_RUN, "-d 3600");
	is_int(parse("-d 2."), TL_CLI_RUN, "-d 2.");
	ok(o.interval_s == 2.0, "interval 2");
	is_int(parse("--history=100000000 --max-dests=10000000"), TL_CLI_RUN, "upper bounds");
	ok(o.history == 100000000 && o.max_dests == 10000000, "upper bounds set");
	is_int(parse("--max-dests 1"), TL_CLI_RUN, "--max-dests 1: a table of one row");
	ok(o.max_dests == 1, "max_dests 1");
}

static void test_open_mode(void)
{
	char line[600];

	is_int(parse("open"), TL_CLI_RUN, "open");
	is_int(o.mode, TL_MODE_OPEN, "mode open");
	ok(o.interval_s == 0 && o.count == 0 && !o.listeners && !o.json && !o.cgroup,
	   "open defaults: one snapshot, no listeners, text");
	is_int(parse("open -p 3 -L 22,80 -D 443 -6 -c /system.slice/sshd.service -l -i 2.5 -n 4 --json"),
	       TL_CLI_RUN, "open with every option");
	ok(o.pid == 3 && o.family == 6 && o.lports.count == 2 && tl_port_set_has(&o.rports, 443),
	   "open filters");
	is_str(o.cgroup, "/system.slice/sshd.service", "-c PATH");
	ok(o.listeners && o.json && o.interval_s == 2.5 && o.count == 4, "-l -i 2.5 -n 4 --json");
	is_int(parse("open --pid 3 --localport 22 --remoteport=443 --ipv4 --cgroup=/a --listening "
		     "--interval 0.1 --count 1 --json"), TL_CLI_RUN, "open long options");
	ok(o.pid == 3 && o.family == 4 && tl_port_set_has(&o.lports, 22) &&
	   tl_port_set_has(&o.rports, 443) && !strcmp(o.cgroup, "/a") && o.listeners &&
	   o.interval_s > 0.0999 && o.interval_s < 0.1001 && o.count == 1 && o.json,
	   "long options set");
	is_int(parse("open -i 3600"), TL_CLI_RUN, "-i 3600");
	is_int(parse("open -li1"), TL_CLI_RUN, "clustered -l with attached -i value");
	ok(o.listeners && o.interval_s == 1, "-li1");
	is_int(parse("-d 2"), TL_CLI_RUN, "the monitor's default interval is untouched");
	is_int(parse(""), TL_CLI_RUN, "monitor again");
	ok(o.interval_s == 1.0, "monitor interval default still 1");

	/* -c in every mode */
	is_int(parse("-c /sys/fs/cgroup/x"), TL_CLI_RUN, "monitor -c");
	is_str(o.cgroup, "/sys/fs/cgroup/x", "monitor cgroup");
	is_int(parse("life -c /x.slice"), TL_CLI_RUN, "life -c");
	is_str(o.cgroup, "/x.slice", "life cgroup");
	is_int(parse("connlat -c / 5"), TL_CLI_RUN, "connlat -c, then MIN_MS");
	ok(o.cgroup && !strcmp(o.cgroup, "/") && o.min_ms == 5, "connlat cgroup and MIN_MS");
	is_int(parse("json --cgroup /y"), TL_CLI_RUN, "json --cgroup");
	is_str(o.cgroup, "/y", "json cgroup");
	is_int(parse("life"), TL_CLI_RUN, "life without -c");
	ok(o.cgroup == NULL, "no cgroup filter");

	bad("open -i 0", "-i", "out of range 0.1-3600");
	bad("open -i 0.05", "-i", "out of range");
	bad("open -i 3601", "-i", "'3601'");
	bad("open -i abc", "-i", "not a number");
	bad("open -i -1", "-i", "not a number");
	bad("open -i 1e3", "-i", "not a number");
	bad("open -i", "-i", "missing");
	bad("open --interval", "--interval", "missing");
	bad("open --interval=x", "--interval", "'x'");
	memset(line, 0, sizeof(line));
	memcpy(line, "open -i 1.", 10);
	memset(line + 10, '0', 400);
	bad(line, "-i", "out of range");
	memset(line + 8, '9', 402);
	bad(line, "-i", "out of range");
	memcpy(line, "open -i 0.", 10);
	memset(line + 10, '0', 399);
	line[409] = '1';
	bad(line, "-i", "out of range");
	memcpy(line, "-d 1.", 5);
	memset(line + 5, '0', 400);
	line[405] = '\0';
	bad(line, "-d", "out of range");
	memcpy(line, "connlat 1.", 10);
	memset(line + 10, '0', 400);
	line[410] = '\0';
	bad(line, "MIN_MS", "out of range");
	bad("open -n 3", "-n COUNT needs -i", NULL);
	bad("open -n 0 -i 1", "-n", "out of range");
	bad("open -n x -i 1", "-n", "not a number");
	bad("open -b", "unknown option", "-b");
	bad("open -d 1", "unknown option", "-d");
	bad("open -T", "unknown option", "tcplens open --help");
	bad("open --bogus", "unknown", "tcplens open --help");
	bad("open --json=1", "--json", "no value");
	bad("open -l=1", "unknown option", NULL);
	bad("open extra", "open: unexpected argument", "'extra'");
	bad("open -p 0", "-p", "out of range");
	bad("open -L 0", "-L", "out of range");
	bad("open -4 -6", "-4", "-6");
	bad("open -c", "-c", "missing");
	is_int(parse("open -c system.slice/x.service"), TL_CLI_RUN, "a path relative to the v2 root");
	is_str(o.cgroup, "system.slice/x.service", "kept as typed, for src/cgroup.c to resolve");
	bad("json --cgroup=", "--cgroup", "is empty");
	bad("connlat -c", "-c", "missing");
	bad("-c", "-c", "missing");
	{
		const char *a[] = { "tcplens", "open", "-c", "" };

		is_int(parse_v(4, a, NULL), TL_CLI_ERROR, "-c ''");
		ok(strstr(err, "is empty") != NULL, "empty cgroup message: %s", err);
	}
	{
		static char longpath[5000];
		const char *a[] = { "tcplens", "life", "-c", longpath };
		int i;

		longpath[0] = '/';
		memset(longpath + 1, 'a', 4100);
		/* too long for parse_v's store: straight into argv */
		for (i = 0; i < 4; i++)
			argv_buf[i] = (char *)a[i];
		argv_buf[4] = NULL;
		is_int(tl_cli_parse(4, argv_buf, NULL, &o, err, sizeof(err)), TL_CLI_ERROR,
		       "-c with a path over 4095 bytes");
		ok(strstr(err, "longer than 4095") && strlen(err) < 200, "too long, quoted short: %s", err);
	}
	bad("opne", "unknown mode", "open");
}

static void test_global(void)
{
	static const char *const modes[] = { "", "life ", "connlat ", "json ", "open " };
	char line[256];
	unsigned int i;

	for (i = 0; i < 5; i++) {
		snprintf(line, sizeof(line),
			 "%s-v --probes=btf --ringbuf-kib=64 --max-sockets=1024", modes[i]);
		is_int(parse(line), TL_CLI_RUN, "global options in mode '%s'", modes[i]);
		ok(o.verbose && o.probes == TL_PROBES_BTF && o.ringbuf_kib == 64 &&
		   o.max_sockets == 1024 && (int)o.mode == (int)i, "global options set (%s)", modes[i]);
		snprintf(line, sizeof(line), "%s--help", modes[i]);
		is_int(parse(line), TL_CLI_HELP, "--help in '%s'", modes[i]);
		is_int(o.mode, i, "help knows its mode");
		snprintf(line, sizeof(line), "%s-h", modes[i]);
		is_int(parse(line), TL_CLI_HELP, "-h in '%s'", modes[i]);
		snprintf(line, sizeof(line), "%s--version", modes[i]);
		is_int(parse(line), TL_CLI_VERSION, "--version in '%s'", modes[i]);
	}
	is_int(parse("--probes tracepoint --ringbuf-kib 1048576 --max-sockets 16777216"),
	       TL_CLI_RUN, "upper bounds, separate values");
	ok(o.probes == TL_PROBES_TRACEPOINT && o.ringbuf_kib == 1048576 &&
	   o.max_sockets == 16777216, "values set");
	is_int(parse("--probes=auto"), TL_CLI_RUN, "--probes=auto");
	is_int(o.probes, TL_PROBES_AUTO, "auto");
	is_int(parse("life -h -p junk"), TL_CLI_HELP, "help wins when seen first");
}

static void test_bad(void)
{
	char small[16];
	const char *a[] = { "tcplens", "life", "-L", "" };
	const char *b[] = { "tcplens", "-d", "" };
	const char *c[] = { "tcplens", "life", "-p", "\x1b[2J" };

	/* ports */
	bad("life -L 70000", "-L: port '70000' is out of range 1-65535", NULL);
	bad("life -L 0", "-L", "'0' is out of range");
	bad("life -L 80,,81", "-L: item 2 of port list '80,,81' is empty", NULL);
	bad("life -L 80,", "-L", "is empty");
	bad("life -L ,80", "-L", "is empty");
	bad("life -L 12x", "-L", "'12x' is not a number");
	bad("life -L 443,abc", "-L", "'abc'");
	bad("life -L 90-80", "-L", "reversed");
	bad("life -L 80-70000", "-L", "out of range");
	bad("life -L -5", "-L", "'-5'");
	bad("life -L +80", "-L", "'+80'");
	bad("life -L 99999999999999999999999", "-L", "out of range");
	bad("life -D 65536", "-D", "65536");
	bad("json -D 0", "-D", "out of range");
	bad("-L 1,2,x", "-L", "'x'");
	is_int(parse_v(4, a, NULL), TL_CLI_ERROR, "empty port list");
	ok(strstr(err, "-L") && strstr(err, "is empty"), "empty port list message: %s", err);

	/* pid */
	bad("life -p abc", "-p: pid 'abc' is not a number", NULL);
	bad("life -p 0", "-p", "'0' is out of range 1-4194304");
	bad("life -p 4194305", "-p", "4194305");
	bad("life -p 12x", "-p", "'12x'");
	bad("life -p -1", "-p", "'-1'");
	bad("life -p 0x10", "-p", "not a number");
	bad("life -p 99999999999999999999999", "-p", "out of range");
	bad("connlat -p x", "-p", "not a number");
	bad("json -p 1.5", "-p", "not a number");
	bad("-p 0", "-p", "out of range");
	bad("life --pid=abc", "--pid", "'abc'");
	is_int(parse_v(4, c, NULL), TL_CLI_ERROR, "control characters in a value");
	ok(!strchr(err, '\x1b') && strstr(err, "\\x1b"), "value escaped in the message: %s", err);

	/* missing values */
	bad("life -p", "-p", "missing");
	bad("life -L", "-L", "missing");
	bad("json -D", "-D", "missing");
	bad("-d", "-d", "missing");
	bad("-n", "-n", "missing");
	bad("-f", "-f", "missing");
	bad("--history", "--history", "missing");
	bad("life --probes", "--probes", "missing");
	bad("--ringbuf-kib", "--ringbuf-kib", "missing");

	/* family */
	bad("life -4 -6", "-4", "-6");
	bad("json -6 -4", "-4", "-6");
	bad("connlat -46", "-4", "-6");
	bad("-4 -6", "-4", "-6");

	/* unknown flags and arguments */
	bad("life -x", "unknown option", "-x");
	bad("life -b", "unknown option", "-b");
	bad("life --bogus", "unknown", "--bogus");
	bad("life --history 1000", "unknown", "--history");
	bad("json -T", "unknown option", "-T");
	bad("json -w", "unknown option", "-w");
	bad("connlat -D 80", "unknown option", "-D");
	bad("connlat -s", "unknown option", "-s");
	bad("-T", "unknown option", "-T");
	bad("-x", "unknown option", "-x");
	bad("--wide", "unknown", "--wide");
	/* main() puts "tcplens: " in front: the message must not say it again */
	parse("--bogus");
	ok(!strncmp(err, "unknown or ambiguous option '--bogus'", 37),
	   "--bogus: the message starts with what is wrong, no second 'tcplens:' (%s)", err);
	parse("-x");
	ok(!strncmp(err, "unknown option '-x'", 19), "-x: no 'tcplens:' in the message (%s)", err);
	parse("life --bogus");
	ok(!strncmp(err, "life: unknown", 13), "life --bogus: the mode is named (%s)", err);
	bad("life foo", "unexpected argument", "'foo'");
	bad("json 5", "unexpected argument", "'5'");
	bad("-b extra", "unexpected argument", "'extra'");
	bad("lfe", "unknown mode", "'lfe'");
	bad("-v life", "mode must come first", "tcplens life");
	bad("life -L 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,,22", "item 21", "...'");
	bad("--no-color=1", "--no-color", "no value");
	bad("life --help=x", "--help", "no value");

	/* connlat MIN_MS */
	bad("connlat abc", "MIN_MS", "'abc'");
	bad("connlat 1ms", "MIN_MS", "'1ms'");
	bad("connlat 1.2.3", "MIN_MS", "'1.2.3'");
	bad("connlat 1 2", "unexpected argument", "'2'");
	bad("connlat -1", "MIN_MS", ">= 0");
	bad("connlat nan", "MIN_MS", "'nan'");

	/* monitor values */
	bad("-d 0.05", "-d", "out of range 0.1-3600");
	bad("-d 0", "-d", "out of range");
	bad("-d 3601", "-d", "'3601'");
	bad("-d abc", "-d", "not a number");
	bad("-d 1.2.3", "-d", "not a number");
	bad("-d -1", "-d", "not a number");
	bad("-d 1e3", "-d", "not a number");
	bad("-d 1,5", "-d", "not a number");
	is_int(parse_v(3, b, NULL), TL_CLI_ERROR, "-d ''");
	bad("-n 0", "-n", "out of range");
	bad("-n x", "-n", "not a number");
	bad("-n 5x", "-n", "'5x'");
	bad("--history 999", "--history", "out of range 1000-100000000");
	bad("--history 100000001", "--history", "100000001");
	bad("--history=12x", "--history", "not a number");
	bad("--max-dests 0", "--max-dests", "out of range 1-10000000");
	bad("--max-dests 10000001", "--max-dests", "out of range");

	/* global values */
	bad("--ringbuf-kib 63", "--ringbuf-kib", "out of range 64-1048576");
	bad("life --ringbuf-kib=1048577", "--ringbuf-kib", "out of range");
	bad("json --ringbuf-kib=1k", "--ringbuf-kib", "not a number");
	bad("--max-sockets 1023", "--max-sockets", "out of range 1024-16777216");
	bad("connlat --max-sockets=16777217", "--max-sockets", "out of range");
	bad("--probes=kprobe", "--probes", "'kprobe'");
	bad("life --probes=", "--probes", "auto, btf, tracepoint");

	/* a small error buffer: cut, still terminated */
	{
		const char *d[] = { "tcplens", "life", "-L", "70000" };
		int i;

		for (i = 0; i < 4; i++)
			argv_buf[i] = (char *)d[i];
		is_int(tl_cli_parse(4, argv_buf, NULL, &o, small, sizeof(small)), TL_CLI_ERROR,
		       "small error buffer");
		is_int(strlen(small), sizeof(small) - 1, "message cut to the buffer");
	}

	/* the parser still works after errors */
	is_int(parse("life -p 77"), TL_CLI_RUN, "parse again after errors");
	is_int(o.pid, 77, "fresh values");
	is_int(o.lports.count, 0, "no leftovers from earlier parses");
}

static void test_usage(void)
{
	ok(strstr(tl_cli_usage(TL_MODE_MONITOR), "life") &&
	   strstr(tl_cli_usage(TL_MODE_MONITOR), "connlat") &&
	   strstr(tl_cli_usage(TL_MODE_MONITOR), "json") &&
	   strstr(tl_cli_usage(TL_MODE_MONITOR), "--history"), "monitor usage lists the modes");
	ok(strstr(tl_cli_usage(TL_MODE_LIFE), "-w") && strstr(tl_cli_usage(TL_MODE_LIFE), "-D PORTS"),
	   "life usage");
	ok(strstr(tl_cli_usage(TL_MODE_CONNLAT), "MIN_MS") &&
	   strstr(tl_cli_usage(TL_MODE_CONNLAT), "-x"), "connlat usage");
	ok(strstr(tl_cli_usage(TL_MODE_JSON), "json") &&
	   strstr(tl_cli_usage(TL_MODE_JSON), "--ringbuf-kib"), "json usage");
	ok(strstr(tl_cli_usage(TL_MODE_MONITOR), "tcplens open"), "monitor usage lists open");
	ok(strstr(tl_cli_usage(TL_MODE_OPEN), "Usage: tcplens open") &&
	   strstr(tl_cli_usage(TL_MODE_OPEN), "-i, --interval") &&
	   strstr(tl_cli_usage(TL_MODE_OPEN), "QUEUE") &&
	   strstr(tl_cli_usage(TL_MODE_OPEN), "--json") &&
	   strstr(tl_cli_usage(TL_MODE_OPEN), "--ringbuf-kib"), "open usage");
	for (int m = TL_MODE_MONITOR; m <= TL_MODE_OPEN; m++)
		ok(strstr(tl_cli_usage((enum tl_mode)m), "-c, --cgroup PATH") != NULL,
		   "usage of mode %d documents -c", m);
}

static void test_serve_mode(void)
{
	is_int(parse("serve"), TL_CLI_RUN, "serve");
	is_int(o.mode, TL_MODE_SERVE, "serve mode");
	ok(!o.listen.set && o.listen.family == 4 && o.listen.addr[0] == 127 && o.listen.addr[3] == 1 &&
	   o.listen.port == TL_LISTEN_DEFAULT_PORT, "default: 127.0.0.1:%d", TL_LISTEN_DEFAULT_PORT);
	is_int(o.max_series, 5000, "max_series 5000");
	is_int(parse("serve --listen 10.1.2.3:9 --max-series 1000 -p 4 -L 80 -c /a"), TL_CLI_RUN,
	       "serve with options");
	ok(o.listen.set && o.listen.family == 4 && o.listen.addr[0] == 10 && o.listen.addr[3] == 3 &&
	   o.listen.port == 9 && o.max_series == 1000 && o.pid == 4 && tl_port_set_has(&o.lports, 80),
	   "--listen 10.1.2.3:9 and filters");
	is_int(parse("serve --listen=[::1]:65535"), TL_CLI_RUN, "IPv6 in brackets");
	ok(o.listen.family == 6 && o.listen.addr[15] == 1 && o.listen.port == 65535, "[::1]:65535");
	is_int(parse("serve --listen :8080"), TL_CLI_RUN, ":PORT");
	ok(o.listen.family == 4 && o.listen.addr[0] == 127 && o.listen.port == 8080, ":8080 is loopback");
	is_int(parse("--listen 127.0.0.1:10117 --max-series 10000000"), TL_CLI_RUN, "the monitor too");
	ok(o.mode == TL_MODE_MONITOR && o.listen.set && o.max_series == 10000000, "monitor --listen");
	bad("serve --listen 127.0.0.1", "--listen", "ADDR:PORT");
	bad("serve --listen 127.0.0.1:0", "--listen", "1-65535");
	bad("serve --listen 127.0.0.1:65536", "--listen", "1-65535");
	bad("serve --listen 127.0.0.1:-1", "--listen", "1-65535");
	bad("serve --listen localhost:80", "--listen", "numeric");
	bad("serve --listen ::1:80", "--listen", "brackets");
	bad("serve --listen []:80", "--listen", "not an IP address");
	bad("serve --listen [127.0.0.1]:80", "--listen", "IPv6");
	bad("serve --listen 1.2.3.4.5:80", "--listen", "numeric");
	bad("serve --max-series 999", "--max-series", "1000-10000000");
	bad("serve --max-series lots", "--max-series", "not a number");
	bad("serve -b", "serve", "'-b'");
	bad("serve extra", "serve", "unexpected argument");
	ok(strstr(tl_cli_usage(TL_MODE_SERVE), "Usage: tcplens serve") &&
	   strstr(tl_cli_usage(TL_MODE_SERVE), "127.0.0.1:10117") &&
	   strstr(tl_cli_usage(TL_MODE_SERVE), "--max-series") &&
	   strstr(tl_cli_usage(TL_MODE_SERVE), "-c, --cgroup PATH"), "serve usage");
	ok(strstr(tl_cli_usage(TL_MODE_MONITOR), "tcplens serve") &&
	   strstr(tl_cli_usage(TL_MODE_MONITOR), "--listen ADDR:PORT"), "monitor usage lists serve");
}

int main(void)
{
	test_defaults();
	test_life();
	test_connlat();
	test_json_mode();
	test_monitor();
	test_open_mode();
	test_global();
	test_bad();
	test_usage();
	test_serve_mode();
	return tap_done();
}

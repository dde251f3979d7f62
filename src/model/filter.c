// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The filter language: space-separated terms that must all hold, each
 * optionally negated with a leading '!'. Parsing is strict (a typo must not
 * silently hide everything); matching works on a tl_subject.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decimal.h"
#include "cgroup.h"
#include "filter.h"

enum term_type {
	T_PID, T_COMM, T_PORT, T_LPORT, T_RPORT, T_ADDR, T_FAM, T_DIR,
	T_RESULT, T_LAT_GT, T_LAT_LT, T_UNIT, T_CGROUP,
};

struct term {
	uint8_t type;
	uint8_t neg;
	uint8_t family;		/* T_ADDR */
	uint8_t prefix;		/* T_ADDR: bits */
	uint32_t num;		/* pid, port, family, dir, result=ok (1) / fail (0) */
	uint64_t ns;		/* T_LAT_* */
	uint8_t addr[16];
	char comm[TL_REC_COMM_LEN];
	char *str;		/* T_UNIT: the name; T_CGROUP: the path, "/..." without a
				 * trailing '/', "" for the root */
};

struct tl_filter {
	char *text;
	tl_cgroup_path_fn cg_fn;
	void *cg_ctx;
	bool unresolved;	/* see tl_filter_take_unresolved */
	size_t n;
	struct term t[];
};

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static int parse_u32(const char *s, uint32_t max, uint32_t *out)
{
	unsigned long long v;
	char *end;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return -ERANGE;
	*out = (uint32_t)v;
	return 0;
}

static int parse_addr(struct term *t, const char *val)
{
	char buf[INET6_ADDRSTRLEN + 8];
	const char *slash = strchr(val, '/');
	size_t alen = slash ? (size_t)(slash - val) : strlen(val);
	uint32_t prefix, max;
	int i;

	if (!alen || alen >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, val, alen);
	buf[alen] = '\0';
	memset(t->addr, 0, sizeof(t->addr));
	if (inet_pton(AF_INET, buf, t->addr) == 1) {
		t->family = 4;
	} else if (inet_pton(AF_INET6, buf, t->addr) == 1) {
		t->family = 6;
	} else {
		return -EINVAL;
	}
	max = t->family == 4 ? 32 : 128;
	prefix = max;
	if (slash && parse_u32(slash + 1, max, &prefix))
		return -EINVAL;
	/* records carry IPv4-mapped addresses as IPv4, so filters do too */
	if (t->family == 6 && prefix >= 96 &&
	    !memcmp(t->addr, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12)) {
		memmove(t->addr, t->addr + 12, 4);
		memset(t->addr + 4, 0, 12);
		t->family = 4;
		prefix -= 96;
	}
	t->prefix = (uint8_t)prefix;
	/* host bits in a CIDR are ignored, as ip route does */
	for (i = 0; i < 16; i++) {
		int bits = (int)prefix - i * 8;

		if (bits <= 0)
			t->addr[i] = 0;
		else if (bits < 8)
			t->addr[i] &= (uint8_t)(0xff << (8 - bits));
	}
	return 0;
}

static int parse_term(struct term *t, const char *tok, char *err, size_t errlen)
{
	static const struct { const char *key; uint8_t type; } keys[] = {
		{ "pid", T_PID }, { "comm", T_COMM }, { "port", T_PORT },
		{ "lport", T_LPORT }, { "rport", T_RPORT }, { "addr", T_ADDR },
		{ "fam", T_FAM }, { "dir", T_DIR }, { "result", T_RESULT },
		{ "lat", T_LAT_GT }, { "unit", T_UNIT }, { "cgroup", T_CGROUP },
	};
	size_t klen = strcspn(tok, "=<>");
	const char *val;
	char op;
	size_t i;

	memset(t, 0, sizeof(*t));
	if (*tok == '!') {
		t->neg = 1;
		tok++;
		klen--;
		if (!*tok) {
			set_err(err, errlen, "'!' must be followed by a term");
			return -EINVAL;
		}
	}
	op = tok[klen];
	val = tok + klen + (op ? 1 : 0);
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strlen(keys[i].key) == klen && !strncmp(tok, keys[i].key, klen))
			break;
	if (i == sizeof(keys) / sizeof(keys[0]) || !op) {
		set_err(err, errlen, "unknown filter term '%s' (terms: pid= comm= port= lport= "
			"rport= addr= fam= dir= result= lat> lat< unit= cgroup=)", tok);
		return -EINVAL;
	}
	t->type = keys[i].type;
	if (t->type == T_LAT_GT) {
		if (op == '<')
			t->type = T_LAT_LT;
		else if (op != '>')
			op = 0;
	} else if (op != '=') {
		op = 0;
	}
	if (!op) {
		set_err(err, errlen, "'%.*s' takes %s", (int)klen, tok,
			t->type == T_LAT_GT ? "'>' or '<' (lat>MS, lat<MS)" : "'='");
		return -EINVAL;
	}
	if (!*val) {
		set_err(err, errlen, "empty value in '%s'", tok);
		return -EINVAL;
	}

	switch (t->type) {
	case T_PID:
		if (parse_u32(val, UINT32_MAX, &t->num))
			goto bad_number;
		return 0;
	case T_COMM:
		if (strlen(val) >= TL_REC_COMM_LEN) {
			set_err(err, errlen, "comm '%s' is longer than a process name can be (15)", val);
			return -EINVAL;
		}
		strcpy(t->comm, val);
		return 0;
	case T_PORT:
	case T_LPORT:
	case T_RPORT:
		if (parse_u32(val, 65535, &t->num) || t->num == 0) {
			set_err(err, errlen, "port '%s' is not a number in 1-65535", val);
			return -EINVAL;
		}
		return 0;
	case T_ADDR:
		if (parse_addr(t, val)) {
			set_err(err, errlen, "'%s' is not an IPv4/IPv6 address or CIDR", val);
			return -EINVAL;
		}
		return 0;
	case T_FAM:
		if (strcmp(val, "4") && strcmp(val, "6")) {
			set_err(err, errlen, "fam must be 4 or 6, not '%s'", val);
			return -EINVAL;
		}
		t->num = (uint32_t)(val[0] - '0');
		return 0;
	case T_DIR:
		if (!strcmp(val, "in")) {
			t->num = TL_REC_PASSIVE;
		} else if (!strcmp(val, "out")) {
			t->num = TL_REC_ACTIVE;
		} else {
			set_err(err, errlen, "dir must be in or out, not '%s'", val);
			return -EINVAL;
		}
		return 0;
	case T_UNIT:
		t->str = strdup(val);
		if (!t->str)
			goto no_memory;
		return 0;
	case T_CGROUP: {
		size_t n = strlen(val);

		/* "/a/b/", "a/b" and "/a/b" are one prefix; "/" is every cgroup */
		while (n && val[n - 1] == '/')
			n--;
		t->str = malloc(n + 2);
		if (!t->str)
			goto no_memory;
		snprintf(t->str, n + 2, "%s%.*s", n && val[0] != '/' ? "/" : "", (int)n, val);
		return 0;
	}
	case T_RESULT:
		if (!strcmp(val, "ok")) {
			t->num = 1;
		} else if (!strcmp(val, "fail")) {
			t->num = 0;
		} else {
			set_err(err, errlen, "result must be ok or fail, not '%s'", val);
			return -EINVAL;
		}
		return 0;
	default: {		/* lat>MS, lat<MS */
		double ms;

		/* not strtod: "0.5" in every locale, and no hex or exponents */
		if (tl_parse_decimal(val, &ms) || ms > 1e12) {
			set_err(err, errlen, "latency '%s' is not a number of milliseconds", val);
			return -EINVAL;
		}
		t->ns = (uint64_t)llround(ms * 1e6);
		return 0;
	}
	}

bad_number:
	set_err(err, errlen, "'%s' is not a number", val);
	return -EINVAL;
no_memory:
	set_err(err, errlen, "out of memory");
	return -ENOMEM;
}

struct tl_filter *tl_filter_parse(const char *expr, char *err, size_t errlen)
{
	struct tl_filter *f = NULL;
	char *copy = NULL, *tok, *save = NULL;
	size_t n = 0;
	const char *p;
	int ret = -EINVAL;

	if (!expr) {
		set_err(err, errlen, "no filter expression");
		goto cleanup;
	}
	/* at most one term per run of non-blanks */
	for (p = expr; *p; p++)
		if (!isspace((unsigned char)*p) && (p == expr || isspace((unsigned char)p[-1])))
			n++;
	ret = -ENOMEM;
	f = calloc(1, sizeof(*f) + n * sizeof(f->t[0]));
	copy = strdup(expr);
	if (f)
		f->text = strdup(expr);
	if (!f || !copy || !f->text) {
		set_err(err, errlen, "out of memory");
		goto cleanup;
	}
	for (tok = strtok_r(copy, " \t\r\n\v\f", &save); tok;
	     tok = strtok_r(NULL, " \t\r\n\v\f", &save)) {
		ret = parse_term(&f->t[f->n], tok, err, errlen);
		if (ret) {
			free(f->t[f->n].str);
			goto cleanup;
		}
		f->n++;
	}
	ret = 0;
cleanup:
	free(copy);
	if (ret) {
		tl_filter_free(f);
		errno = -ret;
		return NULL;
	}
	return f;
}

void tl_filter_free(struct tl_filter *f)
{
	size_t i;

	if (!f)
		return;
	for (i = 0; i < f->n; i++)
		free(f->t[i].str);
	free(f->text);
	free(f);
}

void tl_filter_set_cgroup_path(struct tl_filter *f, tl_cgroup_path_fn fn, void *ctx)
{
	if (!f)
		return;
	f->cg_fn = fn;
	f->cg_ctx = ctx;
}

bool tl_filter_take_unresolved(struct tl_filter *f)
{
	bool was = f && f->unresolved;

	if (f)
		f->unresolved = false;
	return was;
}

/* On component boundaries: "/a" holds "/a" and "/a/b", not "/ab". */
static bool cgroup_within(const char *prefix, const char *path)
{
	size_t n = strlen(prefix);

	return !strncmp(path, prefix, n) && (path[n] == '\0' || path[n] == '/');
}

static bool unit_is(const char *name, const char *path)
{
	char unit[256];

	/* a longer unit than the buffer is not cut into a false match */
	return tl_cgroup_unit(unit, sizeof(unit), path) < sizeof(unit) && !strcmp(unit, name);
}

const char *tl_filter_text(const struct tl_filter *f)
{
	return f ? f->text : "";
}

static bool prefix_match(const uint8_t *a, const uint8_t *net, int prefix)
{
	int full = prefix / 8, rest = prefix % 8;

	if (memcmp(a, net, (size_t)full))
		return false;
	if (rest && ((a[full] ^ net[full]) & (uint8_t)(0xff << (8 - rest))))
		return false;
	return true;
}

static bool term_match(const struct tl_filter *f, const struct term *t,
		       const struct tl_subject *s)
{
	const char *path;

	switch (t->type) {
	case T_UNIT:
	case T_CGROUP:
		/* an unknown owner's cgroup is unknown too */
		path = s->owner_known && s->cgroup_id && f->cg_fn ? f->cg_fn(f->cg_ctx, s->cgroup_id) : NULL;
		if (!path) {
			/* matching is const for the views; this flag is the filter's
			 * only state, and every filter is made by tl_filter_parse */
			if (s->owner_known && s->cgroup_id && f->cg_fn)
				((struct tl_filter *)f)->unresolved = true;
			return false;
		}
		return t->type == T_UNIT ? unit_is(t->str, path) : cgroup_within(t->str, path);
	case T_PID:
		return s->owner_known && s->pid == t->num;
	case T_COMM:
		return s->owner_known &&
		       memmem(s->comm, strnlen(s->comm, TL_REC_COMM_LEN), t->comm, strlen(t->comm));
	case T_PORT:
		return s->lport == t->num || s->rport == t->num;
	case T_LPORT:
		return s->lport == t->num;
	case T_RPORT:
		return s->rport == t->num;
	case T_ADDR:
		return s->family == t->family &&
		       (prefix_match(s->laddr, t->addr, t->prefix) ||
			prefix_match(s->raddr, t->addr, t->prefix));
	case T_FAM:
		return s->family == t->num;
	case T_DIR:
		return s->dir == t->num;
	case T_RESULT:
		return s->kind == TL_REC_CONNECT && (s->result == TL_REC_OK) == (t->num == 1);
	case T_LAT_GT:
		return s->kind == TL_REC_CONNECT && s->span_ns > t->ns;
	case T_LAT_LT:
		return s->kind == TL_REC_CONNECT && s->span_ns < t->ns;
	}
	return false;
}

bool tl_filter_match_subject(const struct tl_filter *f, const struct tl_subject *s)
{
	size_t i;

	if (!f)
		return true;
	for (i = 0; i < f->n; i++)
		if (term_match(f, &f->t[i], s) == !!f->t[i].neg)
			return false;
	return true;
}

bool tl_filter_match(const struct tl_filter *f, const struct tl_record *r)
{
	struct tl_subject s;

	if (!f)
		return true;
	tl_subject_from_record(&s, r);
	return tl_filter_match_subject(f, &s);
}

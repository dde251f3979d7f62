// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <string.h>

#include "open_filter.h"

/* Paths from the cgroup v2 root: "/a/b/" and "/a/b" name the same cgroup. */
static size_t cgroup_len(const char *p)
{
	size_t n = strlen(p);

	while (n && p[n - 1] == '/')
		n--;
	return n;
}

bool tl_open_cgroup_within(const char *filter, const char *path)
{
	size_t fn = cgroup_len(filter), cn = cgroup_len(path);

	/* the root holds every process */
	if (!fn)
		return true;
	return cn >= fn && !memcmp(path, filter, fn) && (cn == fn || path[fn] == '/');
}

bool tl_open_match(const struct tl_options *opt, const struct tl_sock *s, const char *cgroup)
{
	bool listen = s->state == TL_TCP_LISTEN;

	if (listen && !opt->listeners)
		return false;
	if (opt->family && s->family != opt->family)
		return false;
	/* an unknown owner is not the one asked for */
	if (opt->pid && (!s->owner_known || s->pid != opt->pid))
		return false;
	if (opt->lports.count && !tl_port_set_has(&opt->lports, s->lport))
		return false;
	/* a listener has no remote port */
	if (opt->rports.count && (listen || !tl_port_set_has(&opt->rports, s->rport)))
		return false;
	/* the walk does not filter by cgroup: a path unknown here does not match */
	if (opt->cgroup && (!cgroup || !opt->cgroup_relpath ||
			    !tl_open_cgroup_within(opt->cgroup_relpath, cgroup)))
		return false;
	return true;
}

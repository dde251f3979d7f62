/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The open mode's filters, run in user space on completed snapshots. */
#ifndef TCPLENS_OPEN_FILTER_H
#define TCPLENS_OPEN_FILTER_H

#include <stdbool.h>

#include "cli.h"
#include "sock.h"

/*
 * The user-space filters of the open mode (-p -L -D -4 -6 -c -l) for one
 * completed socket. cgroup is the owner's cgroup path (NULL: unknown, which
 * -c never matches), compared with opt->cgroup_relpath: -c as the capture
 * engine resolved it, a path from the cgroup v2 root.
 */
bool tl_open_match(const struct tl_options *opt, const struct tl_sock *s, const char *cgroup);
/* Does path lie in the cgroup `filter` or below it? Both are paths from the
 * cgroup v2 root. */
bool tl_open_cgroup_within(const char *filter, const char *path);

#endif

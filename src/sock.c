// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdlib.h>

#include "sock.h"

void tl_snapshot_free(struct tl_snapshot *s)
{
	free(s->socks);
	s->socks = NULL;
	s->n = s->cap = 0;
}

/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Snapshots of the open sockets for the monitor's Open panel. */
#ifndef TCPLENS_UI_OPEN_FEED_H
#define TCPLENS_UI_OPEN_FEED_H

#include "source.h"
#include "open_src.h"
#include "state.h"

struct tl_open_feed {
	struct tl_open_src src;
	const char **paths;	/* per socket of the newest snapshot */
	size_t room;
	bool off;		/* the kernel has no iterator */
	/* the sockets -p -L -D -4 -6 -c let through, when one is given */
	struct tl_snapshot kept;
	struct tl_open_rate *kept_rates;
	const char **kept_paths;
	size_t kept_room;
};

/* Takes a snapshot into ui->ov (the rows are rebuilt by tl_ui_update_views).
 * 0 or -errno; the panel says why it has no rows. */
int tl_open_feed_step(struct tl_open_feed *f, struct tl_ui *ui, struct tl_source *source);
void tl_open_feed_fini(struct tl_open_feed *f);

#endif

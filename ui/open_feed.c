/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The monitor's Open panel is fed here: one snapshot per refresh interval
 * (src/open_src.c, the same as `tcplens open -i`), handed to the model's
 * open view. Only the monitor links this (it needs the capture engine).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "open_feed.h"

int tl_open_feed_step(struct tl_open_feed *f, struct tl_ui *ui, struct tl_capture *cap)
{
	const struct tl_snapshot *snap;
	struct tl_open_input in;
	size_t i;
	int err;

	if (!ui->ov || f->off)
		return 0;
	err = tl_open_src_step(&f->src, cap, true);
	if (err) {
		/* no iterator: said once in the log, not at every refresh */
		f->off = err == -EOPNOTSUPP;
		snprintf(ui->open_note, sizeof(ui->open_note),
			 err == -EOPNOTSUPP ?
			 "(this kernel has no TCP socket iterator: no open connections)" :
			 "(cannot walk the open sockets: see the log, l)");
		return err;
	}
	snap = tl_open_src_snap(&f->src);
	if (snap->n > f->room) {
		const char **p = realloc(f->paths, snap->n * sizeof(*p));

		if (!p)
			return -ENOMEM;
		f->paths = p;
		f->room = snap->n;
	}
	for (i = 0; i < snap->n; i++)
		f->paths[i] = tl_open_src_cgroup(&f->src, cap, i);
	in.snap = snap;
	in.rates = f->src.rates;
	in.paths = f->paths;
	err = tl_open_view_ingest(ui->ov, &in, ui->m);
	if (!err)
		ui->open_note[0] = '\0';
	return err;
}

void tl_open_feed_fini(struct tl_open_feed *f)
{
	tl_open_src_fini(&f->src);
	free(f->paths);
	memset(f, 0, sizeof(*f));
}

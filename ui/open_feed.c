/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The monitor's Open panel is fed here: one snapshot per refresh interval
 * (src/open_src.c, the same as `tcplens open -i`), from the live capture or
 * a recording, handed to the model's open view.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "open_feed.h"
#include "open_filter.h"

/*
 * -p -L -D -4 -6 -c hold in every mode: the walk sees every socket, so the
 * ones they leave out are dropped here (listeners kept, as the panel has a
 * grouping for them). in is repointed at the sockets that pass.
 */
static int kernel_filters(struct tl_open_feed *f, const struct tl_options *opt,
			  struct tl_open_input *in)
{
	struct tl_options o = *opt;
	const struct tl_snapshot *snap = in->snap;
	size_t i, n = 0;

	if (!opt->pid && !opt->lports.count && !opt->rports.count && !opt->family && !opt->cgroup)
		return 0;
	o.listeners = true;
	if (snap->n > f->kept_room) {
		struct tl_sock *s = realloc(f->kept.socks, snap->n * sizeof(*s));
		struct tl_open_rate *r;
		const char **p;

		if (!s)
			return -ENOMEM;
		f->kept.socks = s;
		r = realloc(f->kept_rates, snap->n * sizeof(*r));
		if (!r)
			return -ENOMEM;
		f->kept_rates = r;
		p = realloc(f->kept_paths, snap->n * sizeof(*p));
		if (!p)
			return -ENOMEM;
		f->kept_paths = p;
		f->kept_room = snap->n;
	}
	for (i = 0; i < snap->n; i++) {
		if (!tl_open_match(&o, &snap->socks[i], in->paths[i]))
			continue;
		f->kept.socks[n] = snap->socks[i];
		if (in->rates)
			f->kept_rates[n] = in->rates[i];
		f->kept_paths[n] = in->paths[i];
		n++;
	}
	f->kept.n = n;
	f->kept.ts_ns = snap->ts_ns;
	in->snap = &f->kept;
	in->rates = in->rates ? f->kept_rates : NULL;
	in->paths = f->kept_paths;
	return 0;
}

int tl_open_feed_step(struct tl_open_feed *f, struct tl_ui *ui, struct tl_source *source)
{
	const struct tl_snapshot *snap;
	struct tl_open_input in;
	size_t i;
	int err;

	if (!ui->ov || f->off)
		return 0;
	/* rates: the view measures them on the cookie matching it does anyway,
	 * in walk order, where the source would index the whole previous walk */
	err = tl_open_src_step(&f->src, source, false);
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
		f->paths[i] = tl_open_src_cgroup(&f->src, i);
	in.snap = snap;
	in.rates = NULL;
	in.paths = f->paths;
	in.measure_rates = true;
	err = kernel_filters(f, ui->opt, &in);
	if (err)
		return err;
	err = tl_open_view_ingest(ui->ov, &in, ui->m);
	if (!err)
		ui->open_note[0] = '\0';
	return err;
}

void tl_open_feed_fini(struct tl_open_feed *f)
{
	tl_open_src_fini(&f->src);
	free(f->paths);
	free(f->kept.socks);
	free(f->kept_rates);
	free(f->kept_paths);
	memset(f, 0, sizeof(*f));
}

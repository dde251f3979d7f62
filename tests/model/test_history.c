// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The session ring: order, wrap-around, bounded memory, totals. */
#include <stdlib.h>

#include "../unit/tap.h"
#include "model/model.h"
#include "mrec.h"

int main(void)
{
	struct tl_model_config cfg = { .history = 5, .max_dests = 10 };
	struct tl_model *m = tl_model_new(&cfg);
	struct tl_record r;
	size_t i;
	int good;

	ok(m != NULL, "model with history 5");
	is_int(tl_model_history_len(m), 0, "empty at start");
	ok(tl_model_history_get(m, 0) == NULL, "get(0) of an empty history is NULL");
	for (i = 0; i < 12; i++) {
		r = mk_session(1000 + i, (uint32_t)i, "s", "10.0.0.1", 1, "10.0.0.2", (uint16_t)(100 + i),
			       TL_REC_ACTIVE);
		tl_model_add(m, &r);
		if (i == 2) {
			is_int(tl_model_history_len(m), 3, "three retained before wrapping");
			is_int(tl_model_history_get(m, 0)->pid, 2, "newest first before wrapping");
			is_int(tl_model_history_get(m, 2)->pid, 0, "oldest last before wrapping");
		}
		/* connects go elsewhere */
		r = mk_connect(1000 + i, 1, "c", "10.0.0.3", 80, TL_REC_OK, 1000);
		tl_model_add(m, &r);
	}
	is_int(tl_model_history_len(m), 5, "len stays at the capacity");
	is_int(tl_model_history_cap(m), 5, "cap is 5");
	good = 1;
	for (i = 0; i < 5; i++) {
		const struct tl_record *g = tl_model_history_get(m, i);

		if (!g || g->pid != 11 - i || g->ts_ns != 1000 + 11 - i || g->rport != 111 - i ||
		    g->kind != TL_REC_SESSION)
			good = 0;
	}
	ok(good, "after 12 adds: sessions 11,10,9,8,7, newest first, contents intact");
	ok(tl_model_history_get(m, 5) == NULL, "get past the end is NULL");
	is_int(tl_model_totals(m)->sessions, 12, "totals count every session");
	is_int(tl_model_totals(m)->connects, 12, "totals count every connect");
	is_int(tl_model_totals(m)->first_ts_ns, 1000, "first ts");
	is_int(tl_model_totals(m)->last_ts_ns, 1011, "last ts");
	{
		struct tl_drops d = { .ringbuf = 3, .map = 4, .missed = 5 };

		tl_model_set_drops(m, &d);
		ok(tl_model_totals(m)->drops.ringbuf == 3 && tl_model_totals(m)->drops.map == 4 &&
		   tl_model_totals(m)->drops.missed == 5, "drops stored");
	}
	tl_model_free(m);

	/* past the geometric growth: capacity 10000, 25000 adds */
	cfg.history = 10000;
	m = tl_model_new(&cfg);
	for (i = 0; i < 25000; i++) {
		r = mk_session(i, (uint32_t)i, "s", "10.0.0.1", 1, "10.0.0.2", 2, TL_REC_PASSIVE);
		tl_model_add(m, &r);
	}
	good = tl_model_history_len(m) == 10000;
	for (i = 0; i < 10000 && good; i++)
		good = tl_model_history_get(m, i)->pid == 24999 - i;
	ok(good, "capacity 10000 after 25000 adds: the newest 10000 in order");
	tl_model_free(m);

	/* defaults */
	m = tl_model_new(NULL);
	is_int(tl_model_history_cap(m), 200000, "default history is 200000");
	tl_model_free(m);
	return tap_done();
}

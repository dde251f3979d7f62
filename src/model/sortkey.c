// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <string.h>

#include "sortkey.h"

uint32_t tl_sortkey_len(enum tl_scol c)
{
	switch (c) {
	case TL_SCOL_PID:
		return 1 + 4;
	case TL_SCOL_COMM:
		return 1 + TL_REC_COMM_LEN;
	case TL_SCOL_DIR:
		return 1;
	case TL_SCOL_LOCAL:
	case TL_SCOL_REMOTE:
		return 1 + 16 + 2;
	case TL_SCOL_RETRANS:
	case TL_SCOL_RTT:
		return 4;
	default:		/* time (sequence), tx, rx, duration */
		return 8;
	}
}

static void put_be(uint8_t *p, uint64_t v, int bytes)
{
	int i;

	for (i = bytes - 1; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

static void put_endpoint(uint8_t *k, uint8_t family, const uint8_t *addr, uint16_t port)
{
	k[0] = family;
	memset(k + 1, 0, 16);
	memcpy(k + 1, addr, family == 4 ? 4 : 16);
	put_be(k + 17, port, 2);
}

void tl_sortkey_make(uint8_t *ent, const struct tl_record *r, uint64_t seq,
		     enum tl_scol c, bool descending)
{
	uint32_t len = tl_sortkey_len(c), stride = tl_sortkey_stride(c), i, first = 0;
	uint32_t seq32 = (uint32_t)seq;
	size_t n;

	memset(ent, 0, stride - 4);
	switch (c) {
	case TL_SCOL_PID:
		/* unknown owners last in either direction: the flag is not inverted */
		ent[0] = !r->owner_known;
		if (r->owner_known)
			put_be(ent + 1, r->pid, 4);
		first = 1;
		break;
	case TL_SCOL_COMM:
		ent[0] = !r->owner_known;
		if (r->owner_known) {
			n = strnlen(r->comm, TL_REC_COMM_LEN);
			memcpy(ent + 1, r->comm, n);
		}
		first = 1;
		break;
	case TL_SCOL_DIR:
		ent[0] = r->dir;
		break;
	case TL_SCOL_LOCAL:
		put_endpoint(ent, r->family, r->laddr, r->lport);
		break;
	case TL_SCOL_REMOTE:
		put_endpoint(ent, r->family, r->raddr, r->rport);
		break;
	case TL_SCOL_TX:
		put_be(ent, r->tx_bytes, 8);
		break;
	case TL_SCOL_RX:
		put_be(ent, r->rx_bytes, 8);
		break;
	case TL_SCOL_DURATION:
		put_be(ent, r->span_ns, 8);
		break;
	case TL_SCOL_RETRANS:
		put_be(ent, r->retrans, 4);
		break;
	case TL_SCOL_RTT:
		put_be(ent, r->srtt_us, 4);
		break;
	default:
		put_be(ent, seq, 8);
		break;
	}
	if (descending)
		for (i = first; i < len; i++)
			ent[i] = (uint8_t)~ent[i];
	memcpy(ent + stride - 4, &seq32, 4);
}

uint8_t *tl_sortkey_sort(uint8_t *a, uint8_t *tmp, size_t n, uint32_t stride, uint32_t keylen)
{
	size_t cnt[TL_SORTKEY_MAX][256];
	size_t i;
	int b;

	if (n < 2)
		return a;
	memset(cnt, 0, keylen * sizeof(cnt[0]));
	/* one read pass gathers the histograms of every byte position */
	for (i = 0; i < n; i++) {
		const uint8_t *e = a + i * stride;

		for (b = 0; b < (int)keylen; b++)
			cnt[b][e[b]]++;
	}
	for (b = (int)keylen - 1; b >= 0; b--) {
		size_t pos[256], sum = 0;
		uint8_t *t;
		int v;

		if (cnt[b][a[b]] == n)
			continue;	/* the same byte everywhere: nothing to do */
		for (v = 0; v < 256; v++) {
			pos[v] = sum;
			sum += cnt[b][v];
		}
		for (i = 0; i < n; i++) {
			const uint8_t *e = a + i * stride;

			memcpy(tmp + pos[e[b]]++ * stride, e, stride);
		}
		t = a;
		a = tmp;
		tmp = t;
	}
	return a;
}

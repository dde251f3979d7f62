// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The floor under any socket-iterator snapshot: an iter/tcp program that
 * only counts the sockets the kernel walks (one byte each), so that
 * tests/bench/run can print what the kernel's walk costs by itself beside
 * tcplens's own walk of the same sockets.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("iter/tcp")
int tl_iter_floor(struct bpf_iter__tcp *ctx)
{
	char one = 1;

	if (ctx->sk_common)
		bpf_seq_write(ctx->meta->seq, &one, sizeof(one));
	return 0;
}

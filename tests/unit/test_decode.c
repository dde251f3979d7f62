// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* tl_decode: raw ring-buffer events to records. */
#include <errno.h>
#include <string.h>

#include "decode.h"
#include "tcplens_event.h"
#include "tests/unit/tap.h"

static struct tl_event sample(void)
{
	struct tl_event e;

	memset(&e, 0, sizeof(e));
	e.ts_ns = 5000000000ull;
	e.span_ns = 1234567;
	e.tx_bytes = 1234;
	e.rx_bytes = 56789;
	e.pid = 4242;
	e.retrans = 3;
	e.srtt_us = 77;
	e.lport = 50000;
	e.rport = 443;
	e.kind = TL_EV_SESSION;
	e.family = 4;
	e.dir = TL_DIR_PASSIVE;
	e.flags = TL_F_OWNER_KNOWN;
	memcpy(e.laddr, "\x7f\x00\x00\x01", 4);
	memcpy(e.raddr, "\x0a\x00\x00\x02", 4);
	memcpy(e.comm, "0123456789abcdef", 16);	/* no NUL: the kernel's bytes are untrusted */
	return e;
}

int main(void)
{
	struct tl_event e = sample();
	struct tl_record r;

	is_int(tl_decode(&e, sizeof(e), 1000, &r), 0, "a session decodes");
	is_int(r.ts_ns, 5000001000ull, "boot time shifted to wall time");
	is_int(r.span_ns, 1234567, "span");
	is_int(r.tx_bytes, 1234, "tx");
	is_int(r.rx_bytes, 56789, "rx");
	is_int(r.pid, 4242, "pid");
	is_int(r.owner_known, 1, "owner known");
	is_int(r.retrans, 3, "retrans");
	is_int(r.srtt_us, 77, "srtt");
	is_int(r.lport, 50000, "lport");
	is_int(r.rport, 443, "rport");
	is_int(r.kind, TL_REC_SESSION, "kind");
	is_int(r.dir, TL_REC_PASSIVE, "dir");
	ok(memcmp(r.laddr, "\x7f\x00\x00\x01", 4) == 0 && memcmp(r.raddr, "\x0a\x00\x00\x02", 4) == 0,
	   "addresses kept in network order");
	is_str(r.comm, "0123456789abcde", "comm is NUL-terminated even when the kernel's is not");

	e.flags = 0;
	is_int(tl_decode(&e, sizeof(e), 0, &r), 0, "an unknown owner decodes");
	ok(r.owner_known == 0 && r.pid == 0 && r.comm[0] == '\0', "unknown owner carries no pid or comm");

	e = sample();
	e.kind = TL_EV_CONNECT;
	e.result = TL_RES_TIMEOUT;
	e.err = 110;
	is_int(tl_decode(&e, sizeof(e), 0, &r), 0, "a connect decodes");
	ok(r.kind == TL_REC_CONNECT && r.result == TL_REC_TIMEOUT && r.err == 110, "connect result and errno");

	e = sample();
	is_int(tl_decode(&e, sizeof(e) - 1, 0, &r), -EINVAL, "a short event is rejected");
	e.kind = 9;
	is_int(tl_decode(&e, sizeof(e), 0, &r), -EINVAL, "an unknown kind is rejected");
	e = sample();
	e.family = 5;
	is_int(tl_decode(&e, sizeof(e), 0, &r), -EINVAL, "an unknown family is rejected");
	e = sample();
	e.dir = 0;
	is_int(tl_decode(&e, sizeof(e), 0, &r), -EINVAL, "an unknown direction is rejected");
	e = sample();
	e.result = 5;
	is_int(tl_decode(&e, sizeof(e), 0, &r), -EINVAL, "an unknown result is rejected");
	e = sample();
	e.kind = TL_EV_CONNECT;
	e.result = TL_RES_ABORTED;
	ok(tl_decode(&e, sizeof(e), 0, &r) == 0 && r.result == TL_REC_ABORTED, "aborted connects decode");
	e = sample();
	e.dir = 0;
	e.flags |= TL_F_ADOPTED | TL_F_SYN_IN_TX | TL_F_RESET;
	e.cgroup_id = 99;
	e.cookie = 12345;
	ok(tl_decode(&e, sizeof(e), 0, &r) == 0 && r.dir == 0 && r.adopted && r.syn_in_tx && r.reset &&
	   r.cookie == 12345, "an adopted session may have no direction yet; flags and cookie decode");
	e = sample();
	e.ts_ns = (uint64_t)INT64_MAX - 5;
	is_int(tl_decode(&e, sizeof(e), 10, &r), -EINVAL, "a timestamp that would overflow the wall clock is rejected");
	e = sample();
	e.ts_ns = 1ull << 63;
	is_int(tl_decode(&e, sizeof(e), 0, &r), -EINVAL, "a timestamp past 2^63 is rejected");
	return tap_done();
}

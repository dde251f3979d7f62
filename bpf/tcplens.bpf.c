// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * tcplens probes: TCP sessions and outgoing connects from stable
 * tracepoints only. Every program exists twice, as tp_btf (typed, needs no
 * tracefs) and as a classic tracepoint (the fallback); user space keeps one
 * set with bpf_program__set_autoload(). Both sets share the handlers below.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>
#include "tcplens_event.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define AF_INET 2
#define AF_INET6 10
#define IPPROTO_TCP 6
#define PF_KTHREAD 0x00200000
#define ECONNREFUSED 111
#define ETIMEDOUT 110

/* Filters known at start; set by user space before load. */
const volatile __u32 filter_pid = 0;
const volatile __u8 filter_family = 0;		/* 0, 4 or 6 */
const volatile __u8 filter_lports_on = 0;
const volatile __u8 filter_rports_on = 0;
const volatile __u64 lport_bits[1024] = {};
const volatile __u64 rport_bits[1024] = {};
/* 0: wake the reader on every event; else only once this much is queued. */
const volatile __u32 wakeup_bytes = 0;

/* What we keep per socket between its transitions. */
struct sock_state {
	__u64 start_ns;		/* handshake start */
	__u64 base_acked;	/* bytes_acked at ESTABLISHED (SYN, TFO data) */
	__u64 base_received;	/* bytes_received at ESTABLISHED */
	__u32 pid;
	__u8 dir;
	__u8 owner_known;
	__u8 established;
	__u8 fin_sent;
	__u8 rst_rcvd;
	__u8 pad[7];
	char comm[TL_COMM_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, struct sock_state);
} socks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TL_CNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

/* The state changes tl_state_btf handled last on this CPU; see tl_state_btf_nested. */
#define DONE_SLOTS 8
struct done_ring {
	__u64 sk[DONE_SLOTS];
	__u32 trans[DONE_SLOTS];
	__u32 head;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct done_ring);
} state_done SEC(".maps");

static __always_inline void count(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &idx);

	/* atomic: a softirq may count on this CPU in the middle of an add */
	if (v)
		__sync_fetch_and_add(v, 1);
}

static __always_inline bool port_in(const volatile __u64 *bits, __u16 port)
{
	return (bits[port >> 6] >> (port & 63)) & 1;
}

/* Addresses and ports of a socket; IPv4-mapped IPv6 becomes IPv4. */
struct endpoints {
	__u8 laddr[16];
	__u8 raddr[16];
	__u16 lport;
	__u16 rport;
	__u8 family;
};

static __always_inline bool v4_mapped(const __u8 *a)
{
	const __u32 *w = (const __u32 *)a;

	return w[0] == 0 && w[1] == 0 && w[2] == bpf_htonl(0x0000ffff);
}

static __always_inline int read_endpoints(const struct sock *sk, struct endpoints *ep)
{
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);

	/*
	 * inet_sport, not skc_num: at ->CLOSE the bind bucket is already
	 * released and skc_num is 0.
	 */
	ep->lport = bpf_ntohs(BPF_CORE_READ((const struct inet_sock *)sk, inet_sport));
	ep->rport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (family == AF_INET) {
		ep->family = 4;
		bpf_core_read(ep->laddr, 4, &sk->__sk_common.skc_rcv_saddr);
		bpf_core_read(ep->raddr, 4, &sk->__sk_common.skc_daddr);
		return 0;
	}
	if (family != AF_INET6)
		return -1;
	bpf_core_read(ep->laddr, 16, &sk->__sk_common.skc_v6_rcv_saddr);
	bpf_core_read(ep->raddr, 16, &sk->__sk_common.skc_v6_daddr);
	/*
	 * A dual-stack socket talking IPv4 has mapped addresses on both
	 * sides, except an unset local address (::) before the route is
	 * chosen; decide on the remote side.
	 */
	if (v4_mapped(ep->raddr)) {
		ep->family = 4;
		__builtin_memmove(ep->laddr, ep->laddr + 12, 4);
		__builtin_memset(ep->laddr + 4, 0, 12);
		__builtin_memmove(ep->raddr, ep->raddr + 12, 4);
		__builtin_memset(ep->raddr + 4, 0, 12);
	} else {
		ep->family = 6;
	}
	return 0;
}

/* The calling task owns the socket only in process context of a user task. */
static __always_inline bool take_owner(struct sock_state *st)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();

	if (BPF_CORE_READ(task, flags) & PF_KTHREAD)
		return false;
	st->pid = bpf_get_current_pid_tgid() >> 32;
	bpf_get_current_comm(st->comm, sizeof(st->comm));
	st->owner_known = 1;
	return true;
}

static __always_inline __u64 wake_flags(void)
{
	if (!wakeup_bytes)
		return 0;
	if (bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wakeup_bytes)
		return BPF_RB_FORCE_WAKEUP;
	return BPF_RB_NO_WAKEUP;
}

static __always_inline struct tl_event *event_start(struct sock_state *st,
						     const struct endpoints *ep,
						     __u8 kind, __u64 now)
{
	struct tl_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e) {
		count(kind == TL_EV_SESSION ? TL_CNT_RB_SESSION : TL_CNT_RB_CONNECT);
		return NULL;
	}
	e->ts_ns = now;
	e->span_ns = now - st->start_ns;
	e->tx_bytes = 0;
	e->rx_bytes = 0;
	e->pid = st->owner_known ? st->pid : 0;
	e->retrans = 0;
	e->srtt_us = 0;
	e->err = 0;
	e->lport = ep->lport;
	e->rport = ep->rport;
	e->kind = kind;
	e->family = ep->family;
	e->dir = st->dir;
	e->result = TL_RES_OK;
	e->flags = st->owner_known ? TL_F_OWNER_KNOWN : 0;
	__builtin_memset(e->pad, 0, sizeof(e->pad));
	__builtin_memcpy(e->laddr, ep->laddr, sizeof(e->laddr));
	__builtin_memcpy(e->raddr, ep->raddr, sizeof(e->raddr));
	if (st->owner_known)
		__builtin_memcpy(e->comm, st->comm, sizeof(e->comm));
	else
		__builtin_memset(e->comm, 0, sizeof(e->comm));
	return e;
}

/* Filters that need an owner or a local port can only run at emit time. */
static __always_inline bool emit_allowed(const struct sock_state *st,
					 const struct endpoints *ep)
{
	if (filter_pid && (!st->owner_known || st->pid != filter_pid))
		return false;
	if (filter_lports_on && !port_in(lport_bits, ep->lport))
		return false;
	return true;
}

static __always_inline bool start_allowed(const struct endpoints *ep)
{
	if (filter_family && ep->family != filter_family)
		return false;
	if (filter_rports_on && !port_in(rport_bits, ep->rport))
		return false;
	return true;
}

static __always_inline void on_connect(const struct sock *sk, __u64 key, __u64 now)
{
	struct sock_state st = {};
	struct endpoints ep = {};

	/*
	 * A socket we do not track must not inherit the entry of an earlier
	 * socket at the same address whose cleanup was missed.
	 */
	if ((filter_pid && (bpf_get_current_pid_tgid() >> 32) != filter_pid) ||
	    read_endpoints(sk, &ep) || !start_allowed(&ep)) {
		bpf_map_delete_elem(&socks, &key);
		return;
	}
	st.start_ns = now;
	st.dir = TL_DIR_ACTIVE;
	take_owner(&st);
	if (bpf_map_update_elem(&socks, &key, &st, BPF_ANY))
		count(TL_CNT_MAP_FULL);
}

static __always_inline void on_passive(const struct sock *sk, __u64 key, __u64 now)
{
	struct sock_state st = {};
	struct endpoints ep = {};

	if (read_endpoints(sk, &ep) || !start_allowed(&ep) ||
	    (filter_lports_on && !port_in(lport_bits, ep.lport))) {
		bpf_map_delete_elem(&socks, &key);
		return;
	}
	/* softirq context: the owner is learnt later, in process context */
	st.start_ns = now;
	st.dir = TL_DIR_PASSIVE;
	if (bpf_map_update_elem(&socks, &key, &st, BPF_ANY))
		count(TL_CNT_MAP_FULL);
}

static __always_inline void emit_connect(const struct sock *sk, struct sock_state *st,
					 __u8 result, __s32 err, __u64 now)
{
	const struct tcp_sock *tp = (const struct tcp_sock *)sk;
	struct endpoints ep = {};
	struct tl_event *e;

	if (read_endpoints(sk, &ep) || !emit_allowed(st, &ep))
		return;
	e = event_start(st, &ep, TL_EV_CONNECT, now);
	if (!e)
		return;
	e->result = result;
	e->err = err;
	/* in SYN_SENT every retransmission is a SYN's */
	e->retrans = BPF_CORE_READ(tp, total_retrans);
	bpf_ringbuf_submit(e, wake_flags());
}

static __always_inline void on_established(const struct sock *sk, __u64 key, int old,
					   __u64 now)
{
	const struct tcp_sock *tp = (const struct tcp_sock *)sk;
	struct sock_state *st = bpf_map_lookup_elem(&socks, &key);

	if (!st)
		return;
	/* an entry left by an earlier socket at this address: not ours */
	if ((st->dir == TL_DIR_ACTIVE) != (old == TCP_SYN_SENT)) {
		bpf_map_delete_elem(&socks, &key);
		return;
	}
	st->established = 1;
	st->base_acked = BPF_CORE_READ(tp, bytes_acked);
	st->base_received = BPF_CORE_READ(tp, bytes_received);
	if (old == TCP_SYN_SENT)
		emit_connect(sk, st, TL_RES_OK, 0, now);
}

static __always_inline void emit_session(const struct sock *sk, struct sock_state *st,
					 __u64 now)
{
	const struct tcp_sock *tp = (const struct tcp_sock *)sk;
	struct endpoints ep = {};
	struct tl_event *e;
	__u64 acked, received;
	unsigned long sk_flags;

	if (read_endpoints(sk, &ep) || !emit_allowed(st, &ep))
		return;
	e = event_start(st, &ep, TL_EV_SESSION, now);
	if (!e)
		return;
	/*
	 * bytes_acked and bytes_received count sequence space: take off
	 * what was there at ESTABLISHED (the SYN) and a FIN each way.
	 */
	acked = BPF_CORE_READ(tp, bytes_acked) - st->base_acked;
	if (st->fin_sent && acked &&
	    BPF_CORE_READ(tp, snd_una) == BPF_CORE_READ(tp, write_seq))
		acked--;
	received = BPF_CORE_READ(tp, bytes_received) - st->base_received;
	sk_flags = BPF_CORE_READ(sk, __sk_common.skc_flags);
	if (received && (sk_flags & (1UL << bpf_core_enum_value(enum sock_flags, SOCK_DONE))))
		received--;
	e->tx_bytes = acked;
	e->rx_bytes = received;
	e->retrans = BPF_CORE_READ(tp, total_retrans);
	e->srtt_us = BPF_CORE_READ(tp, srtt_us) >> 3;
	bpf_ringbuf_submit(e, wake_flags());
}

static __always_inline void on_close(const struct sock *sk, __u64 key, int old, __u64 now)
{
	struct sock_state *st = bpf_map_lookup_elem(&socks, &key);
	__s32 err;
	__u8 result;

	if (!st)
		return;
	if (old == TCP_SYN_SENT) {
		err = BPF_CORE_READ(sk, sk_err);
		if (st->rst_rcvd || err == ECONNREFUSED) {
			result = TL_RES_REFUSED;
			err = ECONNREFUSED;
		} else if (err == ETIMEDOUT) {
			result = TL_RES_TIMEOUT;
		} else {
			result = TL_RES_ERROR;
		}
		emit_connect(sk, st, result, err, now);
	} else if (st->established) {
		emit_session(sk, st, now);
	}
	bpf_map_delete_elem(&socks, &key);
}

static __always_inline int handle_state(const struct sock *sk, int protocol, int old, int new)
{
	__u64 key = (__u64)sk;
	__u64 now;
	struct sock_state *st;

	if (protocol != IPPROTO_TCP)
		return 0;
	/* FIN_WAIT2, CLOSE_WAIT, CLOSING, TIME_WAIT carry nothing we use */
	if (new != TCP_SYN_SENT && new != TCP_SYN_RECV && new != TCP_ESTABLISHED &&
	    new != TCP_FIN_WAIT1 && new != TCP_LAST_ACK && new != TCP_CLOSE)
		return 0;
	now = bpf_ktime_get_boot_ns();
	switch (new) {
	case TCP_SYN_SENT:
		if (old == TCP_CLOSE)
			on_connect(sk, key, now);
		break;
	case TCP_SYN_RECV:
		if (old == TCP_LISTEN)
			on_passive(sk, key, now);
		break;
	case TCP_ESTABLISHED:
		on_established(sk, key, old, now);
		break;
	case TCP_FIN_WAIT1:
	case TCP_LAST_ACK:
		/* tcp_close()/shutdown(): the owning process is running */
		st = bpf_map_lookup_elem(&socks, &key);
		if (!st)
			break;
		st->fin_sent = 1;
		if (!st->owner_known)
			take_owner(st);
		break;
	case TCP_CLOSE:
		on_close(sk, key, old, now);
		break;
	}
	return 0;
}

/* Runs for every send and receive on the machine: keep it to one lookup. */
static __always_inline int handle_io(const struct sock *sk, int protocol)
{
	__u64 key = (__u64)sk;
	struct sock_state *st;

	if (protocol != IPPROTO_TCP)
		return 0;
	st = bpf_map_lookup_elem(&socks, &key);
	if (st && !st->owner_known)
		take_owner(st);
	return 0;
}

static __always_inline int handle_reset(const struct sock *sk)
{
	__u64 key = (__u64)sk;
	struct sock_state *st = bpf_map_lookup_elem(&socks, &key);

	if (st)
		st->rst_rcvd = 1;
	return 0;
}

static __always_inline int handle_destroy(const struct sock *sk)
{
	__u64 key = (__u64)sk;

	bpf_map_delete_elem(&socks, &key);
	return 0;
}

/* ---- tp_btf: typed arguments, no tracefs ---- */

static __always_inline __u32 transition(int oldstate, int newstate)
{
	return ((__u32)oldstate << 8) | (__u32)newstate;
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(tl_state_btf, const struct sock *sk, const int oldstate, const int newstate)
{
	__u32 zero = 0, slot;
	struct done_ring *done;

	/* typed tp_btf arguments: a direct load, no probe-read helper */
	handle_state(sk, sk->sk_protocol, oldstate, newstate);
	done = bpf_map_lookup_elem(&state_done, &zero);
	if (done) {
		slot = done->head++ % DONE_SLOTS;
		done->sk[slot] = (__u64)sk;
		done->trans[slot] = transition(oldstate, newstate);
	}
	return 0;
}

/*
 * The kernel does not run a program inside itself on one CPU: a state
 * change made by a softirq that interrupts tl_state_btf (or the kernel's
 * own bookkeeping around it) is skipped, and only counted in the program's
 * recursion_misses. This second program on the same tracepoint runs after
 * it for every change and handles those it did not record as done. User
 * space counts the misses that neither program covered.
 */
SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(tl_state_btf_nested, const struct sock *sk, const int oldstate, const int newstate)
{
	__u32 zero = 0, trans = transition(oldstate, newstate);
	struct done_ring *done = bpf_map_lookup_elem(&state_done, &zero);

	if (!done)
		return 0;
	for (int i = 0; i < DONE_SLOTS; i++) {
		if (done->sk[i] == (__u64)sk && done->trans[i] == trans) {
			done->sk[i] = 0;
			return 0;
		}
	}
	count(TL_CNT_NESTED);
	return handle_state(sk, sk->sk_protocol, oldstate, newstate);
}

SEC("tp_btf/tcp_receive_reset")
int BPF_PROG(tl_reset_btf, struct sock *sk)
{
	return handle_reset(sk);
}

SEC("tp_btf/tcp_destroy_sock")
int BPF_PROG(tl_destroy_btf, struct sock *sk)
{
	return handle_destroy(sk);
}

SEC("tp_btf/sock_send_length")
int BPF_PROG(tl_send_btf, struct sock *sk, int ret, int flags)
{
	return handle_io(sk, sk->sk_protocol);
}

SEC("tp_btf/sock_recv_length")
int BPF_PROG(tl_recv_btf, struct sock *sk, int ret, int flags)
{
	return handle_io(sk, sk->sk_protocol);
}

/* ---- classic tracepoints: the fallback ---- */

SEC("tracepoint/sock/inet_sock_set_state")
int tl_state_tp(struct trace_event_raw_inet_sock_set_state *ctx)
{
	return handle_state(ctx->skaddr, ctx->protocol, ctx->oldstate, ctx->newstate);
}

SEC("tracepoint/tcp/tcp_receive_reset")
int tl_reset_tp(struct trace_event_raw_tcp_event_sk *ctx)
{
	return handle_reset(ctx->skaddr);
}

SEC("tracepoint/tcp/tcp_destroy_sock")
int tl_destroy_tp(struct trace_event_raw_tcp_event_sk *ctx)
{
	return handle_destroy(ctx->skaddr);
}

SEC("tracepoint/sock/sock_send_length")
int tl_send_tp(struct trace_event_raw_sock_msg_length *ctx)
{
	return handle_io(ctx->sk, ctx->protocol);
}

SEC("tracepoint/sock/sock_recv_length")
int tl_recv_tp(struct trace_event_raw_sock_msg_length *ctx)
{
	return handle_io(ctx->sk, ctx->protocol);
}

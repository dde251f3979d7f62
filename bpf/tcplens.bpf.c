// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * tcplens probes: TCP sessions and outgoing connects from stable
 * tracepoints only, and open sockets on demand from a TCP iterator.
 *
 * Two program sets share the handlers below, chosen at run time with
 * bpf_program__set_autoload():
 *  - tp_btf: typed arguments read directly, per-socket state in socket
 *    storage (it lives and dies with the socket: no cap, no cleanup);
 *  - classic tracepoints: probe reads, per-socket state in a hash map keyed
 *    by the socket's address, cleaned up at tcp_destroy_sock.
 * The handlers take `btf` as a compile-time constant, so each program keeps
 * only its own path.
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
const volatile __u8 filter_cgroup_on = 0;	/* cgroup_filter[0] holds the cgroup */
const volatile __u64 lport_bits[1024] = {};
const volatile __u64 rport_bits[1024] = {};
/*
 * Take the owner at the application's close (FIN_WAIT1, LAST_ACK): only
 * where the accept() hooks are missing, since it costs a lookup per side.
 */
const volatile __u8 owner_at_close = 1;
/* 0: wake the reader on every event; else only once this much is queued. */
const volatile __u32 wakeup_bytes = 0;

/* What we keep per socket between its transitions. */
struct sock_state {
	__u64 start_ns;		/* handshake start, or adoption */
	__u64 cgroup_id;
	__u32 pid;
	__u8 dir;		/* enum tl_dir */
	__u8 owner_known;
	__u8 established;
	__u8 rst;		/* a RST was received or sent */
	__u8 adopted;
	__u8 in_cgroup;		/* with filter_cgroup_on: the owner is in it */
	__u8 live;		/* 0 once the socket's last event went out */
	__u8 in_storage;	/* in socket storage, not in the hash map */
	char comm[TL_COMM_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct sock_state);
} sk_state SEC(".maps");

/* The fallback: classic tracepoints cannot use socket storage. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, struct sock_state);
} socks SEC(".maps");

/*
 * Owners taken at the exit of accept(), in the acceptor's context, for
 * the sockets whose later transitions all run in softirq context. Keyed
 * by the socket's address; `ts` tells an entry of an earlier socket at the
 * same address from one of this socket. LRU: nothing to clean up.
 */
struct accept_owner {
	__u64 ts;
	__u64 cgroup_id;
	__u32 pid;
	__u8 in_cgroup;
	__u8 pad[3];
	char comm[TL_COMM_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	/* per-CPU LRU lists: an accept on one CPU does not wait for the other's */
	__uint(map_flags, BPF_F_NO_COMMON_LRU);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, struct accept_owner);
} accepted SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_CGROUP_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} cgroup_filter SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TL_CNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

/*
 * The state changes tl_state_btf handled last on this CPU; see
 * tl_state_btf_nested. A ring, not one slot: a softirq between the two
 * programs' runs for one change records its own change in between.
 */
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

/* ---- per-socket state: socket storage (tp_btf) or hash map (fallback) ---- */

/*
 * Set once socket storage holds a state: until then a lookup that misses
 * the hash map need not try it.
 */
__u32 storage_used = 0;

static __always_inline struct sock_state *state_get(const struct sock *sk, bool btf)
{
	__u64 key = (__u64)sk;
	struct sock_state *st = bpf_map_lookup_elem(&socks, &key);

	if (st || !btf || !storage_used)
		return st;
	return bpf_sk_storage_get(&sk_state, (struct sock *)sk, 0, 0);
}

/*
 * A fresh state for sk (a socket may connect() again after a failure).
 * The preallocated hash map first: an insert there costs a fraction of a
 * socket-storage allocation (memory-accounted kmalloc, twice per socket).
 * Once it is full, tp_btf goes on in socket storage, which has no cap.
 */
static __always_inline struct sock_state *state_new(const struct sock *sk, bool btf,
						     const struct sock_state *init)
{
	__u64 key = (__u64)sk;
	struct sock_state *st;

	if (bpf_map_update_elem(&socks, &key, init, BPF_ANY) == 0)
		return bpf_map_lookup_elem(&socks, &key);
	if (!btf)
		return NULL;
	storage_used = 1;
	st = bpf_sk_storage_get(&sk_state, (struct sock *)sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (st) {
		*st = *init;
		st->in_storage = 1;
	}
	return st;
}

/* Done with sk: a map place is given back; socket storage goes with the socket. */
static __always_inline void state_del(const struct sock *sk, struct sock_state *st)
{
	__u64 key = (__u64)sk;

	if (st->in_storage)
		st->live = 0;
	else
		bpf_map_delete_elem(&socks, &key);
}

/* ---- socket fields: direct typed loads on tp_btf, probe reads otherwise ---- */

#define SK_READ(btf, ptr, field) ((btf) ? (ptr)->field : BPF_CORE_READ(ptr, field))

/*
 * The tcp_sock of a socket. On tp_btf the helper gives a typed pointer
 * (a plain cast would not: the verifier knows the argument as a struct
 * sock); classic tracepoints only have an address to probe-read from.
 */
static __always_inline const struct tcp_sock *tcp_of(const struct sock *sk, bool btf)
{
	if (btf)
		return bpf_skc_to_tcp_sock((struct sock *)sk);
	return (const struct tcp_sock *)sk;
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

static __always_inline int read_endpoints(const struct sock *sk, const struct tcp_sock *tp,
					  struct endpoints *ep, bool btf)
{
	__u16 family = SK_READ(btf, sk, __sk_common.skc_family);

	/*
	 * inet_sport, not skc_num: at ->CLOSE the bind bucket is already
	 * released and skc_num is 0.
	 */
	ep->lport = bpf_ntohs(SK_READ(btf, tp, inet_conn.icsk_inet.inet_sport));
	ep->rport = bpf_ntohs(SK_READ(btf, sk, __sk_common.skc_dport));
	if (family == AF_INET) {
		__u32 l = SK_READ(btf, sk, __sk_common.skc_rcv_saddr);
		__u32 r = SK_READ(btf, sk, __sk_common.skc_daddr);

		ep->family = 4;
		__builtin_memcpy(ep->laddr, &l, 4);
		__builtin_memcpy(ep->raddr, &r, 4);
		return 0;
	}
	if (family != AF_INET6)
		return -1;
	if (btf) {
		__builtin_memcpy(ep->laddr, &sk->__sk_common.skc_v6_rcv_saddr, 16);
		__builtin_memcpy(ep->raddr, &sk->__sk_common.skc_v6_daddr, 16);
	} else {
		bpf_core_read(ep->laddr, 16, &sk->__sk_common.skc_v6_rcv_saddr);
		bpf_core_read(ep->raddr, 16, &sk->__sk_common.skc_v6_daddr);
	}
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

/* ---- owners ---- */

static __always_inline bool current_is_user_task(bool btf)
{
	struct task_struct *task;

	/* the typed task is a direct load; classic tracepoints probe-read it */
	if (btf)
		return !(bpf_get_current_task_btf()->flags & PF_KTHREAD);
	task = (struct task_struct *)bpf_get_current_task();
	return !(BPF_CORE_READ(task, flags) & PF_KTHREAD);
}

static __always_inline bool current_in_cgroup(void)
{
	return bpf_current_task_under_cgroup(&cgroup_filter, 0) == 1;
}

/* The calling task owns the socket only in process context of a user task. */
static __always_inline bool take_owner(struct sock_state *st, bool btf)
{
	if (!current_is_user_task(btf))
		return false;
	st->pid = bpf_get_current_pid_tgid() >> 32;
	st->cgroup_id = bpf_get_current_cgroup_id();
	bpf_get_current_comm(st->comm, sizeof(st->comm));
	if (filter_cgroup_on)
		st->in_cgroup = current_in_cgroup();
	st->owner_known = 1;
	return true;
}

/* A passive socket's owner from the exit of accept(), if that was this socket. */
static __always_inline void owner_from_accept(const struct sock *sk, struct sock_state *st)
{
	__u64 key = (__u64)sk;
	struct accept_owner *a;

	if (st->owner_known || st->dir != TL_DIR_PASSIVE)
		return;
	a = bpf_map_lookup_elem(&accepted, &key);
	if (!a || a->ts < st->start_ns)
		return;
	st->pid = a->pid;
	st->cgroup_id = a->cgroup_id;
	st->in_cgroup = a->in_cgroup;
	__builtin_memcpy(st->comm, a->comm, sizeof(st->comm));
	st->owner_known = 1;
}

/* ---- filters ---- */

/* Filters on the owner: known at connect() (active) or later (passive). */
static __always_inline bool owner_allowed(const struct sock_state *st)
{
	if (!filter_pid && !filter_cgroup_on)
		return true;
	/* an adopted socket's owner is found in user space, which filters it */
	if (!st->owner_known)
		return st->adopted;
	if (filter_pid && st->pid != filter_pid)
		return false;
	if (filter_cgroup_on && !st->in_cgroup)
		return false;
	return true;
}

/* Filters on addresses, decided once they are final. */
static __always_inline bool endpoints_allowed(const struct endpoints *ep, bool lport_final)
{
	if (filter_family && ep->family != filter_family)
		return false;
	if (filter_rports_on && !port_in(rport_bits, ep->rport))
		return false;
	if (lport_final && filter_lports_on && !port_in(lport_bits, ep->lport))
		return false;
	return true;
}

/* ---- events ---- */

static __always_inline __u64 wake_flags(void)
{
	if (!wakeup_bytes)
		return 0;
	if (bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wakeup_bytes)
		return BPF_RB_FORCE_WAKEUP;
	return BPF_RB_NO_WAKEUP;
}

static __always_inline struct tl_event *event_start(const struct sock *sk, struct sock_state *st,
						     const struct endpoints *ep, __u8 kind,
						     __u64 now, bool btf)
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
	e->cgroup_id = st->owner_known ? st->cgroup_id : 0;
	e->cookie = btf ? bpf_get_socket_cookie((struct sock *)sk) : 0;
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
	e->flags = (st->owner_known ? TL_F_OWNER_KNOWN : 0) | (st->adopted ? TL_F_ADOPTED : 0);
	__builtin_memset(e->pad, 0, sizeof(e->pad));
	__builtin_memset(e->pad2, 0, sizeof(e->pad2));
	__builtin_memcpy(e->laddr, ep->laddr, sizeof(e->laddr));
	__builtin_memcpy(e->raddr, ep->raddr, sizeof(e->raddr));
	if (st->owner_known)
		__builtin_memcpy(e->comm, st->comm, sizeof(e->comm));
	else
		__builtin_memset(e->comm, 0, sizeof(e->comm));
	return e;
}

static __always_inline void emit_connect(const struct sock *sk, struct sock_state *st,
					 __u8 result, __s32 err, __u64 now, bool btf)
{
	const struct tcp_sock *tp = tcp_of(sk, btf);
	struct endpoints ep = {};
	struct tl_event *e;

	if (!tp || read_endpoints(sk, tp, &ep, btf) || !owner_allowed(st) ||
	    !endpoints_allowed(&ep, true))
		return;
	e = event_start(sk, st, &ep, TL_EV_CONNECT, now, btf);
	if (!e)
		return;
	e->result = result;
	e->err = err;
	/* in SYN_SENT every retransmission is a SYN's */
	e->retrans = SK_READ(btf, tp, total_retrans);
	bpf_ringbuf_submit(e, wake_flags());
}

/* States in which our FIN has been sent (a full socket closes from these after it). */
static __always_inline bool fin_sent_in(int state)
{
	return state == TCP_FIN_WAIT1 || state == TCP_FIN_WAIT2 || state == TCP_CLOSING ||
	       state == TCP_LAST_ACK || state == TCP_TIME_WAIT;
}

/*
 * Payload bytes so far. bytes_acked and bytes_received count sequence
 * space from the ISNs: an active socket's bytes_acked counts its SYN (its
 * snd_una starts at the ISN), a passive child's does not (it starts past
 * it); neither bytes_received counts the peer's SYN, and TCP Fast Open data
 * in either SYN is payload. A FIN counts once acked (ours) or received.
 */
struct payload {
	__u64 tx, rx;
	bool syn_in_tx;
};

static __always_inline void read_payload(const struct sock *sk, const struct tcp_sock *tp,
					 const struct sock_state *st, bool fin_sent,
					 struct payload *p, bool btf)
{
	__u64 acked = SK_READ(btf, tp, bytes_acked);
	__u64 received = SK_READ(btf, tp, bytes_received);
	unsigned long sk_flags = SK_READ(btf, sk, __sk_common.skc_flags);
	__u8 dir = st ? st->dir : TL_DIR_UNKNOWN;

	p->syn_in_tx = false;
	if (dir == TL_DIR_ACTIVE && acked)
		acked--;
	else if (dir == TL_DIR_UNKNOWN)
		p->syn_in_tx = true;
	if (fin_sent && acked && SK_READ(btf, tp, snd_una) == SK_READ(btf, tp, write_seq))
		acked--;
	if (received && (sk_flags & (1UL << bpf_core_enum_value(enum sock_flags, SOCK_DONE))))
		received--;
	p->tx = acked;
	p->rx = received;
}

/*
 * Whether the session ended with a RST. Received ones are flagged by
 * tcp_receive_reset before the CLOSE; an abortive close (SO_LINGER 0,
 * unread data, tcp_abort) sends its RST only after the CLOSE, but is the
 * only way from these states straight to CLOSE apart from a timeout.
 */
static __always_inline bool ended_by_reset(const struct sock *sk, const struct sock_state *st,
					   int old, bool btf)
{
	int err;

	if (st->rst)
		return true;
	if (old != TCP_ESTABLISHED && old != TCP_CLOSE_WAIT && old != TCP_FIN_WAIT1)
		return false;
	err = SK_READ(btf, sk, sk_err);
	return err != ETIMEDOUT;
}

static __always_inline void emit_session(const struct sock *sk, struct sock_state *st, int old,
					 __u64 now, bool btf)
{
	const struct tcp_sock *tp = tcp_of(sk, btf);
	struct endpoints ep = {};
	struct payload p;
	struct tl_event *e;

	if (!tp || read_endpoints(sk, tp, &ep, btf) || !owner_allowed(st) ||
	    !endpoints_allowed(&ep, true))
		return;
	e = event_start(sk, st, &ep, TL_EV_SESSION, now, btf);
	if (!e)
		return;
	/* the state it closed from tells whether our FIN went out */
	read_payload(sk, tp, st, fin_sent_in(old), &p, btf);
	e->tx_bytes = p.tx;
	e->rx_bytes = p.rx;
	if (p.syn_in_tx)
		e->flags |= TL_F_SYN_IN_TX;
	if (ended_by_reset(sk, st, old, btf))
		e->flags |= TL_F_RESET;
	e->retrans = SK_READ(btf, tp, total_retrans);
	e->srtt_us = SK_READ(btf, tp, srtt_us) >> 3;
	bpf_ringbuf_submit(e, wake_flags());
}

/* ---- the state machine ---- */

static __always_inline void on_connect(const struct sock *sk, __u64 now, bool btf)
{
	const struct tcp_sock *tp = tcp_of(sk, btf);
	struct sock_state init = {}, *st;
	struct endpoints ep = {};

	if (!tp)
		return;
	/* connect() runs in the caller's context: owner filters decide now */
	if (filter_pid && (bpf_get_current_pid_tgid() >> 32) != filter_pid)
		goto untracked;
	if (filter_cgroup_on && !current_in_cgroup())
		goto untracked;
	/* the remote end is set before SYN_SENT; the local port not yet */
	if ((filter_family || filter_rports_on) &&
	    (read_endpoints(sk, tp, &ep, btf) || !endpoints_allowed(&ep, false)))
		goto untracked;
	init.start_ns = now;
	init.dir = TL_DIR_ACTIVE;
	init.live = 1;
	take_owner(&init, btf);
	if (!state_new(sk, btf, &init))
		count(filter_lports_on ? TL_CNT_STORE_ACTIVE_MAYBE : TL_CNT_STORE_ACTIVE);
	return;
untracked:
	/* a socket that connects again must not keep an earlier attempt's state */
	st = state_get(sk, btf);
	if (st)
		state_del(sk, st);
}

static __always_inline void on_passive(const struct sock *sk, __u64 now, bool btf)
{
	struct sock_state init = {};

	/*
	 * The child of a listener, in softirq context. Its remote address
	 * and port are set only after this transition: filters wait for
	 * ESTABLISHED, and the owner for accept() or the application's I/O.
	 */
	init.start_ns = now;
	init.dir = TL_DIR_PASSIVE;
	init.live = 1;
	if (!state_new(sk, btf, &init))
		count(filter_pid || filter_cgroup_on || filter_family || filter_lports_on ||
		      filter_rports_on ? TL_CNT_STORE_MAYBE : TL_CNT_STORE_PASSIVE);
}

static __always_inline void on_established(const struct sock *sk, int old, bool btf)
{
	struct sock_state *st = state_get(sk, btf);
	const struct tcp_sock *tp;
	struct endpoints ep = {};

	if (!st || st->established || !st->live)
		return;
	if (st->dir == TL_DIR_PASSIVE) {
		tp = tcp_of(sk, btf);
		if (!tp || read_endpoints(sk, tp, &ep, btf) || !endpoints_allowed(&ep, true)) {
			state_del(sk, st);
			return;
		}
	} else if (!st->adopted) {
		/* from SYN_SENT, or SYN_RECV after a simultaneous open or a self-connect */
		emit_connect(sk, st, TL_RES_OK, 0, bpf_ktime_get_boot_ns(), btf);
	}
	st->established = 1;
}

static __always_inline void on_close(const struct sock *sk, int old, __u64 now, bool btf)
{
	struct sock_state *st = state_get(sk, btf);
	__s32 err;
	__u8 result;

	/* a listener has no session; an entry here is an earlier socket's whose CLOSE was missed */
	if (!st || !st->live || old == TCP_LISTEN)
		return;
	if (st->established) {
		owner_from_accept(sk, st);
		emit_session(sk, st, old, now, btf);
	} else if (st->dir == TL_DIR_ACTIVE && !st->adopted) {
		err = SK_READ(btf, sk, sk_err);
		if (st->rst || err == ECONNREFUSED) {
			result = TL_RES_REFUSED;
			err = ECONNREFUSED;
		} else if (err == ETIMEDOUT) {
			result = TL_RES_TIMEOUT;
		} else if (err) {
			result = TL_RES_ERROR;
		} else {
			result = TL_RES_ABORTED;
		}
		emit_connect(sk, st, result, err, now, btf);
	}
	/* done: later transitions of this socket (if it connects again) start anew */
	state_del(sk, st);
}

static __always_inline int handle_state(const struct sock *sk, int old, int new, bool btf)
{
	struct sock_state *st;
	__u64 now;

	switch (new) {
	case TCP_SYN_SENT:
		if (old == TCP_CLOSE)
			on_connect(sk, bpf_ktime_get_boot_ns(), btf);
		break;
	case TCP_SYN_RECV:
		if (old == TCP_LISTEN)
			on_passive(sk, bpf_ktime_get_boot_ns(), btf);
		break;
	case TCP_ESTABLISHED:
		/* the clock only where a connect is emitted */
		on_established(sk, old, btf);
		break;
	case TCP_FIN_WAIT1:
	case TCP_LAST_ACK:
		/* tcp_close()/shutdown(): the owning process is running */
		st = state_get(sk, btf);
		if (!st)
			break;
		/* the acceptor first: the closer may be another process it passed the fd to */
		owner_from_accept(sk, st);
		if (!st->owner_known)
			take_owner(st, btf);
		break;
	case TCP_CLOSE:
		now = bpf_ktime_get_boot_ns();
		on_close(sk, old, now, btf);
		break;
	}
	return 0;
}

/* FIN_WAIT2, CLOSE_WAIT, CLOSING, TIME_WAIT carry nothing we use. */
static __always_inline bool transition_used(int new)
{
	return new == TCP_SYN_SENT || new == TCP_SYN_RECV || new == TCP_ESTABLISHED ||
	       ((new == TCP_FIN_WAIT1 || new == TCP_LAST_ACK) && owner_at_close) || new == TCP_CLOSE;
}

/* ---- tp_btf ---- */

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
	if (sk->sk_protocol == IPPROTO_TCP && transition_used(newstate))
		handle_state(sk, oldstate, newstate, true);
	/* every run is recorded, used or not: the standby counts what is not */
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
 * own bookkeeping around it) is skipped, and only counted in its
 * recursion_misses. This second program on the same tracepoint runs after
 * it for every change and handles those it did not record as done. User
 * space counts the misses that neither program covered.
 */
SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(tl_state_btf_nested, const struct sock *sk, const int oldstate, const int newstate)
{
	__u32 zero = 0, trans = transition(oldstate, newstate), last;
	struct done_ring *done = bpf_map_lookup_elem(&state_done, &zero);

	if (!done)
		return 0;
	/*
	 * Almost always the slot tl_state_btf wrote last: look there first,
	 * and give it back. Used as a stack, the ring keeps an outer change's
	 * slot however many changes a softirq makes before the outer change's
	 * own standby run (each of those takes and gives back the top slot);
	 * advanced only, the ninth would overwrite it, and the outer change
	 * would be handled twice and counted as covering a real miss.
	 */
	last = (done->head - 1) % DONE_SLOTS;
	if (done->sk[last] == (__u64)sk && done->trans[last] == trans) {
		done->sk[last] = 0;
		done->head--;
		return 0;
	}
	for (int i = 0; i < DONE_SLOTS; i++) {
		if (done->sk[i] == (__u64)sk && done->trans[i] == trans) {
			done->sk[i] = 0;
			return 0;
		}
	}
	/* every skipped run counts as covered, used transition or not */
	count(TL_CNT_NESTED);
	if (sk->sk_protocol != IPPROTO_TCP || !transition_used(newstate))
		return 0;
	return handle_state(sk, oldstate, newstate, true);
}

static __always_inline int mark_reset(const struct sock *sk, bool btf)
{
	struct sock_state *st;

	if (!sk)
		return 0;
	st = state_get(sk, btf);
	if (st)
		st->rst = 1;
	return 0;
}

SEC("tp_btf/tcp_receive_reset")
int BPF_PROG(tl_reset_btf, struct sock *sk)
{
	return mark_reset(sk, true);
}

SEC("tp_btf/tcp_send_reset")
int BPF_PROG(tl_send_reset_btf, const struct sock *sk)
{
	return mark_reset(sk, true);
}

/* Only without the accept() hooks: the owner at the application's first I/O. */
static __always_inline int owner_from_io(const struct sock *sk, bool btf)
{
	struct sock_state *st = state_get(sk, btf);

	if (st && !st->owner_known && st->live)
		take_owner(st, btf);
	return 0;
}

SEC("tp_btf/sock_send_length")
int BPF_PROG(tl_send_btf, struct sock *sk, int ret, int flags)
{
	return owner_from_io(sk, true);
}

SEC("tp_btf/sock_recv_length")
int BPF_PROG(tl_recv_btf, struct sock *sk, int ret, int flags)
{
	return owner_from_io(sk, true);
}

/* ---- classic tracepoints: the fallback ---- */

SEC("tracepoint/sock/inet_sock_set_state")
int tl_state_tp(struct trace_event_raw_inet_sock_set_state *ctx)
{
	if (ctx->protocol != IPPROTO_TCP || !transition_used(ctx->newstate))
		return 0;
	return handle_state(ctx->skaddr, ctx->oldstate, ctx->newstate, false);
}

SEC("tracepoint/tcp/tcp_receive_reset")
int tl_reset_tp(struct trace_event_raw_tcp_event_sk *ctx)
{
	return mark_reset(ctx->skaddr, false);
}

SEC("tracepoint/tcp/tcp_send_reset")
int tl_send_reset_tp(struct trace_event_raw_tcp_send_reset *ctx)
{
	return mark_reset(ctx->skaddr, false);
}

SEC("tracepoint/tcp/tcp_destroy_sock")
int tl_destroy_tp(struct trace_event_raw_tcp_event_sk *ctx)
{
	__u64 key = (__u64)ctx->skaddr;

	bpf_map_delete_elem(&socks, &key);
	return 0;
}

SEC("tracepoint/sock/sock_send_length")
int tl_send_tp(struct trace_event_raw_sock_msg_length *ctx)
{
	if (ctx->protocol != IPPROTO_TCP)
		return 0;
	return owner_from_io(ctx->sk, false);
}

SEC("tracepoint/sock/sock_recv_length")
int tl_recv_tp(struct trace_event_raw_sock_msg_length *ctx)
{
	if (ctx->protocol != IPPROTO_TCP)
		return 0;
	return owner_from_io(ctx->sk, false);
}

/* ---- accept(): the owner of a passive socket, in its context (both sets) ---- */

/* The layout of syscalls:sys_exit_* (see its format file in tracefs). */
struct syscall_exit {
	__u64 common;
	int nr;
	long ret;
};

static __always_inline int on_accept_exit(struct syscall_exit *ctx)
{
	struct task_struct *task;
	struct accept_owner a = {};
	struct file **fds, *file;
	struct sock_state *st;
	struct fdtable *fdt;
	struct socket *sock;
	struct sock *sk;
	long fd = ctx->ret;
	__u64 key;

	if (fd < 0)
		return 0;
	/* the fd table through the typed task: two loads instead of probe reads */
	task = bpf_get_current_task_btf();
	fdt = task->files->fdt;
	if (!fdt || fd >= fdt->max_fds)
		return 0;
	fds = fdt->fd;
	if (!fds || bpf_core_read(&file, sizeof(file), &fds[fd]) || !file)
		return 0;
	sock = BPF_CORE_READ(file, private_data);
	if (!sock)
		return 0;
	sk = BPF_CORE_READ(sock, sk);
	if (!sk || BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP)
		return 0;
	key = (__u64)sk;
	a.pid = bpf_get_current_pid_tgid() >> 32;
	if (filter_cgroup_on)
		a.in_cgroup = current_in_cgroup();
	/*
	 * Another process's socket: the fallback's hash map gives its place
	 * back now rather than at close, so foreign connections held open
	 * cannot crowd out ours (socket storage has no such cap).
	 */
	if ((filter_pid && a.pid != filter_pid) || (filter_cgroup_on && !a.in_cgroup)) {
		bpf_map_delete_elem(&socks, &key);
		return 0;
	}
	a.ts = bpf_ktime_get_boot_ns();
	a.cgroup_id = bpf_get_current_cgroup_id();
	bpf_get_current_comm(a.comm, sizeof(a.comm));
	st = bpf_map_lookup_elem(&socks, &key);
	if (st && !st->owner_known && st->dir == TL_DIR_PASSIVE) {
		/* the fallback keeps its state in a map this program can reach */
		st->pid = a.pid;
		st->cgroup_id = a.cgroup_id;
		st->in_cgroup = a.in_cgroup;
		__builtin_memcpy(st->comm, a.comm, sizeof(st->comm));
		st->owner_known = 1;
		return 0;
	}
	bpf_map_update_elem(&accepted, &key, &a, BPF_ANY);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_accept4")
int tl_accept4_exit(struct syscall_exit *ctx)
{
	return on_accept_exit(ctx);
}

SEC("tracepoint/syscalls/sys_exit_accept")
int tl_accept_exit(struct syscall_exit *ctx)
{
	return on_accept_exit(ctx);
}

/* ---- the socket iterator ---- */


/* A socket open at start, first seen by the walk: from now on it is ours. */
static __always_inline struct sock_state *adopt(const struct sock *sk, int state, bool btf)
{
	const struct tcp_sock *tp = (const struct tcp_sock *)sk;
	struct sock_state init = {};
	struct endpoints ep = {};

	if (state == TCP_LISTEN || state == TCP_CLOSE || state == TCP_SYN_SENT)
		return NULL;
	if (read_endpoints(sk, tp, &ep, false) || !endpoints_allowed(&ep, true))
		return NULL;
	init.start_ns = bpf_ktime_get_boot_ns();
	init.dir = TL_DIR_UNKNOWN;
	init.live = 1;
	init.adopted = 1;
	init.established = state != TCP_SYN_RECV;
	return state_new(sk, btf, &init);
}

/*
 * One walk of the open sockets. `adopting` (a constant) is for the one walk
 * at start, in programs of its own: the walks of every snapshot then carry
 * no adoption code at all, which measurably slowed each socket even untaken.
 */
static __always_inline int iter_tcp(struct bpf_iter__tcp *ctx, bool btf, bool adopting)
{
	struct sock_common *skc = ctx->sk_common;
	struct tl_iter_sock r = {};
	struct sock_state *st;
	struct endpoints ep = {};
	struct payload p;
	struct tcp_sock *tp;
	struct socket *so;
	struct sock *sk;
	int state;

	if (!skc)
		return 0;
	/* NULL for TIME_WAIT and request sockets: not connections yet or any more */
	tp = bpf_skc_to_tcp_sock(skc);
	if (!tp)
		return 0;
	sk = (struct sock *)tp;
	state = tp->inet_conn.icsk_inet.sk.__sk_common.skc_state;
	st = state_get(sk, btf);
	/* a session that closes must be counted as ours once only */
	if (st && !st->live)
		st = NULL;
	if (!st && adopting)
		st = adopt(sk, state, btf);
	/* the iterator's pointer is typed in both variants: direct reads */
	if (read_endpoints(sk, tp, &ep, true))
		return 0;
	if (st)
		owner_from_accept(sk, st);

	r.cookie = bpf_get_socket_cookie(sk);
	read_payload(sk, tp, st, fin_sent_in(state), &p, true);
	r.tx_bytes = p.tx;
	r.rx_bytes = p.rx;
	if (p.syn_in_tx && state != TCP_LISTEN)
		r.flags |= TL_F_SYN_IN_TX;
	/* typed pointers all the way: loads the JIT guards, no probe-read calls */
	so = tp->inet_conn.icsk_inet.sk.sk_socket;
	/*
	 * The inode is allocated with the socket (struct socket_alloc), as
	 * ss -e reads it: one cold line where so->file->f_inode was three.
	 */
	if (so)
		r.inode = BPF_CORE_READ((struct socket_alloc *)so, vfs_inode.i_ino);
	r.srtt_us = tp->srtt_us >> 3;
	r.retrans = tp->total_retrans;
	/* listeners' only: each is a cache line a connection need not load */
	if (state == TCP_LISTEN) {
		r.ack_backlog = tp->inet_conn.icsk_inet.sk.sk_ack_backlog;
		r.max_ack_backlog = tp->inet_conn.icsk_inet.sk.sk_max_ack_backlog;
		r.sk_drops = (__u32)tp->inet_conn.icsk_inet.sk.sk_drops.counter;
	}
	r.lport = ep.lport;
	r.rport = ep.rport;
	r.family = ep.family;
	r.state = state;
	__builtin_memcpy(r.laddr, ep.laddr, sizeof(r.laddr));
	__builtin_memcpy(r.raddr, ep.raddr, sizeof(r.raddr));
	if (st) {
		r.start_ns = st->start_ns;
		r.dir = st->dir;
		if (st->adopted)
			r.flags |= TL_F_ADOPTED;
		else
			r.flags |= TL_F_AGE_KNOWN;
		if (st->owner_known) {
			r.flags |= TL_F_OWNER_KNOWN;
			r.pid = st->pid;
			r.cgroup_id = st->cgroup_id;
			__builtin_memcpy(r.comm, st->comm, sizeof(r.comm));
		}
	}
	bpf_seq_write(ctx->meta->seq, &r, sizeof(r));
	return 0;
}

SEC("iter/tcp")
int tl_iter_btf(struct bpf_iter__tcp *ctx)
{
	return iter_tcp(ctx, true, false);
}

SEC("iter/tcp")
int tl_iter_hash(struct bpf_iter__tcp *ctx)
{
	return iter_tcp(ctx, false, false);
}

SEC("iter/tcp")
int tl_adopt_btf(struct bpf_iter__tcp *ctx)
{
	return iter_tcp(ctx, true, true);
}

SEC("iter/tcp")
int tl_adopt_hash(struct bpf_iter__tcp *ctx)
{
	return iter_tcp(ctx, false, true);
}

/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The cost of watching: tcplens's own CPU time, the events it takes in, and
 * (with the kernel's statistics held) the probes' run time, as rates over
 * the last refresh interval. Sampled by the monitor; no curses, no BPF here.
 */
#include <sys/resource.h>

#include "state.h"

void tl_cost_init(struct tl_cost *c)
{
	*c = (struct tl_cost){ .cpu_pct = -1, .events_rate = -1 };
	tl_cost_set_bpf(c, false);
}

void tl_cost_set_bpf(struct tl_cost *c, bool on)
{
	c->bpf_on = on;
	c->bpf_base = false;	/* the first interval after a change is not known */
	c->bpf_ns_per_event = c->bpf_cpu_pct = -1;
}

void tl_cost_sample(struct tl_cost *c, uint64_t mono_ns, uint64_t cpu_ns, uint64_t events,
		    const uint64_t *bpf_ns)
{
	double dt = c->have_base ? (double)(mono_ns - c->mono_ns) : 0;
	uint64_t dev = events - c->events;

	/* twice in one nanosecond (or a clock that went back): keep the last figures */
	if (c->have_base && mono_ns <= c->mono_ns)
		return;
	if (c->have_base) {
		c->cpu_pct = cpu_ns >= c->cpu_ns ? 100.0 * (double)(cpu_ns - c->cpu_ns) / dt : -1;
		c->events_rate = (double)dev * 1e9 / dt;
	}
	if (c->bpf_on && bpf_ns && c->bpf_base && *bpf_ns >= c->bpf_ns) {
		uint64_t run = *bpf_ns - c->bpf_ns;

		c->bpf_cpu_pct = 100.0 * (double)run / dt;
		/* per event only when there were events: no figure rather than a wrong one */
		c->bpf_ns_per_event = dev ? (double)run / (double)dev : -1;
	} else if (c->bpf_on) {
		c->bpf_ns_per_event = c->bpf_cpu_pct = -1;
	}
	c->bpf_base = c->bpf_on && bpf_ns;
	if (bpf_ns)
		c->bpf_ns = *bpf_ns;
	c->mono_ns = mono_ns;
	c->cpu_ns = cpu_ns;
	c->events = events;
	c->have_base = true;
}

uint64_t tl_cost_self_cpu_ns(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru))
		return 0;
	return (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000ull +
	       (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000ull;
}

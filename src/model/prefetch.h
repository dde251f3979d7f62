/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A prefetch the compiler keeps. GCC 12's mod/ref analysis takes a
 * function whose only effect is __builtin_prefetch for one without effect
 * and deletes its calls (and loops of them), which silently removed every
 * prefetch of the ingest batch; an asm statement is never dropped.
 */
#ifndef TCPLENS_MODEL_PREFETCH_H
#define TCPLENS_MODEL_PREFETCH_H

static inline void tl_prefetch(const void *p)
{
#if defined(__x86_64__) || defined(__i386__)
	__asm__ volatile("prefetcht0 %0" : : "m"(*(const char *)p));
#else
	__asm__ volatile("" : : "r"(p) : "memory");
	__builtin_prefetch(p);
#endif
}

#endif

/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Standard output that never blocks the loop. Lines go into a bounded
 * buffer and out through non-blocking writes; the loop waits for the fd to
 * be writable when the reader is slow. When the buffer is full a whole
 * line is dropped and counted (never half a line): a stalled `| less` or a
 * full pipe costs output lines, not events, and never delays a signal.
 *
 * Printers keep writing to a FILE: tl_output_file() is a stdio stream over
 * this buffer (fopencookie), so they need not know.
 */
#ifndef TCPLENS_OUTPUT_H
#define TCPLENS_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define TL_OUTPUT_BUF (4u << 20)	/* bytes of lines waiting for the reader */

struct tl_output;

/* Over fd (not closed at the end); a fd that is not a regular file is made
 * non-blocking until tl_output_free. NULL + errno. */
struct tl_output *tl_output_new(int fd, size_t cap);
/* Restores the fd's flags; what is still buffered is lost (see drain). */
void tl_output_free(struct tl_output *o);
/* The stream to print to (fully buffered; flush it after each batch). */
FILE *tl_output_file(struct tl_output *o);
int tl_output_fd(const struct tl_output *o);

/*
 * Writes what is buffered as far as the fd takes it now. Returns 0 when
 * all is out, -EAGAIN when some waits for the fd to be writable, or the
 * write error (-EPIPE: the reader went away). An error is kept: every
 * later call returns it.
 */
int tl_output_flush(struct tl_output *o);
/* True while lines wait for the reader. */
bool tl_output_pending(const struct tl_output *o);
/* At exit: flush(), waiting at most timeout_ms for a slow reader; what
 * is still buffered after that is counted as dropped. Returns as flush. */
int tl_output_drain(struct tl_output *o, int timeout_ms);
/* Lines dropped because the buffer was full (or left at exit). */
uint64_t tl_output_dropped(const struct tl_output *o);

#endif

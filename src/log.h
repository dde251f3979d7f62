/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Messages for the user (warnings, libbpf output with -v). While curses owns
 * the terminal they are only kept; the monitor shows them, and they are
 * written to stderr once the terminal is restored.
 */
#ifndef TCPLENS_LOG_H
#define TCPLENS_LOG_H

#include <stdbool.h>
#include <stddef.h>

#define TL_LOG_KEEP 256		/* the newest messages kept */

void tl_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* direct: messages go to stderr at once (the default). Turning direct on
 * again writes the messages held since it was turned off. */
void tl_log_set_direct(bool direct);
size_t tl_log_count(void);
/* i = 0 is the oldest kept; escaped, one line, no newline. */
const char *tl_log_get(size_t i);

#endif

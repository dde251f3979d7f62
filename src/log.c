// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "format.h"
#include "log.h"

/*
 * Process-wide because libbpf's print callback carries no context. The ring
 * keeps the newest TL_LOG_KEEP lines; `held` counts those not yet written to
 * stderr while direct output was off.
 */
static char log_lines[TL_LOG_KEEP][256];
static size_t log_next, log_len, log_held;
static bool log_direct = true;

static void log_write_stderr(const char *line)
{
	fprintf(stderr, "tcplens: %s\n", line);
}

void tl_log(const char *fmt, ...)
{
	char raw[256];
	char *slot = log_lines[log_next];
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	n = strlen(raw);
	while (n && raw[n - 1] == '\n')
		raw[--n] = '\0';
	/* messages may quote kernel or libbpf text: never raw control bytes */
	tl_fmt_escape(slot, sizeof(log_lines[0]), raw, n);

	log_next = (log_next + 1) % TL_LOG_KEEP;
	if (log_len < TL_LOG_KEEP)
		log_len++;
	if (log_direct)
		log_write_stderr(slot);
	else if (log_held < TL_LOG_KEEP)
		log_held++;
}

void tl_log_set_direct(bool direct)
{
	if (direct && !log_direct) {
		for (size_t i = log_len - log_held; i < log_len; i++)
			log_write_stderr(tl_log_get(i));
		log_held = 0;
	}
	log_direct = direct;
}

size_t tl_log_count(void)
{
	return log_len;
}

const char *tl_log_get(size_t i)
{
	if (i >= log_len)
		return "";
	return log_lines[(log_next + TL_LOG_KEEP - log_len + i) % TL_LOG_KEEP];
}

// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Fuzzes what a scraper or a cgroup path can put in front of the metrics
 * endpoint: the Accept header (tl_mx_negotiate), and label values
 * (tl_fmt_prom_label). Beyond not crashing, a label must stay inside its
 * quotes on one line: no raw newline, and every double quote escaped.
 */
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "metrics/metrics_expo.h"
#include "tests/fuzz/fuzz.h"

static void check_label(const char *s, size_t n, size_t room)
{
	char out[512];
	size_t len = tl_fmt_prom_label(out, room, s, n);

	if (len >= room || strlen(out) != len)
		abort();
	for (size_t i = 0; i < len; i++) {
		if (out[i] == '\n')
			abort();
		if (out[i] == '\\') {
			/* an escape is whole: \\ or \" */
			if (i + 1 >= len || (out[i + 1] != '\\' && out[i + 1] != '"'))
				abort();
			i++;
		} else if (out[i] == '"') {
			abort();
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	enum tl_mx_format f;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	f = tl_mx_negotiate(text);
	if (f != TL_MX_TEXT && f != TL_MX_OPENMETRICS)
		abort();
	check_label(text, size, 512);
	check_label(text, size, 7);
	free(text);
	return 0;
}

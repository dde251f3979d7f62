/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The exposition: the metrics model as Prometheus text format 0.0.4 or
 * OpenMetrics 1.0 text, chosen from the scraper's Accept header. Pure:
 * writes into a memory buffer, so the HTTP side hands a finished body over.
 */
#ifndef TCPLENS_METRICS_EXPO_H
#define TCPLENS_METRICS_EXPO_H

#include <stdbool.h>
#include <stddef.h>

#include "metrics/metrics_model.h"

enum tl_mx_format {
	TL_MX_TEXT = 0,		/* text/plain; version=0.0.4 */
	TL_MX_OPENMETRICS = 1,	/* application/openmetrics-text; version=1.0.0 */
};

struct tl_mx_buf {
	char *p;
	size_t len, cap;
	bool failed;		/* out of memory: the content is incomplete */
};

/*
 * OpenMetrics if the Accept header ranks application/openmetrics-text
 * (version 1.0.0, or none) at least as high as text/plain, else the text
 * format (also without an Accept header: every scraper reads it).
 */
enum tl_mx_format tl_mx_negotiate(const char *accept);
const char *tl_mx_content_type(enum tl_mx_format f);
/* The whole exposition into b (emptied first). Returns the number of
 * series (sample lines) written, or -ENOMEM. */
int tl_metrics_write(const struct tl_metrics *m, enum tl_mx_format f, struct tl_mx_buf *b);
void tl_mx_buf_free(struct tl_mx_buf *b);

#endif

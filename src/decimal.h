/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Decimal numbers typed by users, read the same in every locale. */
#ifndef TCPLENS_DECIMAL_H
#define TCPLENS_DECIMAL_H

#define TL_DECIMAL_MAX_LEN 32	/* longer numbers are typos, not values */

/*
 * "12", "0.5", ".5", "3." whatever LC_NUMERIC says (strtod would take
 * "0,5" under de_DE and refuse "0.5"); no signs, exponents, hex, inf or
 * nan. 0, -EINVAL (not such a number) or -ERANGE (longer than
 * TL_DECIMAL_MAX_LEN characters).
 */
int tl_parse_decimal(const char *s, double *v);

#endif

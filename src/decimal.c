// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <math.h>
#include <string.h>

#include "decimal.h"

int tl_parse_decimal(const char *s, double *v)
{
	double mant = 0, scale = 1;
	int digits = 0, dot = 0;
	size_t len = strlen(s);

	/* before the digits are summed: hundreds of them would reach inf/inf */
	if (len > TL_DECIMAL_MAX_LEN)
		return -ERANGE;
	for (; *s; s++) {
		if (*s >= '0' && *s <= '9') {
			mant = mant * 10 + (*s - '0');
			if (dot)
				scale *= 10;
			digits++;
		} else if (*s == '.' && !dot) {
			dot = 1;
		} else {
			return -EINVAL;
		}
	}
	if (!digits)
		return -EINVAL;
	if (!isfinite(mant / scale))
		return -ERANGE;
	*v = mant / scale;
	return 0;
}

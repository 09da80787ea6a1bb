/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdint.h>
#include <stdlib.h>

#include "alloc-util.h"
#include "macro.h"

void *greedy_realloc(void **p, size_t *allocated, size_t need, size_t size) {
	size_t n;
	void *q;

	if (need <= *allocated)
		return *p;
	if (size == 0 || need > SIZE_MAX / size / 2)
		return NULL;   /* doubling would overflow */
	n = MAX(need * 2, (size_t) GREEDY_ALLOC_MIN);
	q = reallocarray(*p, n, size);
	if (!q)
		return NULL;
	*p = q;
	*allocated = n;
	return q;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Growing arrays (systemd's GREEDY_REALLOC): make room for at least `need` elements,
 * doubling the allocation so that appending one at a time stays linear.
 *
 *	if (!GREEDY_REALLOC(l->items, l->n_allocated, l->n + 1))
 *		return -ENOMEM;
 *	l->items[l->n++] = item;
 *
 * On failure (NULL) the array and its count are left as they were. */

#include <stddef.h>

#define GREEDY_ALLOC_MIN 8

void *greedy_realloc(void **p, size_t *allocated, size_t need, size_t size);

#define GREEDY_REALLOC(array, allocated, need) \
	greedy_realloc((void **) &(array), &(allocated), (need), sizeof((array)[0]))

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "alloc-util.h"
#include "tap.h"

int main(void) {
	int *a = NULL;
	size_t allocated = 0;

	bool got = GREEDY_REALLOC(a, allocated, 1);
	ok(got && allocated == GREEDY_ALLOC_MIN, "the first element allocates the minimum (%zu)", allocated);
	int *before = a;
	ok(GREEDY_REALLOC(a, allocated, GREEDY_ALLOC_MIN) == before && allocated == GREEDY_ALLOC_MIN,
	   "room enough: nothing changes");
	got = GREEDY_REALLOC(a, allocated, GREEDY_ALLOC_MIN + 1);
	ok(got && allocated == 2 * (GREEDY_ALLOC_MIN + 1), "growing doubles what is needed (%zu)", allocated);
	for (size_t i = 0; i < allocated; i++)
		a[i] = (int) i;   /* all of it is usable (ASan would say otherwise) */
	before = a;
	size_t was = allocated;
	ok(!GREEDY_REALLOC(a, allocated, SIZE_MAX / 2), "an overflowing size fails");
	ok(a == before && allocated == was && a[was - 1] == (int) was - 1, "and leaves the array as it was");
	free(a);
	return done_testing();
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdlib.h>
#include <string.h>

#include "strv.h"
#include "tap.h"

int main(void) {
	_cleanup_strv_free_ char **l = NULL;

	is_int(strv_length(NULL), 0, "NULL has length 0");
	ok(!strv_contains(NULL, "a"), "NULL contains nothing");
	ok(strv_free(NULL) == NULL, "strv_free(NULL) is a no-op returning NULL");

	is_int(strv_extend(&l, "b"), 0, "extend");
	is_int(strv_extend(&l, "a"), 0, "extend again");
	is_int(strv_consume(&l, strdup("c")), 0, "consume");
	is_int(strv_extend(&l, "a"), 0, "extend with a repeat");
	is_int(strv_length(l), 4, "four entries");
	ok(l[4] == NULL, "NULL-terminated");
	ok(strv_contains(l, "c") && !strv_contains(l, "d"), "contains");

	strv_sort_unique(l);
	is_int(strv_length(l), 3, "sort_unique drops the repeat");
	ok(streq(l[0], "a") && streq(l[1], "b") && streq(l[2], "c") && !l[3], "and sorts");

	int n = 0;
	STRV_FOREACH(s, l)
		n++;
	is_int(n, 3, "STRV_FOREACH visits every entry");
	STRV_FOREACH(s, (char **) NULL)
		n++;
	is_int(n, 3, "STRV_FOREACH over NULL visits nothing");

	char **empty = NULL;
	strv_sort_unique(empty);
	ok(empty == NULL, "sort_unique of NULL is a no-op");
	_cleanup_free_ char *none = strv_join(NULL, ","), *joined = strv_join(l, ", "), *glued = strv_join(l, "");
	is_str(none, "", "joining nothing gives the empty string");
	is_str(joined, "a, b, c", "join puts the separator between the strings only");
	is_str(glued, "abc", "join with an empty separator");
	return done_testing();
}

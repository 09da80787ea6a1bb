/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "macro.h"
#include "package-origins.h"

static int add_origin(json_t *origins, const char *name, const char *version, const char *suite) {
	_cleanup_free_ char *key = NULL;
	if (asprintf(&key, "%s %s", name, version) < 0)
		return -ENOMEM;
	json_t *suites = json_object_get(origins, key);
	if (!suites) {
		suites = json_array();
		if (!suites || json_object_set_new(origins, key, suites) < 0)
			return -ENOMEM;
	}
	/* The list is sorted (sort -u), so the suites of one version arrive in order. */
	return json_array_append_new(suites, json_string(suite)) < 0 ? -ENOMEM : 0;
}

int package_origins_read(const char *path, json_t **ret, unsigned *ret_line) {
	_cleanup_free_ char *text = NULL;
	unsigned line = 0;
	int r;

	r = read_full_file(path, &text, NULL);
	if (r < 0)
		return r;
	json_t *origins = json_object();
	if (!origins)
		return -ENOMEM;
	r = 0;
	for (char *l = text, *nl; r >= 0 && l && *l; l = nl ? nl + 1 : NULL) {
		nl = strchr(l, '\n');
		if (nl)
			*nl = '\0';
		line++;
		char *save = NULL;
		char *name = strtok_r(l, " ", &save), *version = strtok_r(NULL, " ", &save),
		     *suite = strtok_r(NULL, " ", &save);
		if (!name || !version || !suite || strtok_r(NULL, " ", &save))
			r = -EBADMSG;
		else
			r = add_origin(origins, name, version, suite);
	}
	if (r < 0) {
		json_decref(origins);
		if (ret_line)
			*ret_line = line;
		return r;
	}
	*ret = origins;
	return 0;
}

json_t *package_origins_find(json_t *origins, const char *name, const char *version) {
	_cleanup_free_ char *key = NULL;
	if (asprintf(&key, "%s %s", name, version) < 0)
		return NULL;
	return json_object_get(origins, key);
}

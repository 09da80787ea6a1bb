/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>

#include "cluster-json.h"

const char *cluster_json_str(json_t *o, const char *a, const char *b, const char *c) {
	json_t *v = json_object_get(o, a);
	if (b)
		v = json_object_get(v, b);
	if (c)
		v = json_object_get(v, c);
	return json_string_value(v);
}

long cluster_json_int(json_t *o, const char *a, const char *b, long def) {
	json_t *v = json_object_get(json_object_get(o, a), b);
	return json_is_integer(v) ? (long) json_integer_value(v) : def;
}

int cluster_json_items(const char *json, json_t **ret_doc, json_t **ret_items) {
	json_t *doc, *items;

	if (!json)
		return -EBADMSG;
	doc = json_loads(json, 0, NULL);
	items = json_object_get(doc, "items");
	if (!json_is_array(items)) {
		json_decref(doc);
		return -EBADMSG;
	}
	*ret_doc = doc;
	*ret_items = items;
	return 0;
}

char *cluster_text_line(const char *s) {
	size_t n = strcspn(s, "\n");

	if (n > CLUSTER_DETAIL_MAX) {
		n = CLUSTER_DETAIL_MAX;
		while (n > 0 && ((unsigned char) s[n] & 0xC0) == 0x80)
			n--;
	}
	return strndup(s, n);
}

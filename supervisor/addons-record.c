/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "addons-record.h"
#include "fileio.h"
#include "json-util.h"
#include "status-server.h"

static int record_validate(const char *data, size_t size, void *userdata) {
	_cleanup_json_ json_t *doc = json_loadb(data, size, 0, NULL);
	json_t *addons = json_object_get(doc, "addons"), *v;
	const char *name;

	if (!json_is_object(addons))
		return -EBADMSG;
	json_object_foreach(addons, name, v)
		if (!json_is_string(json_object_get(v, "digest")))
			return -EBADMSG;
	return 0;
}

int addons_record_load(const char *path, json_t **ret) {
	_cleanup_free_ char *text = NULL;
	size_t size = 0;
	json_t *doc;
	int r;

	if (!path || !ret)
		return -EINVAL;
	r = read_state_file(path, record_validate, NULL, &text, &size);
	if (r == -ENOENT || r == -EBADMSG)
		doc = json_pack("{s:{}}", "addons");
	else if (r < 0)
		return r;
	else
		doc = json_loadb(text, size, 0, NULL);
	if (!doc)
		return -ENOMEM;
	*ret = doc;
	return 0;
}

bool addons_record_has(json_t *record, const char *name, const char *digest) {
	json_t *e = json_object_get(json_object_get(record, "addons"), name);
	const char *d = json_string_value(json_object_get(e, "digest"));

	return d && digest && streq(d, digest);
}

int addons_record_put(json_t *record, const char *path, const char *name, const char *digest, usec_t when) {
	_cleanup_free_ char *text = NULL;
	json_t *addons = json_object_get(record, "addons");

	if (!json_is_object(addons) || !path || !name || !digest)
		return -EINVAL;
	if (json_object_set_new(addons, name, json_pack("{s:s, s:o}", "digest", digest, "applied",
							  status_json_time(when))) < 0)
		return -ENOMEM;
	text = json_dumps(record, JSON_SORT_KEYS | JSON_INDENT(2));
	if (!text)
		return -ENOMEM;
	return write_file_atomic(path, text, strlen(text), 0644, WRITE_FILE_MKDIR_PARENTS);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "image-info.h"
#include "json-util.h"
#include "strv.h"

ImageInfo *image_info_free(ImageInfo *i) {
	if (!i)
		return NULL;
	free(i->kiln_version);
	free(i->kubernetes_version);
	strv_free(i->images);
	free(i);
	return NULL;
}

static int get_string(json_t *o, const char *key, char **ret) {
	json_t *v = json_object_get(o, key);

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return -EBADMSG;
	*ret = strdup(json_string_value(v));
	return *ret ? 0 : -ENOMEM;
}

int image_info_parse(const char *text, size_t size, ImageInfo **ret) {
	_cleanup_(image_info_freep) ImageInfo *info = NULL;
	_cleanup_json_ json_t *o = NULL;
	json_error_t error;
	int r;

	if (!text || !ret)
		return -EINVAL;
	o = json_loadb(text, size, JSON_REJECT_DUPLICATES, &error);
	if (!o)
		return json_error_code(&error) == json_error_out_of_memory ? -ENOMEM : -EBADMSG;
	if (!json_is_object(o))
		return -EBADMSG;
	info = calloc(1, sizeof *info);
	if (!info)
		return -ENOMEM;

	if ((r = get_string(o, "kilnVersion", &info->kiln_version)) < 0)
		return r;
	json_t *epoch = json_object_get(o, "sourceDateEpoch");
	if (epoch) {
		if (!json_is_integer(epoch) || json_integer_value(epoch) < 0)
			return -EBADMSG;
		info->build_epoch = (uint64_t) json_integer_value(epoch);
	}

	json_t *k8s = json_object_get(o, "kubernetes");
	json_t *present = json_object_get(k8s, "present");
	if (!json_is_object(k8s) || !json_is_boolean(present))
		return -EBADMSG;
	info->kubernetes_present = json_is_true(present);
	if ((r = get_string(k8s, "version", &info->kubernetes_version)) < 0)
		return r;

	json_t *images = json_object_get(o, "images"), *v;
	size_t i;
	if (images && !json_is_array(images))
		return -EBADMSG;
	json_array_foreach(images, i, v) {
		if (!json_is_string(v) || isempty(json_string_value(v)))
			return -EBADMSG;
		if (strv_extend(&info->images, json_string_value(v)) < 0)
			return -ENOMEM;
	}
	*ret = TAKE_PTR(info);
	return 0;
}

int image_info_load(const char *path, ImageInfo **ret) {
	_cleanup_free_ char *text = NULL;
	size_t size;
	int r;

	r = read_full_file(path, &text, &size);
	if (r < 0)
		return r;
	return image_info_parse(text, size, ret);
}

int image_info_missing(char *const *expected, char *const *present, char ***ret_missing) {
	_cleanup_strv_free_ char **missing = NULL;

	if (!ret_missing)
		return -EINVAL;
	/* An empty vector, not NULL, so that callers can tell "none missing" from a failure. */
	missing = calloc(1, sizeof(char *));
	if (!missing)
		return -ENOMEM;
	STRV_FOREACH(e, expected)
		if (!strv_contains(present, *e) && strv_extend(&missing, *e) < 0)
			return -ENOMEM;
	*ret_missing = TAKE_PTR(missing);
	return 0;
}

int cmdline_get_value(const char *cmdline, const char *key, char **ret) {
	size_t klen;

	if (!cmdline || isempty(key) || !ret)
		return -EINVAL;
	klen = strlen(key);
	for (const char *p = cmdline; *p; ) {
		p += strspn(p, " \t\n");
		if (!*p)
			break;
		/* One word; a double quote anywhere in it protects spaces up to the next one. */
		const char *start = p;
		bool quoted = false;
		while (*p && (quoted || !strchr(" \t\n", *p))) {
			if (*p == '"')
				quoted = !quoted;
			p++;
		}
		size_t len = (size_t) (p - start);
		if (len <= klen || !strneq(start, key, klen) || start[klen] != '=')
			continue;

		char *value = strndup(start + klen + 1, len - klen - 1), *w = value;
		if (!value)
			return -ENOMEM;
		for (const char *s = value; *s; s++)
			if (*s != '"')
				*w++ = *s;
		*w = '\0';
		*ret = value;
		return 0;
	}
	return -ENOENT;
}

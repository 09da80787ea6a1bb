/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "image-info.h"
#include "json-util.h"

ImageInfo *image_info_free(ImageInfo *i) {
	if (!i)
		return NULL;
	free(i->kiln_version);
	free(i->kubernetes_version);
	for (size_t k = 0; k < i->n_images; k++) {
		free(i->images[k].name);
		free(i->images[k].digest);
	}
	free(i->images);
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

/* "sha256:" and 64 lower-case hex digits: how containerd writes a target digest, so
 * that comparing strings is comparing digests. */
static bool digest_valid(const char *d) {
	return strneq(d, "sha256:", 7) && strlen(d + 7) == 64 && strspn(d + 7, "0123456789abcdef") == 64;
}

static int parse_images(json_t *images, ImageInfo *info) {
	json_t *v;
	size_t i;

	if (!images)
		return 0;
	if (!json_is_array(images))
		return -EBADMSG;
	if (json_array_size(images) == 0)
		return 0;
	info->images = calloc(json_array_size(images), sizeof *info->images);
	if (!info->images)
		return -ENOMEM;
	json_array_foreach(images, i, v) {
		json_t *name = json_object_get(v, "name"), *digest = json_object_get(v, "digest");
		if (!json_is_object(v) || !json_is_string(name) || isempty(json_string_value(name)) ||
		    !json_is_string(digest) || !digest_valid(json_string_value(digest)))
			return -EBADMSG;
		/* One name, one target: a second entry would contradict the first. */
		for (size_t k = 0; k < info->n_images; k++)
			if (streq(info->images[k].name, json_string_value(name)))
				return -EBADMSG;
		ImageInfoImage *e = &info->images[info->n_images];
		e->name = strdup(json_string_value(name));
		e->digest = strdup(json_string_value(digest));
		/* Counted even when half made, so that image_info_free() frees it. */
		info->n_images++;
		if (!e->name || !e->digest)
			return -ENOMEM;
	}
	return 0;
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

	if ((r = parse_images(json_object_get(o, "images"), info)) < 0)
		return r;
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

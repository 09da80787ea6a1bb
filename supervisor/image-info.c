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
	for (size_t k = 0; k < i->n_images; k++) {
		free(i->images[k].name);
		free(i->images[k].digest);
	}
	free(i->images);
	for (size_t k = 0; k < i->n_addons; k++) {
		ImageInfoAddon *a = &i->addons[k];
		free(a->name);
		free(a->version);
		free(a->namespace);
		strv_free(a->depends_on);
		free(a->directory);
		strv_free(a->manifests);
		free(a->pod_security_level);
		free(a->pod_security_reason);
	}
	free(i->addons);
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

/* A non-empty string (required), copied. */
static int get_text(json_t *o, const char *key, char **ret) {
	const char *s = json_string_value(json_object_get(o, key));

	if (isempty(s))
		return -EBADMSG;
	*ret = strdup(s);
	return *ret ? 0 : -ENOMEM;
}

/* A path below dir: no "..", no empty or "." component, nothing but the file's name. */
static bool path_in(const char *path, const char *dir) {
	size_t n = strlen(dir);

	if (!strneq(path, dir, n) || path[n] != '/' || isempty(path + n + 1) || strchr(path + n + 1, '/'))
		return false;
	return !streq(path + n + 1, ".") && !streq(path + n + 1, "..");
}

#define ADDONS_DIR "/usr/lib/kiln/addons"

/* The level its namespace is labelled with (pod-security.kubernetes.io/enforce takes
 * these words only), and why. Missing: restricted, the cluster's default. */
static int parse_pod_security(json_t *ps, ImageInfoAddon *a) {
	static const char *const levels[] = { "restricted", "baseline", "privileged" };
	const char *level = "restricted";
	size_t k;
	int r;

	if (ps && !json_is_null(ps)) {
		if (!json_is_object(ps) || !json_is_string(json_object_get(ps, "level")))
			return -EBADMSG;
		level = json_string_value(json_object_get(ps, "level"));
		if ((r = get_string(ps, "reason", &a->pod_security_reason)) < 0)
			return r;
	}
	for (k = 0; k < ELEMENTSOF(levels); k++)
		if (streq(level, levels[k]))
			break;
	if (k == ELEMENTSOF(levels))
		return -EBADMSG;
	a->pod_security_level = strdup(level);
	return a->pod_security_level ? 0 : -ENOMEM;
}

static int parse_addon(json_t *v, ImageInfo *info, ImageInfoAddon *a) {
	json_t *deps = json_object_get(v, "dependsOn"), *manifests = json_object_get(v, "manifests"), *x;
	size_t i;
	int r;

	if (!json_is_object(v))
		return -EBADMSG;
	if ((r = get_text(v, "name", &a->name)) < 0 || (r = get_text(v, "namespace", &a->namespace)) < 0 ||
	    (r = get_string(v, "version", &a->version)) < 0 || (r = get_text(v, "directory", &a->directory)) < 0 ||
	    (r = parse_pod_security(json_object_get(v, "podSecurity"), a)) < 0)
		return r;
	if (!path_in(a->directory, ADDONS_DIR))
		return -EBADMSG;
	for (size_t k = 0; k < info->n_addons; k++)
		if (streq(info->addons[k].name, a->name))
			return -EBADMSG;
	if (deps && !json_is_null(deps)) {
		if (!json_is_array(deps))
			return -EBADMSG;
		json_array_foreach(deps, i, x) {
			/* Applied in order: what it depends on comes first. */
			bool earlier = false;
			for (size_t k = 0; json_is_string(x) && k < info->n_addons; k++)
				earlier = earlier || streq(info->addons[k].name, json_string_value(x));
			if (!earlier)
				return -EBADMSG;
			if (strv_extend(&a->depends_on, json_string_value(x)) < 0)
				return -ENOMEM;
		}
	}
	if (!json_is_array(manifests) || json_array_size(manifests) == 0)
		return -EBADMSG;
	json_array_foreach(manifests, i, x) {
		if (!json_is_string(x) || !path_in(json_string_value(x), a->directory))
			return -EBADMSG;
		if (strv_extend(&a->manifests, json_string_value(x)) < 0)
			return -ENOMEM;
	}
	return 0;
}

static int parse_addons(json_t *addons, ImageInfo *info) {
	json_t *v;
	size_t i;
	int r;

	if (!addons)
		return 0;
	if (!json_is_array(addons))
		return -EBADMSG;
	info->addons_known = true;
	if (json_array_size(addons) == 0)
		return 0;
	info->addons = calloc(json_array_size(addons), sizeof *info->addons);
	if (!info->addons)
		return -ENOMEM;
	json_array_foreach(addons, i, v) {
		ImageInfoAddon a = {};
		r = parse_addon(v, info, &a);
		/* Counted even when half made, so that image_info_free() frees it. */
		info->addons[info->n_addons++] = a;
		if (r < 0)
			return r;
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

	if ((r = parse_images(json_object_get(o, "images"), info)) < 0 ||
	    (r = parse_addons(json_object_get(o, "addons"), info)) < 0)
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

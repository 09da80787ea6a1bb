/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The addons' manifests, baked into the image in the profile's order for the supervisor
 * to apply (supervisor/addons-*.c):
 *
 *   /usr/lib/kiln/addons/<NN>-<addon>/<NN>-<file>
 *
 * one directory per addon, numbered in the profile's order, and in it each manifest
 * numbered in the addon's order: kubectl apply -f DIR reads a directory's .yaml, .yml and
 * .json files sorted by name, so the numbers are the order it applies them in. Local
 * manifests are read relative to the profile's directory, downloads from the cache by
 * the digest kiln.lock pins (bundle_manifest_read()), exactly the bytes the bundle step
 * took the images from. image.json's "addons" lists each addon with its namespace,
 * dependsOn, manifest paths and podSecurity (the level its namespace is labelled with,
 * and the reason).
 *
 * What kubectl apply -n <namespace> would refuse on the node is refused here, where the
 * profile can still be fixed: an object without metadata.name, and an object in another
 * namespace than its addon's. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build.h"
#include "bundle.h"
#include "log.h"
#include "manifest-objects.h"

static bool has_suffix(const char *s, size_t n, const char *suffix) {
	size_t m = strlen(suffix);
	return n >= m && strneq(s + n - m, suffix, m);
}

int tree_addon_number_width(size_t count) {
	int width = 2;

	for (size_t c = count; c >= 100; c /= 10)
		width++;
	return width;
}

int tree_addon_file_name(const char *source, size_t index, size_t count, char **ret) {
	const char *start = source, *end;
	_cleanup_free_ char *base = NULL;
	size_t n;

	if (isempty(source) || !ret || index >= count)
		return -EINVAL;
	/* A URL's path only: no query, no fragment. */
	if (bundle_is_url(source)) {
		start = strstr(source, "://") + 3;
		start += strcspn(start, "/");
	}
	end = start + strcspn(start, "?#");
	while (end > start && end[-1] == '/')
		end--;
	const char *slash = end;
	while (slash > start && slash[-1] != '/')
		slash--;
	n = (size_t) (end - slash);
	base = n > 0 ? strndup(slash, n) : strdup("manifest");
	if (!base)
		return -ENOMEM;
	/* A name for a file, whatever the URL held. */
	for (char *p = base; *p; p++)
		if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-", *p))
			*p = '-';
	n = strlen(base);
	/* kubectl apply -f DIR skips other names: a YAML stream (JSON is YAML too) gets one. */
	bool known = has_suffix(base, n, ".yaml") || has_suffix(base, n, ".yml") || has_suffix(base, n, ".json");
	return asprintf(ret, "%0*zu-%s%s", tree_addon_number_width(count), index + 1, base, known ? "" : ".yaml") < 0
		       ? -ENOMEM : 0;
}

int tree_addon_check(const char *namespace, const char *source, const char *text, size_t size, char **ret_error) {
	_cleanup_free_ char *error = NULL;
	ManifestObject *o = NULL;
	size_t n = 0;
	int r;

	r = manifest_objects_parse(text, size, source, &o, &n, &error);
	if (r < 0) {
		if (ret_error)
			*ret_error = TAKE_PTR(error);
		return r;
	}
	for (size_t i = 0; i < n && r >= 0; i++) {
		if (!o[i].name)
			r = asprintf(&error, "%s:%u: %s without metadata.name: kubectl apply cannot create it (generateName "
				     "does not work with apply)", source, o[i].line, o[i].kind) < 0 ? -ENOMEM : -EBADMSG;
		else if (o[i].namespace && !streq(o[i].namespace, namespace))
			r = asprintf(&error, "%s:%u: %s %s is in namespace %s, not the addon's %s: kubectl apply -n %s would "
				     "refuse it", source, o[i].line, o[i].kind, o[i].name, o[i].namespace, namespace,
				     namespace) < 0 ? -ENOMEM : -EBADMSG;
	}
	manifest_objects_free(o, n);
	if (r == -EBADMSG && ret_error)
		*ret_error = TAKE_PTR(error);
	return r;
}

static int bake_addon(Build *b, const ProfileAddon *a, size_t index, const char *profile_dir, json_t *list) {
	_cleanup_free_ char *dir = NULL;
	const ProfileAddonPodSecurity *ps = &a->pod_security;
	json_t *entry = json_pack("{s:s, s:s, s:s, s:[], s:[], s:{s:s, s:s?}}", "name", a->name, "version", a->version,
				  "namespace", a->namespace, "dependsOn", "manifests", "podSecurity", "level",
				  pod_security_level_to_string(ps->level), "reason", ps->reason);
	int r;

	if (!entry || json_array_append_new(list, entry) < 0)
		return log_oom();
	json_t *depends = json_object_get(entry, "dependsOn"), *manifests = json_object_get(entry, "manifests");
	if (a->n_manifests == 0)
		/* Said, not skipped: the node would report an addon it cannot apply. */
		return log_error_errno(-EOPNOTSUPP, "Addon %s has no manifests: built-in addon definitions are not implemented "
				       "in this version; give its manifests in the profile.", a->name);
	if (asprintf(&dir, "/usr/lib/kiln/addons/%0*zu-%s", tree_addon_number_width(b->profile->n_addons), index + 1,
		     a->name) < 0 || json_object_set_new(entry, "directory", json_string(dir)) < 0)
		return log_oom();
	for (size_t d = 0; d < a->n_depends_on; d++)
		if (json_array_append_new(depends, json_string(a->depends_on[d])) < 0)
			return log_oom();

	for (size_t m = 0; m < a->n_manifests; m++) {
		_cleanup_free_ char *text = NULL, *error = NULL, *file = NULL, *rel = NULL;
		const char *source = a->manifests[m];
		size_t size = 0;

		r = bundle_manifest_read(source, profile_dir, b->lock, b->cache_dir, &text, &size, &error);
		if (r < 0)
			return log_error_errno(r, "Addon %s: %s", a->name, error ?: strerror(-r));
		r = tree_addon_check(a->namespace, source, text, size, &error);
		if (r < 0)
			return log_error_errno(r, "Addon %s: %s", a->name, error ?: strerror(-r));
		if ((r = tree_addon_file_name(source, m, a->n_manifests, &file)) < 0 ||
		    asprintf(&rel, "%s/%s", dir, file) < 0)
			return log_oom();
		r = tree_add_file(b, rel, text, size, 0644);
		if (r < 0)
			return log_error_errno(r, "Cannot write the manifest %s of addon %s as %s: %m", source, a->name, rel);
		if (json_array_append_new(manifests, json_string(rel)) < 0)
			return log_oom();
	}
	return 0;
}

int tree_addons(Build *b) {
	_cleanup_free_ char *profile_dir = NULL;
	size_t n_manifests = 0;
	int r;

	b->image_addons = json_array();
	if (!b->image_addons)
		return log_oom();
	if (b->opts.without_kubernetes) {
		if (b->profile->n_addons > 0)
			log_info("Addons: none baked (--without-kubernetes): there is no cluster to apply them to.");
		return 0;
	}
	if (bundle_profile_dir(b->opts.profile_path, &profile_dir) < 0)
		return log_oom();
	for (size_t i = 0; i < b->profile->n_addons; i++) {
		r = bake_addon(b, &b->profile->addons[i], i, profile_dir, b->image_addons);
		if (r < 0)
			return r;
		n_manifests += b->profile->addons[i].n_manifests;
	}
	if (b->profile->n_addons > 0)
		log_info("Addons: %zu baked into /usr/lib/kiln/addons, %zu manifests.", b->profile->n_addons, n_manifests);
	return 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* manifest.json: what is in the image and where it came from. Keys sorted, so that two
 * builds of the same inputs write the same bytes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build.h"
#include "config.h"
#include "dpkg-status.h"
#include "fileio.h"
#include "log.h"
#include "package-origins.h"
#include "strv.h"

/* NAME: {version, origin: [suites]} for each installed package. A package apt did not see
 * in any suite (installed from elsewhere, or the origins list went missing) is an error:
 * the manifest would not say where the image's code came from. */
static int installed_packages(const char *status_path, json_t *origins, json_t **ret) {
	_cleanup_strv_free_ char **installed = NULL;
	_cleanup_(json_decrefp) json_t *pkgs = json_object();
	int r = dpkg_status_installed(status_path, &installed);
	if (r < 0)
		return log_error_errno(r, "Cannot read the package list from %s: %m", status_path);
	if (!pkgs)
		return log_oom();

	STRV_FOREACH(p, installed) {
		_cleanup_free_ char *name = strndup(*p, strcspn(*p, " "));
		if (!name)
			return log_oom();
		const char *version = *p + strlen(name) + 1;
		json_t *suites = package_origins_find(origins, name, version);
		if (!suites)
			return log_error_errno(-ENOENT, "The package list has no origin for %s %s.", name, version);
		if (json_object_set_new(pkgs, name, json_pack("{s:s, s:O}", "version", version, "origin", suites)) < 0)
			return log_oom();
	}
	*ret = TAKE_PTR(pkgs);
	return 0;
}

int step_manifest(Build *b) {
	_cleanup_free_ char *status = NULL, *origins_path = NULL, *path = NULL, *text = NULL;
	_cleanup_(json_decrefp) json_t *origins = NULL;
	json_t *packages = NULL;
	unsigned line = 0;
	char version[32];
	int r;

	if (asprintf(&status, "%s/lib/dpkg/status", b->var_tree_dir) < 0 ||
	    asprintf(&origins_path, "%s/" PACKAGE_ORIGINS_PATH, b->tree_dir) < 0 ||
	    asprintf(&path, "%s/manifest.json", b->staging_dir) < 0)
		return log_oom();
	r = package_origins_read(origins_path, &origins, &line);
	if (r == -EBADMSG)
		return log_error_errno(r, "%s:%u: not a \"NAME VERSION SUITE\" line.", origins_path, line);
	if (r < 0)
		return log_error_errno(r, "Cannot read where the packages came from (%s): %m", origins_path);
	r = installed_packages(status, origins, &packages);
	if (r < 0)
		return r;

	const KubernetesVersion *kv = &b->profile->kubernetes.version;
	snprintf(version, sizeof version, "v%u.%u.%u", kv->major, kv->minor, kv->patch);

	json_t *m = json_pack("{s:i, s:s, s:{s:s, s:s}, s:I, s:s, s:{s:b, s:s, s:O}, s:o, s:O, s:O, s:O, s:{s:s, s:I}}",
			      "manifestVersion", 1,
			      "kilnVersion", KILN_VERSION,
			      "profile", "name", b->profile->name, "sha256", b->profile_sha256,
			      "sourceDateEpoch", (json_int_t) b->epoch,
			      "kernel", b->kernel_version,
			      "kubernetes", "present", b->kubernetes_present, "version", version, "artifacts", b->artifacts,
			      "packages", packages,
			      "files", b->files,
			      "partitions", b->partitions,
			      "images", b->images,
			      "image", "rootSha256", b->root_sha256, "diskSize", (json_int_t) b->layout.disk_size);
	if (!m)
		return log_oom();
	json_t *outputs = NULL;
	r = manifest_outputs(b, &outputs);
	if (r < 0 || json_object_set_new(m, "outputs", outputs) < 0) {
		json_decref(m);
		return r < 0 ? r : log_oom();
	}
	text = json_dumps(m, JSON_SORT_KEYS | JSON_INDENT(2));
	json_decref(m);
	if (!text)
		return log_oom();
	size_t n = strlen(text);
	char *t = realloc(text, n + 2);
	if (!t)
		return log_oom();
	text = t;
	text[n] = '\n';
	text[n + 1] = '\0';
	r = write_file_atomic(path, text, n + 1, 0644, 0);
	if (r < 0)
		return log_error_errno(r, "Cannot write %s: %m", path);
	return 0;
}

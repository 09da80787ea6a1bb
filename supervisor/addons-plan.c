/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addons-plan.h"
#include "fileio.h"
#include "hash.h"
#include "manifest-objects.h"

/* The workloads the phase waits for, with their API groups: a custom resource that
 * reuses one of the names is not one of them. */
static const struct {
	const char *group, *kind;
} workload_kinds[] = {
	{ "apps", "Deployment" }, { "apps", "DaemonSet" }, { "apps", "StatefulSet" }, { "batch", "Job" },
};

void addon_targets_free(AddonTarget *t, size_t n) {
	for (size_t i = 0; i < n; i++) {
		free(t[i].kind);
		free(t[i].namespace);
		free(t[i].name);
	}
	free(t);
}

int addon_targets_read(const char *text, size_t size, const char *name, const char *namespace,
		       AddonTarget **targets, size_t *n_targets, char **ret_error) {
	ManifestObject *o = NULL;
	AddonTarget *t = NULL;
	size_t n = 0, found = 0;
	int r;

	if (!text || isempty(namespace) || !targets || !n_targets)
		return -EINVAL;
	r = manifest_objects_parse(text, size, name, &o, &n, ret_error);
	if (r < 0)
		return r;
	t = calloc(*n_targets + n + 1, sizeof *t);
	if (!t) {
		manifest_objects_free(o, n);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n && r >= 0; i++) {
		size_t k;
		for (k = 0; k < ELEMENTSOF(workload_kinds); k++)
			if (manifest_object_is(&o[i], workload_kinds[k].group, workload_kinds[k].kind))
				break;
		if (k == ELEMENTSOF(workload_kinds))
			continue;
		if (!o[i].name) {
			if (ret_error && asprintf(ret_error, "%s:%u:1: %s without metadata.name", name ?: "(input)", o[i].line,
						  o[i].kind) < 0)
				*ret_error = NULL;
			r = -EBADMSG;
			break;
		}
		AddonTarget *x = &t[*n_targets + found++];
		if (!(x->kind = strdup(o[i].kind)) || !(x->name = strdup(o[i].name)) ||
		    !(x->namespace = strdup(o[i].namespace ?: namespace)))
			r = -ENOMEM;
	}
	manifest_objects_free(o, n);
	if (r < 0) {
		/* Only the new ones: the caller's stay its own. */
		for (size_t i = 0; i < found; i++) {
			free(t[*n_targets + i].kind);
			free(t[*n_targets + i].namespace);
			free(t[*n_targets + i].name);
		}
		free(t);
		return r;
	}
	if (*n_targets > 0)
		memcpy(t, *targets, *n_targets * sizeof *t);
	free(*targets);
	*targets = t;
	*n_targets += found;
	return 0;
}

void addon_plan_done(AddonPlan *p) {
	if (!p)
		return;
	free(p->name);
	free(p->version);
	free(p->namespace);
	free(p->directory);
	addon_targets_free(p->targets, p->n_targets);
	free(p->pod_security_level);
	free(p->pod_security_reason);
	free(p->digest);
	*p = (AddonPlan) {};
}

static int problem(char **ret, int error, const char *fmt, ...) _printf_(3, 4);
static int problem(char **ret, int error, const char *fmt, ...) {
	va_list ap;

	if (!ret)
		return error;
	va_start(ap, fmt);
	if (vasprintf(ret, fmt, ap) < 0)
		*ret = NULL;
	va_end(ap);
	return error;
}

int addon_plan_load(const char *root, const ImageInfoAddon *a, AddonPlan *ret, char **ret_problem) {
	_cleanup_(hash_context_freep) HashContext *h = NULL;
	AddonPlan p = {};
	uint8_t md[HASH_SIZE_MAX];
	char hex[2 * HASH_SIZE_MAX + 1];
	size_t len, rlen;
	int r;

	if (isempty(root) || !a || !ret)
		return -EINVAL;
	rlen = strlen(root);
	while (rlen > 0 && root[rlen - 1] == '/')
		rlen--;
	if (!(p.name = strdup(a->name)) || !(p.namespace = strdup(a->namespace)) ||
	    (a->version && !(p.version = strdup(a->version))) ||
	    !(p.pod_security_level = strdup(a->pod_security_level ?: "restricted")) ||
	    (a->pod_security_reason && !(p.pod_security_reason = strdup(a->pod_security_reason))) ||
	    asprintf(&p.directory, "%.*s%s", (int) rlen, root, a->directory) < 0) {
		p.directory = NULL;
		addon_plan_done(&p);
		return -ENOMEM;
	}
	r = hash_context_new(HASH_SHA256, &h);
	/* The namespace's labels are part of what is applied: a new level or reason (an
	 * image update) is put on at the next boot, as new manifests are. */
	if (r >= 0) {
		_cleanup_free_ char *labels = NULL;
		if (asprintf(&labels, "podSecurity\n%s\n%s\n", p.pod_security_level, p.pod_security_reason ?: "") < 0)
			r = -ENOMEM;
		else
			r = hash_context_update(h, labels, strlen(labels));
	}
	for (char **m = a->manifests; r >= 0 && m && *m; m++) {
		_cleanup_free_ char *path = NULL, *text = NULL, *error = NULL;
		char sep[32];
		size_t size = 0;

		if (asprintf(&path, "%.*s%s", (int) rlen, root, *m) < 0) {
			path = NULL;
			r = -ENOMEM;
			break;
		}
		r = read_full_file(path, &text, &size);
		if (r < 0) {
			r = problem(ret_problem, r, "cannot read the manifest %s: %s", path, strerror(-r));
			break;
		}
		r = addon_targets_read(text, size, *m, a->namespace, &p.targets, &p.n_targets, &error);
		if (r < 0) {
			/* The reader's message starts with the manifest's name and place. */
			r = error ? problem(ret_problem, r, "%s", error) : problem(ret_problem, r, "the manifest %s: %s", *m, strerror(-r));
			break;
		}
		/* The name, the size, the bytes: two files never hash like one. */
		snprintf(sep, sizeof sep, "\n%zu\n", size);
		if ((r = hash_context_update(h, *m, strlen(*m))) < 0 || (r = hash_context_update(h, sep, strlen(sep))) < 0 ||
		    (r = hash_context_update(h, text, size)) < 0)
			break;
	}
	if (r >= 0 && (r = hash_context_final(h, md, &len)) >= 0 && (r = hexmem_buf(md, len, hex, sizeof hex)) >= 0 &&
	    asprintf(&p.digest, "sha256:%s", hex) < 0) {
		p.digest = NULL;
		r = -ENOMEM;
	}
	if (r < 0) {
		addon_plan_done(&p);
		return r;
	}
	*ret = p;
	return 0;
}

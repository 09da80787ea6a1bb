/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Every process of every task containerd runs, in every namespace (the CRI's "k8s.io"
 * and any other), declared by its container's OCI runtime spec and by kiln's list of
 * containers allowed to run unconfined. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc-util.h"
#include "audit-exceptions.h"
#include "audit.h"
#include "containerd-tasks.h"
#include "diag.h"
#include "macro.h"
#include "security-profile.h"
#include "strv.h"

#define CONTAINERD_CALL_TIMEOUT_USEC (5 * USEC_PER_SEC)

/* The CRI's labels on the containers it creates. */
#define LABEL_POD_NAMESPACE  "io.kubernetes.pod.namespace"
#define LABEL_POD_NAME       "io.kubernetes.pod.name"
#define LABEL_CONTAINER_NAME "io.kubernetes.container.name"
#define LABEL_KIND           "io.cri-containerd.kind"

/* One capability set of the spec's process.capabilities: absent is empty. */
static int spec_caps(json_t *caps, const char *key, uint64_t *ret) {
	json_t *list = json_object_get(caps, key), *v;
	size_t i;

	*ret = 0;
	if (!list)
		return 0;
	if (!json_is_array(list))
		return -EBADMSG;
	json_array_foreach(list, i, v) {
		char *name = (char *) json_string_value(v);
		uint64_t bit;
		if (!name || security_capability_mask(&name, 1, &bit) < 0)
			return -EBADMSG;
		*ret |= bit;
	}
	return 0;
}

/* What the OCI runtime spec (config.json, as containerd holds it) declares. */
static int declare_from_spec(const char *spec, AuditDeclared *d) {
	json_error_t error;
	json_t *root = json_loads(spec, 0, &error), *process, *caps;
	int r = -EBADMSG;

	if (!root)
		return -EBADMSG;
	process = json_object_get(root, "process");
	if (!json_is_object(process))
		goto finish;
	caps = json_object_get(process, "capabilities");
	if (caps && !json_is_object(caps))
		goto finish;
	if ((r = spec_caps(caps, "bounding", &d->cap_bounding)) < 0 ||
	    (r = spec_caps(caps, "permitted", &d->cap_permitted)) < 0 ||
	    (r = spec_caps(caps, "effective", &d->cap_effective)) < 0 ||
	    (r = spec_caps(caps, "ambient", &d->cap_ambient)) < 0)
		goto finish;
	d->no_new_privs = json_is_true(json_object_get(process, "noNewPrivileges"));
	d->seccomp = json_is_object(json_object_get(json_object_get(root, "linux"), "seccomp"));
	d->min_filters = 1;
	r = 0;
finish:
	json_decref(root);
	return r;
}

/* "k8s.io/NS/POD/CONTAINER" for the CRI's containers ("(sandbox)" for a pod's sandbox,
 * which has no container name: parentheses are in no Kubernetes name), else
 * "NAMESPACE/ID". */
static int container_name(const char *namespace, const ContainerdContainer *c, char **ret) {
	const char *pod_ns = containerd_container_label(c, LABEL_POD_NAMESPACE);
	const char *pod = containerd_container_label(c, LABEL_POD_NAME);
	const char *name = containerd_container_label(c, LABEL_CONTAINER_NAME);
	const char *kind = containerd_container_label(c, LABEL_KIND);
	int k;

	if (pod_ns && pod && (name || streq_ptr(kind, "sandbox")))
		k = asprintf(ret, "%s/%s/%s/%s", namespace, pod_ns, pod, name ?: "(sandbox)");
	else
		k = asprintf(ret, "%s/%s", namespace, c->id);
	return k < 0 ? -ENOMEM : 0;
}

static int audit_task(Audit *a, const AuditSources *s, const AuditExceptions *exceptions, const char *namespace,
		      const ContainerdTask *t) {
	_cleanup_(containerd_container_done) ContainerdContainer c = {};
	_cleanup_free_ char *name = NULL;
	_cleanup_free_ pid_t *pids = NULL;
	AuditDeclared declared = {};
	size_t n = 0;
	int r;

	r = containerd_get_container(s->containerd_socket, namespace, t->container_id, CONTAINERD_CALL_TIMEOUT_USEC,
				     &c);
	if (r == -EREMOTEIO)
		return 0;  /* removed since the task list was read */
	if (r < 0)
		return audit_add_error(a, "container %s/%s: containerd does not give its record: %s", namespace,
				       t->container_id, strerror(-r));
	r = container_name(namespace, &c, &name);
	if (r < 0)
		return r;
	if (!c.spec || declare_from_spec(c.spec, &declared) < 0)
		return audit_add_error(a, "container %s: its OCI runtime spec cannot be read", name);
	r = containerd_list_pids(s->containerd_socket, namespace, t->container_id, CONTAINERD_CALL_TIMEOUT_USEC,
				 &pids, &n);
	if (r == -EREMOTEIO)
		return 0;  /* the task ended */
	if (r < 0)
		return audit_add_error(a, "container %s: containerd does not list its processes: %s", name,
				       strerror(-r));

	const char *reason = audit_exceptions_unconfined(exceptions, name);
	for (size_t i = 0; i < n; i++) {
		AuditEntry *e = audit_add(a, AUDIT_CONTAINER, pids[i]);
		if (!e)
			return -ENOMEM;
		r = proc_status_read(s->proc_root, pids[i], &e->seen);
		if (r < 0) {
			/* Ended between the listing and the read. */
			a->n_entries--;
			continue;
		}
		e->declared = declared;
		e->declared.source = NULL;
		e->declared.unconfined_reason = NULL;
		if (!(e->name = strdup(name)) ||
		    asprintf(&e->declared.source, "the OCI spec of %s/%s", namespace, t->container_id) < 0 ||
		    (reason && !(e->declared.unconfined_reason = strdup(reason))))
			return -ENOMEM;
		e->declared_known = true;
	}
	return 0;
}

int audit_collect_containers(Audit *a, const AuditSources *s) {
	_cleanup_(diag_list_done) DiagList diags = {};
	_cleanup_strv_free_ char **namespaces = NULL;
	AuditExceptions exceptions = {};
	int r;

	r = audit_exceptions_load_file(s->exceptions_file, &exceptions, &diags);
	if (r == -EBADMSG) {
		for (size_t i = 0; i < diags.n; i++) {
			_cleanup_free_ char *line = NULL;
			if (diag_format(&diags.items[i], &line) < 0 || audit_add_error(a, "%s", line) < 0)
				return -ENOMEM;
		}
		/* Audited all the same, with no exception: more is reported, never less. */
	} else if (r < 0 && r != -ENOENT)
		return r == -ENOMEM ? r : audit_add_error(a, "%s: %s", s->exceptions_file, strerror(-r));

	r = containerd_list_namespaces(s->containerd_socket, CONTAINERD_CALL_TIMEOUT_USEC, &namespaces);
	if (r < 0) {
		r = audit_add_error(a, "containerd on %s does not list its namespaces: %s", s->containerd_socket,
				    strerror(-r));
		goto finish;
	}
	STRV_FOREACH(ns, namespaces) {
		ContainerdTask *tasks = NULL;
		size_t n = 0;

		r = containerd_list_tasks(s->containerd_socket, *ns, CONTAINERD_CALL_TIMEOUT_USEC, &tasks, &n);
		if (r < 0) {
			r = audit_add_error(a, "containerd does not list the tasks of namespace %s: %s", *ns,
					    strerror(-r));
			if (r < 0)
				goto finish;
			continue;
		}
		for (size_t i = 0; i < n && r >= 0; i++)
			if (tasks[i].pid > 0 && tasks[i].status != CONTAINERD_TASK_STOPPED)
				r = audit_task(a, s, &exceptions, *ns, &tasks[i]);
		containerd_tasks_free(tasks, n);
		if (r < 0)
			goto finish;
	}
	r = 0;
finish:
	audit_exceptions_done(&exceptions);
	return r;
}

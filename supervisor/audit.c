/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc-util.h"
#include "audit.h"
#include "macro.h"
#include "security-profile.h"
#include "strv.h"

static const char *const kind_names[_AUDIT_KIND_MAX] = {
	[AUDIT_SUPERVISOR] = "supervisor",
	[AUDIT_HELPER]     = "helper",
	[AUDIT_CONTAINER]  = "container",
};

const char *audit_kind_to_string(AuditKind k) {
	return (unsigned) k < _AUDIT_KIND_MAX ? kind_names[k] : NULL;
}

static void entry_done(AuditEntry *e) {
	free(e->name);
	free(e->declared.source);
	free(e->declared.unconfined_reason);
	strv_free(e->findings);
}

void audit_done(Audit *a) {
	for (size_t i = 0; i < a->n_entries; i++)
		entry_done(&a->entries[i]);
	free(a->entries);
	strv_free(a->errors);
	*a = (Audit) {};
}

AuditEntry *audit_add(Audit *a, AuditKind kind, pid_t pid) {
	if (!GREEDY_REALLOC(a->entries, a->allocated, a->n_entries + 1))
		return NULL;
	AuditEntry *e = &a->entries[a->n_entries++];
	*e = (AuditEntry) { .kind = kind, .pid = pid };
	return e;
}

int audit_add_error(Audit *a, const char *fmt, ...) {
	char *s;
	va_list ap;

	va_start(ap, fmt);
	int k = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (k < 0)
		return -ENOMEM;
	return strv_consume(&a->errors, s);
}

/* A capability set the kernel shows against the declared one: what it holds beyond. */
static int check_caps(AuditEntry *e, const char *field, uint64_t seen, uint64_t declared) {
	_cleanup_free_ char *names = NULL;
	uint64_t extra = seen & ~declared;
	int r;

	if (!extra)
		return 0;
	r = security_capability_names(extra, &names);
	if (r < 0)
		return r;
	return strv_extendf(&e->findings, "%s holds %s beyond the declared set (%s)", field, names,
			    e->declared.source);
}

int audit_entry_check(AuditEntry *e) {
	const AuditDeclared *d = &e->declared;
	const ProcStatus *s = &e->seen;
	int r;

	e->findings = strv_free(e->findings);
	if (!e->declared_known)
		return strv_extend(&e->findings, "nothing declares what this process may do");

	if ((r = check_caps(e, "CapEff", s->cap_effective, d->cap_effective)) < 0 ||
	    (r = check_caps(e, "CapPrm", s->cap_permitted, d->cap_permitted)) < 0 ||
	    (r = check_caps(e, "CapBnd", s->cap_bounding, d->cap_bounding)) < 0 ||
	    (r = check_caps(e, "CapAmb", s->cap_ambient, d->cap_ambient)) < 0)
		return r;
	if (d->no_new_privs && !s->no_new_privs &&
	    (r = strv_extendf(&e->findings, "NoNewPrivs is 0, declared 1 (%s)", d->source)) < 0)
		return r;

	if (s->seccomp == PROC_SECCOMP_DISABLED) {
		/* Unconfined: a violation whatever the spec says, unless kiln declares the
		 * exception with its reason. */
		if (d->seccomp)
			r = strv_extendf(&e->findings, "Seccomp is disabled, a filter is declared (%s)", d->source);
		else if (!d->unconfined_reason)
			r = strv_extend(&e->findings, "Seccomp is disabled (unconfined), and no exception declares it");
		if (r < 0)
			return r;
	} else if (s->seccomp == PROC_SECCOMP_FILTER && d->seccomp && s->seccomp_filters > 0 &&
		   s->seccomp_filters < d->min_filters) {
		/* Seccomp_filters is 0 only on kernels that do not report it. */
		r = strv_extendf(&e->findings, "Seccomp_filters is %u, at least %u declared: its parent's and its own (%s)",
				 s->seccomp_filters, d->min_filters, d->source);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Supervisor, helpers, containers; by name, then pid: the same node gives the same order
 * whatever order containerd and the cgroup listed them in. */
static int entry_compare(const void *x, const void *y) {
	const AuditEntry *a = x, *b = y;
	int c;

	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	if ((c = strcmp(a->name, b->name)) != 0)
		return c;
	return (a->pid > b->pid) - (a->pid < b->pid);
}

int audit_run(Audit *a, const AuditSources *s) {
	int r;

	if (s->unit && (r = audit_collect_node(a, s)) < 0)
		return r;
	if (s->containerd_socket && (r = audit_collect_containers(a, s)) < 0)
		return r;
	if (a->n_entries > 1)
		qsort(a->entries, a->n_entries, sizeof *a->entries, entry_compare);
	a->n_violations = 0;
	for (size_t i = 0; i < a->n_entries; i++) {
		r = audit_entry_check(&a->entries[i]);
		if (r < 0)
			return r;
		if (a->entries[i].findings && a->entries[i].findings[0])
			a->n_violations++;
	}
	return 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "alloc-util.h"
#include "audit-exceptions.h"
#include "fileio.h"
#include "macro.h"

static bool is_pattern(const char *s) {
	/* At least "NAMESPACE/X": a bare "*" would excuse every container on the node. */
	const char *slash = strchr(s, '/');
	return slash && slash > s && slash[1] && !strchr(s, '\n');
}

static const SchemaCheck pattern_check = {
	.what = "container pattern",
	.expected = "an fnmatch(3) pattern such as k8s.io/kube-system/kube-proxy-*/kube-proxy",
	.is_valid = is_pattern,
};

static const SchemaField exception_fields[] = {
	{ SCHEMA_KEY("container", SCHEMA_STRING, AuditException, container), .flags = SCHEMA_REQUIRED | SCHEMA_UNIQUE,
	  .check = &pattern_check, .help = "the containers it allows, by the auditor's name for them" },
	{ SCHEMA_KEY("reason", SCHEMA_STRING, AuditException, reason), .flags = SCHEMA_REQUIRED,
	  .help = "why they may run without a seccomp filter" },
};
static const SchemaTable exception_table = SCHEMA_TABLE(AuditException, exception_fields);

static const SchemaField exceptions_fields[] = {
	{ SCHEMA_LIST_KEY("unconfined", SCHEMA_MAPPING, AuditExceptions, unconfined), .flags = SCHEMA_LIST,
	  .child = &exception_table, .help = "containers that may run without a seccomp filter" },
};
const SchemaTable audit_exceptions_schema = SCHEMA_TABLE(AuditExceptions, exceptions_fields);

void audit_exceptions_done(AuditExceptions *e) {
	if (!e)
		return;
	schema_positions_done(&e->positions);
	schema_done(&audit_exceptions_schema, e);
}

int audit_exceptions_load_buffer(const char *file, const void *buf, size_t size, AuditExceptions *ret,
				 DiagList *diags) {
	AuditExceptions e = {};
	size_t before = diags->n;
	int r;

	r = schema_load(&audit_exceptions_schema, file, buf, size, &e, &e.positions, diags);
	if (r >= 0 && diags->n > before) {
		diag_list_sort_unique(diags);
		r = -EBADMSG;
	}
	if (r < 0) {
		audit_exceptions_done(&e);
		return r;
	}
	*ret = e;
	return 0;
}

int audit_exceptions_load_file(const char *path, AuditExceptions *ret, DiagList *diags) {
	_cleanup_free_ char *buf = NULL;
	size_t size;
	int r;

	r = read_full_file_max(path, SCHEMA_INPUT_MAX, &buf, &size);
	if (r < 0)
		return r;
	return audit_exceptions_load_buffer(path, buf, size, ret, diags);
}

const char *audit_exceptions_unconfined(const AuditExceptions *e, const char *name) {
	for (size_t i = 0; e && i < e->n_unconfined; i++)
		if (fnmatch(e->unconfined[i].container, name, 0) == 0)
			return e->unconfined[i].reason;
	return NULL;
}

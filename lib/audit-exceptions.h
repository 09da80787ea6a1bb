/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The containers kiln allows to run without a seccomp filter, each with its reason
 * (/usr/lib/kiln/audit-exceptions.yaml, kiln-security(5)): kilnctl audit reports every
 * other unconfined container process as a violation. An exception names containers by
 * an fnmatch(3) pattern on the auditor's name for them,
 * "CONTAINERD-NAMESPACE/POD-NAMESPACE/POD/CONTAINER" for Kubernetes' containers and
 * "CONTAINERD-NAMESPACE/ID" for others. It allows running unconfined and nothing else:
 * capabilities beyond the container's spec are violations whatever this file says. */

#include <stddef.h>

#include "diag.h"
#include "schema.h"

typedef struct AuditException {
	char *container;        /* the pattern */
	char *reason;
} AuditException;

typedef struct AuditExceptions {
	AuditException *unconfined;
	size_t n_unconfined;
	SchemaPositions positions;
} AuditExceptions;

extern const SchemaTable audit_exceptions_schema;

/* Parse and check: -EBADMSG with every problem (file:line:column) in diags. */
int audit_exceptions_load_buffer(const char *file, const void *buf, size_t size, AuditExceptions *ret,
				 DiagList *diags);
/* The file at path; -ENOENT when there is none (no exceptions). */
int audit_exceptions_load_file(const char *path, AuditExceptions *ret, DiagList *diags);
void audit_exceptions_done(AuditExceptions *e);

/* The reason of the first exception whose pattern matches name, or NULL. */
const char *audit_exceptions_unconfined(const AuditExceptions *e, const char *name);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The auditor: what the kernel shows each confined process may do, compared with what
 * was declared for it. The kernel's view is /proc/PID/status (lib/proc-status.h); the
 * declarations are
 *   - the supervisor: its unit's sandbox, as systemd reports it on the bus
 *     (CapabilityBoundingSet, AmbientCapabilities, NoNewPrivileges, SystemCallFilter);
 *   - a helper (any other process in the supervisor's cgroup, or one below it): the security profile named
 *     by its command (/usr/lib/kiln/security/NAME.yaml, kiln-security(5));
 *   - a container process (every process of every task containerd lists): its OCI
 *     runtime spec as containerd holds it (process.capabilities, noNewPrivileges,
 *     linux.seccomp), and kiln's list of containers allowed to run without a seccomp
 *     filter, each with its reason (audit-exceptions.yaml).
 * A process that holds a capability outside a declared set, lacks a declared
 * no_new_privs or filter, runs unconfined without a declared exception, or is declared
 * by nothing, is a violation. Nothing here trusts a manifest for what the kernel shows. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "macro.h"
#include "proc-status.h"

typedef enum AuditKind {
	AUDIT_SUPERVISOR,
	AUDIT_HELPER,
	AUDIT_CONTAINER,
	_AUDIT_KIND_MAX,
} AuditKind;

typedef struct AuditDeclared {
	char *source;                   /* where it was read: a unit, a profile file, a spec */
	uint64_t cap_bounding, cap_permitted, cap_effective, cap_ambient;
	bool no_new_privs;
	bool seccomp;                   /* a seccomp filter is declared */
	unsigned min_filters;           /* Seccomp_filters at least: the inherited ones and its own */
	char *unconfined_reason;        /* an exception: it may run without a filter, because */
} AuditDeclared;

typedef struct AuditEntry {
	AuditKind kind;
	char *name;                     /* "kiln-supervisor", "kubectl", "k8s.io/NS/POD/CONTAINER" */
	pid_t pid;
	ProcStatus seen;
	bool declared_known;            /* false: nothing declares this process */
	AuditDeclared declared;
	char **findings;                /* each way the kernel's view exceeds the declaration */
} AuditEntry;

typedef struct Audit {
	AuditEntry *entries;
	size_t n_entries, allocated;
	char **errors;                  /* what could not be audited, and why */
	size_t n_violations;            /* entries with findings */
} Audit;

/* Where the declarations and the kernel's view are read (kilnctl audit's options). */
typedef struct AuditSources {
	const char *proc_root;          /* "/proc" */
	const char *unit;               /* "kiln-supervisor.service"; NULL: not audited */
	const char *profile_dir;        /* the helpers' security profiles */
	const char *containerd_socket;  /* NULL: containers not audited */
	const char *exceptions_file;    /* containers allowed to run unconfined; may be absent */
} AuditSources;

#define AUDIT_EXCEPTIONS_FILE "/usr/lib/kiln/audit-exceptions.yaml"
#define AUDIT_CONTAINERD_SOCKET "/run/containerd/containerd.sock"

void audit_done(Audit *a);
const char *audit_kind_to_string(AuditKind k);

/* A new entry at the end of a (zeroed, kind and pid set); NULL on -ENOMEM. */
AuditEntry *audit_add(Audit *a, AuditKind kind, pid_t pid);
int audit_add_error(Audit *a, const char *fmt, ...) _printf_(2, 3);

/* Compare e->seen with e->declared and set e->findings (audit-check.c). */
int audit_entry_check(AuditEntry *e);

/* Gather the entries of each kind (audit-node.c, audit-containers.c): a source that
 * cannot be read is an error line in a->errors, not a failure; -ENOMEM is. */
int audit_collect_node(Audit *a, const AuditSources *s);
int audit_collect_containers(Audit *a, const AuditSources *s);

/* Everything s names, each entry checked: a->n_violations counts entries with findings. */
int audit_run(Audit *a, const AuditSources *s);

/* Output (audit-format.c): a table for people, a JSON document, or TAP (one test per
 * entry, one more per error), each in a malloc'd string. */
int audit_format_table(const Audit *a, char **ret);
int audit_format_json(const Audit *a, char **ret);
int audit_format_tap(const Audit *a, char **ret);

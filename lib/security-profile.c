/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Security profiles: the schema table, the checks across fields, loading. kiln-security(5)
 * documents the same table; keep them in step. */
#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "parse-util.h"
#include "security-profile.h"
#include "syscall-groups.h"

_Static_assert(sizeof(SeccompDefaultAction) == sizeof(int) && sizeof(SeccompErrno) == sizeof(int) &&
	       sizeof(SocketFamily) == sizeof(int) && sizeof(NamespaceType) == sizeof(int),
	       "enums are stored as int");

#define WORDS(name, type, ...)                                                    \
	static const char *const name##_words[] = { __VA_ARGS__, NULL };           \
	const char *name##_to_string(type v) {                                     \
		return (int) v >= 0 && (size_t) v < ELEMENTSOF(name##_words) - 1 ? name##_words[v] : NULL; \
	}

WORDS(seccomp_default_action, SeccompDefaultAction, "errno", "kill")
WORDS(seccomp_errno, SeccompErrno, "EPERM", "EACCES", "ENOSYS")
WORDS(socket_family, SocketFamily, "AF_UNIX", "AF_INET", "AF_INET6", "AF_NETLINK", "AF_PACKET", "AF_VSOCK")
WORDS(namespace_type, NamespaceType, "mnt", "uts", "ipc", "net", "pid", "user", "cgroup", "time")

int seccomp_errno_value(SeccompErrno e) {
	static const int v[] = { EPERM, EACCES, ENOSYS };
	return (int) e >= 0 && (size_t) e < ELEMENTSOF(v) ? v[e] : EPERM;
}

int socket_family_value(SocketFamily f) {
	static const int v[] = { AF_UNIX, AF_INET, AF_INET6, AF_NETLINK, AF_PACKET, AF_VSOCK };
	return (int) f >= 0 && (size_t) f < ELEMENTSOF(v) ? v[f] : -1;
}

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

unsigned long namespace_type_flag(NamespaceType t) {
	static const unsigned long v[] = { CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWNET, CLONE_NEWPID,
					   CLONE_NEWUSER, CLONE_NEWCGROUP, CLONE_NEWTIME };
	return (int) t >= 0 && (size_t) t < ELEMENTSOF(v) ? v[t] : 0;
}

/* "CAP_SYS_ADMIN": libcap's names, written as the kernel's headers and systemd do. */
static bool capability_name_is_valid(const char *s) {
	cap_value_t c;
	if (!s || strncmp(s, "CAP_", 4) != 0)
		return false;
	for (const char *p = s + 4; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_'))
			return false;
	return cap_from_name(s, &c) == 0 && c >= 0 && c < 64;
}

/* An absolute path without ".", ".." or empty components, or "/" itself. */
static bool writable_path_is_valid(const char *s) {
	return s && s[0] == '/' && (s[1] == '\0' || relative_path_is_valid(s + 1));
}

/* A user or group: a number, or a name as useradd(8) takes them. */
static bool identity_is_valid(const char *s) {
	if (!s || !*s || strlen(s) > 32)
		return false;
	if (s[0] >= '0' && s[0] <= '9') {
		for (const char *p = s; *p; p++)
			if (*p < '0' || *p > '9')
				return false;
		return true;
	}
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
			return false;
	return true;
}

#define LABEL_TEXT "lowercase letters, digits and '-', starting with a letter"

static bool name_is_valid(const char *s) {
	if (!s || !(s[0] >= 'a' && s[0] <= 'z') || strlen(s) > 63)
		return false;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
			return false;
	return true;
}

static const SchemaCheck
	check_name = { "profile name", LABEL_TEXT, name_is_valid },
	check_capability = { "capability", "a capability such as CAP_NET_ADMIN (capabilities(7))", capability_name_is_valid },
	check_syscall = { "system call", "a system call of this architecture or a group such as @file-system (kiln-confine list)",
			  syscall_name_is_valid },
	check_path = { "path", "an absolute path without '.', '..' or empty components", writable_path_is_valid },
	check_identity = { "user or group", "a number or a name such as root or _kiln", identity_is_valid };


static const SchemaField capabilities_fields[] = {
	{ SCHEMA_LIST_KEY("bounding", SCHEMA_STRING, SecurityCapabilities, bounding),
	  .flags = SCHEMA_LIST | SCHEMA_UNIQUE,
	  .check = &check_capability, .help = "the bounding set: no process below may ever gain others" },
	{ SCHEMA_LIST_KEY("ambient", SCHEMA_STRING, SecurityCapabilities, ambient),
	  .flags = SCHEMA_LIST | SCHEMA_UNIQUE,
	  .check = &check_capability, .help = "what the helper holds after execve(); a subset of bounding" },
	{ SCHEMA_LIST_KEY("permitted", SCHEMA_STRING, SecurityCapabilities, permitted),
	  .flags = SCHEMA_LIST | SCHEMA_UNIQUE,
	  .check = &check_capability, .help = "the permitted set after execve(): the ambient set (left out, it is)" },
	{ SCHEMA_LIST_KEY("effective", SCHEMA_STRING, SecurityCapabilities, effective),
	  .flags = SCHEMA_LIST | SCHEMA_UNIQUE,
	  .check = &check_capability, .help = "the effective set after execve(): the ambient set (left out, it is)" },
};
static const SchemaTable capabilities_table = SCHEMA_TABLE(SecurityCapabilities, capabilities_fields);

static const SchemaField seccomp_fields[] = {
	{ SCHEMA_KEY("defaultAction", SCHEMA_ENUM, SecuritySeccomp, default_action), .values = seccomp_default_action_words,
	  .def = "errno", .help = "what a call outside the allow-list gets: an error, or the process killed" },
	{ SCHEMA_KEY("errno", SCHEMA_ENUM, SecuritySeccomp, errno_value), .values = seccomp_errno_words,
	  .help = "the error for defaultAction errno (EPERM when left out)" },
	{ SCHEMA_LIST_KEY("allow", SCHEMA_STRING, SecuritySeccomp, allow),
	  .flags = SCHEMA_LIST | SCHEMA_UNIQUE | SCHEMA_NONEMPTY,
	  .check = &check_syscall, .help = "system calls and @groups allowed besides @default" },
	{ SCHEMA_LIST_KEY("socketFamilies", SCHEMA_ENUM, SecuritySeccomp, socket_families),
	  .flags = SCHEMA_LIST | SCHEMA_UNIQUE,
	  .values = socket_family_words, .help = "the address families socket(2) may create; needed when socket is allowed" },
	{ SCHEMA_LIST_KEY("namespaces", SCHEMA_ENUM, SecuritySeccomp, namespaces), .flags = SCHEMA_LIST | SCHEMA_UNIQUE,
	  .values = namespace_type_words, .help = "namespaces clone, unshare and setns may create or enter; none when left out" },
};
static const SchemaTable seccomp_table = SCHEMA_TABLE(SecuritySeccomp, seccomp_fields);

static const SchemaField security_fields[] = {
	{ SCHEMA_KEY("name", SCHEMA_STRING, SecurityProfile, name), .flags = SCHEMA_REQUIRED, .check = &check_name,
	  .help = "name: the profile's name, the file's name without .yaml" },
	{ SCHEMA_KEY("description", SCHEMA_STRING, SecurityProfile, description), .flags = SCHEMA_REQUIRED,
	  .help = "description: which helper runs under it and what for" },
	{ SCHEMA_KEY("user", SCHEMA_STRING, SecurityProfile, user), .check = &check_identity, .def = "root",
	  .help = "the user the helper runs as" },
	{ SCHEMA_KEY("group", SCHEMA_STRING, SecurityProfile, group), .check = &check_identity, .def = "root",
	  .help = "the group the helper runs as" },
	{ SCHEMA_LIST_KEY("supplementaryGroups", SCHEMA_STRING, SecurityProfile, supplementary_groups),
	  .flags = SCHEMA_LIST | SCHEMA_UNIQUE, .check = &check_identity, .help = "its only supplementary groups" },
	{ SCHEMA_KEY("capabilities", SCHEMA_MAPPING, SecurityProfile, capabilities), .child = &capabilities_table,
	  .help = "capability sets" },
	{ SCHEMA_KEY("noNewPrivileges", SCHEMA_BOOL, SecurityProfile, no_new_privileges), .def = "true",
	  .help = "PR_SET_NO_NEW_PRIVS: execve() never grants privileges (setuid bits, file capabilities)" },
	{ SCHEMA_KEY("seccomp", SCHEMA_MAPPING, SecurityProfile, seccomp),
	  .flags = SCHEMA_REQUIRED, .child = &seccomp_table,
	  .help = "seccomp: the system call filter" },
	{ SCHEMA_LIST_KEY("writablePaths", SCHEMA_STRING, SecurityProfile, writable_paths),
	  .flags = SCHEMA_LIST | SCHEMA_UNIQUE,
	  .check = &check_path, .help = "the only trees it may change (Landlock); \"/\" is all, none when left out" },
};
const SchemaTable security_profile_schema = SCHEMA_TABLE(SecurityProfile, security_fields);

int security_capability_mask(char *const *names, size_t n, uint64_t *ret) {
	uint64_t m = 0;

	for (size_t i = 0; i < n; i++) {
		cap_value_t c;
		if (cap_from_name(names[i], &c) < 0 || c < 0 || c >= 64)
			return -EINVAL;
		m |= UINT64_C(1) << c;
	}
	*ret = m;
	return 0;
}

int security_capability_names(uint64_t mask, char **ret) {
	char *t = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&t, &size);

	if (!f)
		return -ENOMEM;
	for (int c = 0; c < 64; c++)
		if (mask & (UINT64_C(1) << c)) {
			char *name = cap_to_name(c);
			fprintf(f, "%s%s", ftell(f) > 0 ? " " : "", name ?: "?");
			cap_free(name);
		}
	if (fclose(f) != 0) {
		free(t);
		return -ENOMEM;
	}
	*ret = t;
	return 0;
}

SecurityProfile *security_profile_free(SecurityProfile *p) {
	if (!p)
		return NULL;
	schema_done(&security_profile_schema, p);
	schema_positions_done(&p->positions);
	free(p->file);
	free(p);
	return NULL;
}

_printf_(4, 5) static int report(SecurityProfile *p, DiagList *diags, const void *addr, const char *fmt, ...) {
	_cleanup_free_ char *msg = NULL;
	unsigned line = 1, column = 1;
	va_list ap;

	va_start(ap, fmt);
	int r = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (r < 0)
		return -ENOMEM;
	if (schema_position_find(&p->positions, addr, false, &line, &column) < 0)
		(void) schema_position_find(&p->positions, addr, true, &line, &column);
	return diag_add(diags, p->file, line, column, NULL, "%s", msg);
}

static bool list_has(char *const *l, size_t n, const char *s) {
	for (size_t i = 0; i < n; i++)
		if (streq(l[i], s))
			return true;
	return false;
}

/* A set other than ambient, when written, must be what the kernel makes of ambient. */
static int check_equals_ambient(SecurityProfile *p, DiagList *diags, char **set, size_t n, const char *key) {
	SecurityCapabilities *c = &p->capabilities;
	uint64_t a, s;

	if (!set)
		return 0;
	if (security_capability_mask(c->ambient, c->n_ambient, &a) < 0 || security_capability_mask(set, n, &s) < 0)
		return 0;       /* an unknown name, reported already */
	if (a == s)
		return 0;
	return report(p, diags, set, "capabilities.%s differs from capabilities.ambient: after execve() the kernel "
		      "sets the permitted and effective sets to the ambient set (the helper runs with SECBIT_NOROOT); "
		      "write the same capabilities or leave %s out", key, key);
}

/* socketFamilies and namespaces against what the allow-list resolves to. */
static int check_argument_filters(SecurityProfile *p, DiagList *diags) {
	SecuritySeccomp *s = &p->seccomp;
	int r;

	/* What the allow-list resolves to decides whether the argument filters mean anything.
	 * An unknown group in it is reported already: then they are not judged. */
	_cleanup_free_ bool *allowed = NULL;
	r = syscall_set_new(s->allow, s->n_allow, &allowed);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return 0;

	int nr_socket = syscall_resolve("socket");
	bool socket_allowed = nr_socket >= 0 && allowed[nr_socket];
	r = 0;
	if (socket_allowed && s->n_socket_families == 0)
		r = report(p, diags, s->allow, "seccomp.allow lets socket(2) through but seccomp.socketFamilies is empty: "
			   "name the address families the helper needs (AF_UNIX, AF_INET, ...)");
	else if (!socket_allowed && s->n_socket_families > 0)
		r = report(p, diags, s->socket_families, "seccomp.socketFamilies is set but seccomp.allow does not "
			   "let socket(2) through: the families would never be used");
	if (r < 0)
		return r;

	int nr_clone = syscall_resolve("clone"), nr_unshare = syscall_resolve("unshare"),
	    nr_setns = syscall_resolve("setns");
	bool ns_calls = (nr_clone >= 0 && allowed[nr_clone]) || (nr_unshare >= 0 && allowed[nr_unshare]) ||
			(nr_setns >= 0 && allowed[nr_setns]);
	if (!ns_calls && s->n_namespaces > 0) {
		r = report(p, diags, s->namespaces, "seccomp.namespaces is set but seccomp.allow lets none of clone, "
			   "unshare and setns through");
		if (r < 0)
			return r;
	}
	return 0;
}

static int security_profile_check(SecurityProfile *p, DiagList *diags) {
	SecurityCapabilities *c = &p->capabilities;
	SecuritySeccomp *s = &p->seccomp;
	int r;

	for (size_t i = 0; i < c->n_ambient; i++)
		if (!schema_value_was_invalid(&p->positions, &c->ambient[i]) &&
		    !list_has(c->bounding, c->n_bounding, c->ambient[i])) {
			r = report(p, diags, &c->ambient[i], "capabilities.ambient: %s is not in capabilities.bounding: "
				   "a capability outside the bounding set cannot be held", c->ambient[i]);
			if (r < 0)
				return r;
		}
	r = check_equals_ambient(p, diags, c->permitted, c->n_permitted, "permitted");
	if (r < 0)
		return r;
	r = check_equals_ambient(p, diags, c->effective, c->n_effective, "effective");
	if (r < 0)
		return r;

	if (s->default_action == SECCOMP_DEFAULT_KILL && s->errno_value != _SECCOMP_ERRNO_UNSET) {
		r = report(p, diags, &s->errno_value, "seccomp.errno is set but seccomp.defaultAction is kill: "
			   "a killed process gets no error; drop one of the two");
		if (r < 0)
			return r;
	}

	r = check_argument_filters(p, diags);
	if (r < 0)
		return r;

	if (!p->no_new_privileges && !list_has(c->ambient, c->n_ambient, "CAP_SYS_ADMIN")) {
		r = report(p, diags, &p->no_new_privileges, "noNewPrivileges is false but the helper keeps no "
			   "CAP_SYS_ADMIN: without one of the two the kernel refuses to load its seccomp filter");
		if (r < 0)
			return r;
	}

	for (size_t i = 0; i < p->n_writable_paths; i++)
		if (streq(p->writable_paths[i], "/") && p->n_writable_paths > 1) {
			r = report(p, diags, &p->writable_paths[i], "writablePaths: \"/\" makes every path writable; "
				   "the other entries mean nothing next to it");
			if (r < 0)
				return r;
			break;
		}
	return 0;
}

int security_profile_load_buffer(const char *file, const void *buf, size_t size, SecurityProfile **ret,
				 DiagList *diags) {
	_cleanup_(security_profile_freep) SecurityProfile *p = NULL;
	size_t before = diags->n;
	int r;

	p = calloc(1, sizeof *p);
	if (!p)
		return -ENOMEM;
	r = schema_load(&security_profile_schema, file, buf, size, p, &p->positions, diags);
	if (r < 0)
		return r;
	p->file = strdup(file);
	if (!p->file)
		return -ENOMEM;
	r = security_profile_check(p, diags);
	if (r < 0)
		return r;
	if (diags->n > before) {
		diag_list_sort_unique(diags);
		return -EBADMSG;
	}
	*ret = TAKE_PTR(p);
	return 0;
}

int security_profile_load_file(const char *path, SecurityProfile **ret, DiagList *diags) {
	_cleanup_free_ char *buf = NULL;
	size_t size;
	int r;

	r = read_full_file_max(path, SCHEMA_INPUT_MAX, &buf, &size);
	if (r < 0)
		return r;
	return security_profile_load_buffer(path, buf, size, ret, diags);
}

int security_profile_load_named(const char *dir, const char *name, SecurityProfile **ret, DiagList *diags) {
	_cleanup_(security_profile_freep) SecurityProfile *p = NULL;
	_cleanup_free_ char *path = NULL;
	int r;

	if (!name_is_valid(name))
		return -EINVAL;
	if (asprintf(&path, "%s/%s.yaml", dir, name) < 0)
		return -ENOMEM;
	r = security_profile_load_file(path, &p, diags);
	if (r < 0)
		return r;
	if (!streq(p->name, name)) {
		r = report(p, diags, &p->name, "name: \"%s\" but the file is %s.yaml", p->name, name);
		return r < 0 ? r : -EBADMSG;
	}
	*ret = TAKE_PTR(p);
	return 0;
}

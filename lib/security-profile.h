/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A security profile: what one helper process may do, declared as data
 * (profiles/security/NAME.yaml) and enforced by confine.c when the helper is started.
 * Loaded by the same table-driven loader as the appliance profile (schema.h), so a
 * malformed one is refused with file:line:column and nothing is applied.
 *
 * The capability sets are what the helper holds *after* execve(), as the kernel reports
 * them in /proc/PID/status (and as kilnctl audit compares them). The helper is started
 * with SECBIT_NOROOT (locked): a program without file capabilities then gets exactly the
 * ambient set as permitted and effective, whatever its uid, so permitted and effective
 * default to the ambient set and a profile that declares them otherwise is refused. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "schema.h"

typedef enum SeccompDefaultAction {
	SECCOMP_DEFAULT_ERRNO,          /* a call outside the allow-list fails with .errno */
	SECCOMP_DEFAULT_KILL,           /* ... kills the whole process (SIGSYS) */
	_SECCOMP_DEFAULT_ACTION_MAX,
} SeccompDefaultAction;

typedef enum SeccompErrno {
	SECCOMP_ERRNO_EPERM, SECCOMP_ERRNO_EACCES, SECCOMP_ERRNO_ENOSYS, _SECCOMP_ERRNO_MAX,
	_SECCOMP_ERRNO_UNSET = -1,
} SeccompErrno;

typedef enum SocketFamily {
	SOCKET_FAMILY_UNIX, SOCKET_FAMILY_INET, SOCKET_FAMILY_INET6, SOCKET_FAMILY_NETLINK,
	SOCKET_FAMILY_PACKET, SOCKET_FAMILY_VSOCK, _SOCKET_FAMILY_MAX,
} SocketFamily;

typedef enum NamespaceType {
	NAMESPACE_MNT, NAMESPACE_UTS, NAMESPACE_IPC, NAMESPACE_NET, NAMESPACE_PID, NAMESPACE_USER,
	NAMESPACE_CGROUP, NAMESPACE_TIME, _NAMESPACE_TYPE_MAX,
} NamespaceType;

typedef struct SecurityCapabilities {
	char **bounding;
	size_t n_bounding;
	char **ambient;
	size_t n_ambient;
	char **permitted;               /* NULL: the ambient set */
	size_t n_permitted;
	char **effective;               /* NULL: the ambient set */
	size_t n_effective;
} SecurityCapabilities;

typedef struct SecuritySeccomp {
	int default_action;             /* SeccompDefaultAction */
	int errno_value;                /* SeccompErrno; unset: EPERM */
	char **allow;                   /* syscall and @group names; @default is always in */
	size_t n_allow;
	int *socket_families;           /* SocketFamily: what socket(2) may create */
	size_t n_socket_families;
	int *namespaces;                /* NamespaceType: what clone/unshare/setns may make or enter */
	size_t n_namespaces;
} SecuritySeccomp;

typedef struct SecurityProfile {
	char *name;
	char *description;
	char *user;                     /* a name or a number; default root */
	char *group;
	char **supplementary_groups;
	size_t n_supplementary_groups;
	SecurityCapabilities capabilities;
	bool no_new_privileges;
	SecuritySeccomp seccomp;
	char **writable_paths;          /* Landlock: the only trees it may change; "/" is all */
	size_t n_writable_paths;

	char *file;
	SchemaPositions positions;
} SecurityProfile;

extern const SchemaTable security_profile_schema;

const char *seccomp_default_action_to_string(SeccompDefaultAction a);
const char *seccomp_errno_to_string(SeccompErrno e);
const char *socket_family_to_string(SocketFamily f);
const char *namespace_type_to_string(NamespaceType t);
int seccomp_errno_value(SeccompErrno e);        /* EPERM ... */
int socket_family_value(SocketFamily f);        /* AF_UNIX ... */
unsigned long namespace_type_flag(NamespaceType t);     /* CLONE_NEWNS ... */

/* Parse and check; on any problem return -EBADMSG with every problem in diags. */
int security_profile_load_buffer(const char *file, const void *buf, size_t size, SecurityProfile **ret,
				 DiagList *diags);
int security_profile_load_file(const char *path, SecurityProfile **ret, DiagList *diags);
/* dir/NAME.yaml; the profile's own name must be NAME. */
int security_profile_load_named(const char *dir, const char *name, SecurityProfile **ret, DiagList *diags);

SecurityProfile *security_profile_free(SecurityProfile *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(SecurityProfile *, security_profile_free);

/* Capability sets as bit masks (bit N = capability N), resolved by name. */
int security_capability_mask(char *const *names, size_t n, uint64_t *ret);
/* The other way: libcap's names of the set bits, space-separated ("" for none). */
int security_capability_names(uint64_t mask, char **ret);

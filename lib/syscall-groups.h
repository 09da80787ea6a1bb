/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Named sets of system calls, as data, for the allow-lists of security profiles
 * (profiles/security/). A group lists syscall names and other groups ("@io-event"); a
 * name the running libseccomp does not know on this architecture is skipped, as systemd's
 * seccomp-util.c does, so one table serves kernels and libseccomp versions of different
 * ages. Every profile's list implicitly starts with @default: what any dynamically linked
 * program needs to start and exit, execve() included (the filter is loaded before it). */

#include <stdbool.h>
#include <stddef.h>

typedef struct SyscallGroup {
	const char *name;       /* "@file-system" */
	const char *help;       /* one line for people (kiln-confine list, the man page) */
	const char *const *members;  /* NULL-terminated: syscall names and "@group" names */
} SyscallGroup;

extern const SyscallGroup syscall_groups[];
extern const size_t syscall_groups_count;

/* The group called name ("@..."), or NULL. */
const SyscallGroup *syscall_group_find(const char *name);

/* A name for an allow-list: a known group, or a syscall that libseccomp knows here. */
bool syscall_name_is_valid(const char *name);

/* Mark in allowed[] (indexed by syscall number, n entries) every syscall that name stands
 * for, groups expanded recursively. Returns the number of syscalls newly marked, or
 * -ENOENT for an unknown group, -ELOOP for groups nested deeper than the table allows
 * (a cycle: a bug in the table). A syscall name unknown here is skipped (returns 0). */
int syscall_set_add(bool *allowed, size_t n, const char *name);

/* The largest syscall number syscall_set_add() can mark, plus one. */
size_t syscall_set_size(void);

/* What an allow-list stands for: a new set of syscall_set_size() entries with @default and
 * every name of names marked. Errors as syscall_set_add(), or -ENOMEM. */
int syscall_set_new(char *const *names, size_t n_names, bool **ret);

/* What an allow-list stands for, by name rather than by this machine's numbers (for a
 * profile that another architecture's kernel applies, such as a pod's OCI seccomp
 * profile): a new sorted NULL-terminated list of every syscall name of @default and of
 * names, groups expanded; names libseccomp does not know here are kept (the runtime that
 * applies the list skips what its kernel lacks). Errors as syscall_set_add(), or -ENOMEM. */
int syscall_names_new(char *const *names, size_t n_names, char ***ret);

/* The number of the syscall called name on this architecture, or -1 when libseccomp does
 * not know it here. */
int syscall_resolve(const char *name);

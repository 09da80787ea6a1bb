/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* "Harden, then exec": a security profile turned into what a forked child applies to
 * itself right before execve(), in one fixed order:
 *
 *   step               exit   what
 *   fds                220    every fd closed but stdio and the ones kept (spawn())
 *   bounding           221    PR_CAPBSET_DROP of every capability outside the bounding set
 *   securebits         222    SECBIT_NOROOT (locked) and KEEP_CAPS across the uid change
 *   groups             223    setgroups(): exactly the supplementary groups
 *   gid                224    setresgid()
 *   uid                225    setresuid()
 *   capabilities       226    capset(): permitted = effective = inheritable = ambient
 *   ambient            227    PR_CAP_AMBIENT: clear, then raise each declared capability
 *   no-new-privileges  228    PR_SET_NO_NEW_PRIVS
 *   landlock           229    landlock_restrict_self(): the writable paths only
 *   seccomp            230    the filter, loaded last: after it only execve() runs
 *
 * Everything that can fail for reasons other than the kernel refusing is done before
 * fork() by confinement_prepare(): names resolved, the filter compiled to raw BPF by
 * libseccomp, the Landlock ruleset built. The child only makes system calls, no
 * allocation, so it is async-signal-safe. A step that fails ends the child with the
 * step's exit code and tells the parent which step (spawn_full()), so a failure says
 * where it happened. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "macro.h"
#include "security-profile.h"

typedef enum ConfineStep {
	CONFINE_STEP_FDS,
	CONFINE_STEP_BOUNDING,
	CONFINE_STEP_SECUREBITS,
	CONFINE_STEP_GROUPS,
	CONFINE_STEP_GID,
	CONFINE_STEP_UID,
	CONFINE_STEP_CAPABILITIES,
	CONFINE_STEP_AMBIENT,
	CONFINE_STEP_NO_NEW_PRIVS,
	CONFINE_STEP_LANDLOCK,
	CONFINE_STEP_SECCOMP,
	_CONFINE_STEP_MAX,
	_CONFINE_STEP_NONE = -1,
} ConfineStep;

#define CONFINE_EXIT_BASE 220

const char *confine_step_to_string(ConfineStep s);
static inline int confine_step_exit_code(ConfineStep s) {
	return CONFINE_EXIT_BASE + (int) s;
}

typedef struct Confinement Confinement;

/* Resolve and compile p. On failure *ret_error (may be NULL) says what, e.g. 'user
 * "_kiln": no such user' or 'writable path "/x": No such file or directory'. */
int confinement_prepare(const SecurityProfile *p, Confinement **ret, char **ret_error);
Confinement *confinement_free(Confinement *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(Confinement *, confinement_free);

/* The fd the child must keep until confinement_apply() (the Landlock ruleset), or -1. */
int confinement_keep_fd(const Confinement *c);

/* In the forked child, right before execve(): apply every step. Returns 0, or the -errno
 * of the first step that failed with that step in *ret_step. Async-signal-safe. */
int confinement_apply(const Confinement *c, ConfineStep *ret_step);

/* Figures for people and benchmarks. */
const char *confinement_name(const Confinement *c);
size_t confinement_syscalls_allowed(const Confinement *c);
size_t confinement_bpf_instructions(const Confinement *c);
uint64_t confinement_bounding(const Confinement *c);
uint64_t confinement_ambient(const Confinement *c);
bool confinement_kills(const Confinement *c);

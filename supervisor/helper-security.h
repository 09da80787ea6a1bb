/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The security profile every helper of the node programs runs under (profiles/security/,
 * kiln-security(5)), by name: "modprobe", "swapoff", "kubectl", "systemd-run". Each is
 * loaded and compiled once, on its first use, and kept for the life of the process, so a
 * helper's start costs only the steps its child applies (confine.h).
 *
 * A helper whose profile is missing, malformed or cannot be compiled here is not
 * started: the start fails with that reason. There is no unconfined fallback. */

#include <sys/types.h>

#include "confine.h"
#include "process-util.h"
#include "time-util.h"

#define HELPER_SECURITY_DIR "/usr/lib/kiln/security"

/* Where the profiles are read from (tests; kiln-supervisor --security-dir=). Call before
 * the first helper starts. */
void helper_security_set_dir(const char *dir);
const char *helper_security_dir(void);

/* The compiled profile called name. On failure *ret_error (may be NULL) is a malloc'd
 * reason naming the file and what is wrong with it. */
int helper_security_get(const char *name, const Confinement **ret, char **ret_error);

/* job_start() of argv confined by the profile called name; opts (may be NULL) as for
 * job_start(), its .confine is set here. A helper whose profile keeps a capability outside
 * this process's bounding set goes through the executor instead (below): the child is then
 * systemd-run, confined by its own profile, and its exit status is the helper's. timeout
 * (USEC_INFINITY: none) bounds the executor's unit too, since killing systemd-run would
 * not stop it. Every failure is logged with the helper's name and, for a confinement step,
 * the step. */
int helper_job_start(const char *name, const char *const *argv, const SpawnOptions *opts, usec_t timeout,
		     pid_t *ret_pid);

/* helper-executor.c: the capabilities c keeps that this process's bounding set lacks
 * (none: the helper can be our own child). */
uint64_t helper_missing_capabilities(const Confinement *c);
/* The transient unit systemd runs a helper as, in systemd-run's words. */
typedef struct HelperUnit {
	const char *unit;               /* NULL: kiln-helper-NAME */
	const char *description;        /* NULL: "kiln: ARGV0, for kiln-supervisor (profile NAME)" */
	const char *const *properties;  /* more unit settings, "Key=value" (NULL-terminated; may be NULL) */
	const char *const *env;         /* "NAME=value", passed as --setenv= (may be NULL) */
	const char *systemd_run;        /* NULL: "systemd-run" from $PATH */
	usec_t timeout;                 /* RuntimeMaxSec=, rounded up; 0 or USEC_INFINITY: none */
} HelperUnit;

/* The systemd-run command line that has systemd start argv as the transient service u
 * describes (u may be NULL: the defaults), with c's capabilities (and CAP_SETPCAP) as its
 * bounding set, running kiln-confine with the profile called name. */
int helper_executor_argv(const char *name, const Confinement *c, const char *const *argv, const HelperUnit *u,
			 char ***ret);

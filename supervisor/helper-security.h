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

#define HELPER_SECURITY_DIR "/usr/lib/kiln/security"

/* Where the profiles are read from (tests; kiln-supervisor --security-dir=). Call before
 * the first helper starts. */
void helper_security_set_dir(const char *dir);
const char *helper_security_dir(void);

/* The compiled profile called name. On failure *ret_error (may be NULL) is a malloc'd
 * reason naming the file and what is wrong with it. */
int helper_security_get(const char *name, const Confinement **ret, char **ret_error);

/* job_start() of argv confined by the profile called name; opts (may be NULL) as for
 * job_start(), its .confine is set here. Every failure is logged with the helper's name
 * and, for a confinement step, the step. */
int helper_job_start(const char *name, const char *const *argv, const SpawnOptions *opts, pid_t *ret_pid);

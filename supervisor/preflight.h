/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Preflight: the host checks a node must pass before the container runtime and kubeadm
 * run. The checks are a table (preflight-checks.c): each has a name, a one-line
 * description and a run function that reports a result, a message and a hint to fix it;
 * checks the supervisor can fix itself (load a module, set a sysctl, turn swap off and
 * mask its sources) do so when allowed and say so.
 *
 * Everything is read relative to a root directory ("/" on a node, a fake tree in tests),
 * so the checks are testable without the real /proc and /sys. */

#include <stdbool.h>
#include <stdint.h>

#include "profile.h"

typedef enum PreflightResult {
	PREFLIGHT_PASS,
	PREFLIGHT_FIXED,      /* failed, and the supervisor fixed it */
	PREFLIGHT_WARN,       /* not fatal (kubeadm's warnings) */
	PREFLIGHT_FAIL,
	_PREFLIGHT_RESULT_MAX,
} PreflightResult;

typedef struct PreflightContext {
	const char *root;           /* "/" on the node */
	const Profile *profile;     /* the image's profile: role decides the minimums */
	uint64_t build_epoch;       /* the image's build time: the clock must not be earlier */
	bool fix;                   /* allowed to change the host (the supervisor: yes; kilnctl: no) */
} PreflightContext;

typedef struct PreflightReport {
	const char *name;           /* stable, e.g. "kernel-modules", "swap", "port-6443" */
	PreflightResult result;
	char *message;              /* what was found, one line */
	char *hint;                 /* how to fix it (NULL when passing) */
} PreflightReport;

/* Run every check in table order; *ret_reports gets n entries. Returns the number of
 * FAIL results (0: the node may proceed), or -errno if the checks could not run. */
int preflight_run(const PreflightContext *ctx, PreflightReport **ret_reports, size_t *ret_n);
void preflight_reports_free(PreflightReport *r, size_t n);
const char *preflight_result_to_string(PreflightResult r);

/* Render for kilnctl: an aligned table, JSON (array of {name, result, message, hint}), or
 * TAP (one "ok"/"not ok" per check, FIXED and WARN are "ok" with a comment). */
typedef enum PreflightFormat { PREFLIGHT_FORMAT_TABLE, PREFLIGHT_FORMAT_JSON, PREFLIGHT_FORMAT_TAP } PreflightFormat;
int preflight_format(const PreflightReport *r, size_t n, PreflightFormat format, char **ret_text);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Preflight: the host checks a node must pass before the container runtime and kubeadm
 * run. The checks are a table (preflight-checks.c): each has a name, a one-line
 * description and a function that reports a result, a message and a hint to fix it
 * (in turns, for the two whose fixes take time: preflight-internal.h); checks the
 * supervisor can fix itself (load a module, set a sysctl, turn swap off and mask its
 * sources) do so when allowed and say so.
 *
 * Everything is read relative to a root directory ("/" on a node, a fake tree in tests),
 * so the checks are testable without the real /proc and /sys. Two things cannot be: the
 * ports are tested with bind(2) in the caller's network namespace, and the clock is the
 * caller's. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-event.h>

#include "macro.h"
#include "profile.h"
#include "time-util.h"

typedef enum PreflightResult {
	PREFLIGHT_PASS,
	PREFLIGHT_FIXED,      /* failed, and the supervisor fixed it */
	PREFLIGHT_WARN,       /* not fatal (kubeadm's warnings) */
	PREFLIGHT_FAIL,
	_PREFLIGHT_RESULT_MAX,
} PreflightResult;

/* In a requirements port list: the profile's kubernetes.apiServerPort (6443 by default). */
#define PREFLIGHT_PORT_API_SERVER 0
#define PREFLIGHT_PORTS_MAX 8

/* What a node of one role needs. The defaults per role are a table in preflight-checks.c
 * (kubeadm's NumCPU and Mem for the control plane); tests pass their own. */
typedef struct PreflightRequirements {
	unsigned cpus;                  /* online CPUs, at least */
	uint64_t memory;                /* bytes of MemTotal, at least */
	uint64_t disk_fail;             /* bytes free on /var: below is FAIL */
	uint64_t disk_warn;             /* ... below is WARN */
	uint16_t ports[PREFLIGHT_PORTS_MAX];   /* TCP ports that must be free */
	size_t n_ports;
} PreflightRequirements;

typedef struct PreflightContext {
	const char *root;           /* "/" on the node */
	const Profile *profile;     /* the image's profile: role decides the minimums (NULL: single) */
	uint64_t build_epoch;       /* the image's build time: the clock must not be earlier (0: unknown) */
	bool fix;                   /* allowed to change the host (the supervisor: yes; kilnctl: no) */

	bool kubernetes;            /* the image ships Kubernetes: kubeadm and kubelet are required */
	const ProfileMachine *machine;   /* this machine's nodes[] entry; NULL: node.role applies */
	const PreflightRequirements *requirements;   /* NULL: the role's defaults */

	/* Fixes that change the host themselves (modprobe, writing /proc/sys, swapoff) run
	 * only when fix is set and root is "/", or when start_command is given: a test passes
	 * its own to fix a fake root. It starts argv as a child of this process, leading a
	 * process group of its own if it starts others, and returns 0 with its pid, or
	 * -errno; the checks then wait for it from the event loop (preflight_start()), for at
	 * most timeout, then kill its group. NULL: job_start() of job.h (stdin /dev/null,
	 * stdout and stderr inherited: the journal, for the supervisor). */
	int (*start_command)(const char *const *argv, usec_t timeout, pid_t *ret_pid, void *userdata);
	/* Mask a unit (swap.target, dev-sda3.swap), e.g. through systemd's MaskUnitFiles.
	 * A persistent mask (/etc) keeps swap off from the next boot on; a runtime one (/run)
	 * only for this boot, and cannot hide a unit file in /etc. Called whenever fix is
	 * set, whatever the root: the callback knows what it changes. NULL: the supervisor
	 * cannot mask, the check says how to. Returns 0 or -errno. */
	int (*mask_unit)(const char *unit, void *userdata);
	/* Queue a stop job for a unit (dev-sda3.swap, var-swapfile.swap) with systemd and
	 * return: 0 once it is queued, or -errno. Swap is turned off this way when given:
	 * PID 1 runs swapoff in its own mount namespace, where a swap file can be opened for
	 * writing as swapoff(2) requires, while in the supervisor's sandbox
	 * (ProtectSystem=strict, PrivateTmp=) the same file is read-only or not there at
	 * all. NULL: "swapoff -a" through start_command. */
	int (*stop_unit)(const char *unit, void *userdata);
	void *userdata;             /* passed to start_command, mask_unit and stop_unit */
} PreflightContext;

typedef struct PreflightReport {
	const char *name;           /* stable, e.g. "kernel-modules", "swap", "port-6443"; owned
				     * by the report (freed by preflight_reports_free) */
	PreflightResult result;
	char *message;              /* what was found, one line */
	char *hint;                 /* how to fix it (NULL when passing) */
} PreflightReport;

/* The checks run in table order, most of them at once; the few fixes that take long
 * (modprobe, up to 30 s each; waiting for swap to go off) run as child processes and
 * timers watched by an sd-event loop, never blocking it.
 *
 * preflight_start() runs them on the caller's loop e (the supervisor's) and returns at
 * once; done is called later from the loop with what preflight_run() returns: the number
 * of FAIL results (0: the node may proceed), or -errno if the checks could not run
 * (-ENOMEM; the reports are then NULL). The reports are the callee's to free. done may
 * free the run. ctx is copied; what it points to (root, profile, machine, requirements)
 * must live as long as the run. Freeing a run that has not finished stops it, and kills
 * the command it waits for.
 *
 * preflight_run() is the same on a loop of its own, until the end: for kilnctl and the
 * tests, which may block. -EINVAL without a root. A check that cannot read what it needs
 * reports that as its result; it does not fail the run. */
typedef struct PreflightRun PreflightRun;
typedef void (*PreflightDoneFn)(int result, PreflightReport *reports, size_t n_reports, void *userdata);
int preflight_start(sd_event *e, const PreflightContext *ctx, PreflightDoneFn done, void *userdata,
		    PreflightRun **ret);
PreflightRun *preflight_run_free(PreflightRun *run);
DEFINE_TRIVIAL_CLEANUP_FUNC(PreflightRun *, preflight_run_free);
int preflight_run(const PreflightContext *ctx, PreflightReport **ret_reports, size_t *ret_n);
void preflight_reports_free(PreflightReport *r, size_t n);
const char *preflight_result_to_string(PreflightResult r);

/* The default requirements of a role (_NODE_ROLE_UNSET and out of range: NULL). */
const PreflightRequirements *preflight_requirements(NodeRole role);
/* The role the checks apply: the machine's nodes[] entry, else the profile's node.role,
 * else single (the strictest). */
NodeRole preflight_role(const PreflightContext *ctx);

/* Render for kilnctl: an aligned table, JSON (array of {name, result, message, hint}), or
 * TAP (one "ok"/"not ok" per check, FIXED and WARN are "ok" with a comment). */
typedef enum PreflightFormat { PREFLIGHT_FORMAT_TABLE, PREFLIGHT_FORMAT_JSON, PREFLIGHT_FORMAT_TAP } PreflightFormat;
int preflight_format(const PreflightReport *r, size_t n, PreflightFormat format, char **ret_text);

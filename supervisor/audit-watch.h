/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The audit as part of the node's health, in the watch phase: `kilnctl audit --json` run
 * at once and then every interval, as a child of the loop (cluster-child.h) confined by
 * its own security profile ("kilnctl": no capability, AF_UNIX only, nothing writable).
 * It audits itself with the rest: it is a helper in the supervisor's cgroup. Its verdict
 * joins the watch phase's detail ("audit: 23 processes as declared"); a change of verdict
 * is logged once, a violation at LOG_WARNING with the findings. */

#include <systemd/sd-event.h>

#include "macro.h"
#include "time-util.h"

#define AUDIT_WATCH_KILNCTL "/usr/bin/kilnctl"
#define AUDIT_WATCH_INTERVAL_USEC (5 * USEC_PER_MINUTE)
/* An audit reads /proc and asks systemd and containerd a few questions: milliseconds. */
#define AUDIT_WATCH_TIMEOUT_USEC (60 * USEC_PER_SEC)

typedef struct AuditWatch AuditWatch;

/* Called after each audit with the one-line verdict (never NULL) and whether it changed. */
typedef void (*AuditWatchFn)(AuditWatch *w, const char *summary, bool changed, void *userdata);

int audit_watch_start(sd_event *e, const char *kilnctl, usec_t interval, AuditWatchFn fn, void *userdata,
		      AuditWatch **ret);
AuditWatch *audit_watch_free(AuditWatch *w);
DEFINE_TRIVIAL_CLEANUP_FUNC(AuditWatch *, audit_watch_free);

/* kilnctl audit --json's output and exit status, as one line: "audit: 23 processes as
 * declared", "audit: 2 of 23 processes not as declared", with "; 1 source not audited"
 * when so; *ret_findings (NULL when none) the first findings, "NAME (pid N): FINDING; ...".
 * A status other than 0 or 1, or output that is not the audit's: "audit: kilnctl audit
 * failed (...)". */
int audit_verdict_parse(int status, const char *json, char **ret_summary, char **ret_findings);

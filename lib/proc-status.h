/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the kernel says a process may do: the confinement lines of /proc/PID/status
 * (proc(5)). The auditor compares these with what was declared for the process; they
 * are read from the kernel's own view, never from what a manifest or unit asked for. */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* Seccomp: 0 none, 1 strict, 2 filter (proc(5)). */
typedef enum ProcSeccomp {
	PROC_SECCOMP_DISABLED = 0,
	PROC_SECCOMP_STRICT   = 1,
	PROC_SECCOMP_FILTER   = 2,
} ProcSeccomp;

typedef struct ProcStatus {
	char name[16];                /* Name: the command, at most 15 bytes (comm) */
	pid_t ppid;
	uid_t euid;
	uint64_t cap_permitted, cap_effective, cap_bounding, cap_ambient;
	bool no_new_privs;
	ProcSeccomp seccomp;
	unsigned seccomp_filters;     /* 0 on kernels before 5.9, which do not report it */
} ProcStatus;

/* Parse the text of a /proc/PID/status file. -EBADMSG when one of the lines above is
 * missing or malformed (Seccomp_filters excepted: old kernels lack it); unknown lines
 * are skipped. */
int proc_status_parse(const char *text, ProcStatus *ret);

/* Read and parse /proc/PID/status below proc_root ("/proc" when NULL): -ESRCH when the
 * process is gone (a race the caller expects: processes end while they are audited). */
int proc_status_read(const char *proc_root, pid_t pid, ProcStatus *ret);

/* "Seccomp" as proc(5) names its values: "disabled", "strict", "filter". */
const char *proc_seccomp_to_string(ProcSeccomp s);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Shared by the preflight runner and the check files; not part of the contract. */

#include <stdbool.h>
#include <stddef.h>

#include "macro.h"
#include "preflight.h"

typedef struct PreflightReports {
	PreflightReport *items;
	size_t n, n_allocated;
} PreflightReports;

typedef struct PreflightCheck PreflightCheck;

/* The data of the checks that have a table (preflight-checks.c); arrays end with a NULL name. */
typedef struct PreflightModule {
	const char *name;
	const char *probe;          /* exists when the module is loaded or built in; NULL: none */
} PreflightModule;

typedef struct PreflightSysctl {
	const char *key;            /* "net.ipv4.ip_forward", as sysctl.d(5) spells it */
	const char *path;           /* checked, under /proc/sys (the fix applies key's sysctl.d value) */
	const char *module;         /* the module that creates the file; NULL: always there */
	bool ipv6;                  /* only checked when the cluster uses IPv6 */
} PreflightSysctl;

typedef struct PreflightControllers {
	const char *const *required;       /* missing: FAIL */
	const char *const *recommended;    /* missing: WARN */
} PreflightControllers;

typedef struct PreflightBinary {
	const char *name;
	PreflightResult missing;    /* FAIL or WARN */
	bool kubernetes;            /* only when the image ships Kubernetes */
	const char *package;        /* where it comes from, for the hint */
} PreflightBinary;

/* A check appends one report (or one per item, as the ports do) and returns 0; what it
 * finds wrong with the host is a report, not an error. Only -ENOMEM aborts the run. */
typedef int (*preflight_check_fn)(const PreflightCheck *c, const PreflightContext *ctx, PreflightReports *out);

/* What a check with long steps waits for between two of its turns. */
typedef enum PreflightWait {
	PREFLIGHT_WAIT_COMMAND,     /* argv runs, for at most usec */
	PREFLIGHT_WAIT_TIME,        /* usec pass */
} PreflightWait;

/* A check with long steps runs in turns. Each turn either appends its report(s) and
 * returns 0, or says what to wait for (preflight_wait_command(), preflight_wait_time())
 * and returns PREFLIGHT_STEP_WAIT; the runner does the waiting from the event loop and
 * calls the check again. Between turns the check keeps its progress in state (NULL on
 * the first turn; freed with free_state when the check is done or the run freed). */
typedef struct PreflightStep {
	void *state;
	void (*free_state)(void *state);
	/* What to wait for, set by the check: */
	PreflightWait wait;
	const char *const *argv;    /* COMMAND: kept alive by state */
	const char *security;       /* COMMAND: its security profile (helper-security.h) */
	usec_t usec;
	/* How the wait ended, set by the runner for the next turn: COMMAND: the command's
	 * exit status (shell style, 0: success), -ETIMEDOUT when it ran out of time and was
	 * killed, other -errno when it could not be started; TIME: 0. */
	int result;
} PreflightStep;

#define PREFLIGHT_STEP_WAIT 1
typedef int (*preflight_step_fn)(const PreflightCheck *c, const PreflightContext *ctx, PreflightStep *s,
				 PreflightReports *out);

struct PreflightCheck {
	const char *name;           /* the report's name (a prefix for checks that report several) */
	const char *description;    /* one line: what is checked and why */
	preflight_check_fn run;     /* a check that never waits ... */
	const void *data;           /* the check's own table, if it has one */
	preflight_step_fn step;     /* ... or one with long steps: exactly one of the two */
};

static inline int preflight_wait_command(PreflightStep *s, const char *security, const char *const *argv,
					 usec_t timeout) {
	s->wait = PREFLIGHT_WAIT_COMMAND;
	s->security = security;
	s->argv = argv;
	s->usec = timeout;
	return PREFLIGHT_STEP_WAIT;
}

static inline int preflight_wait_time(PreflightStep *s, usec_t usec) {
	s->wait = PREFLIGHT_WAIT_TIME;
	s->argv = NULL;
	s->usec = usec;
	return PREFLIGHT_STEP_WAIT;
}

extern const PreflightCheck preflight_checks[];
extern const size_t preflight_n_checks;

/* Append a report; hint may be NULL. -ENOMEM only. */
_printf_(5, 6) int report_add(PreflightReports *out, const char *name, PreflightResult result,
			      const char *hint, const char *fmt, ...);
/* Same, taking ownership of message and hint (both freed on failure too). A NULL message
 * is an allocation failure (-ENOMEM); a NULL hint is no hint. */
int report_add_take(PreflightReports *out, const char *name, PreflightResult result, char *message, char *hint);

/* ctx->root joined with rel (which may start with '/'): "/proc/swaps" under "/" and
 * "/tmp/x/proc/swaps" under "/tmp/x/". */
int preflight_path(const PreflightContext *ctx, const char *rel, char **ret);
/* Read a file below the root. -errno as read_full_file(). */
int preflight_read(const PreflightContext *ctx, const char *rel, char **ret);
/* The first line of a file below the root, without the newline and trailing blanks. */
int preflight_read_line(const PreflightContext *ctx, const char *rel, char **ret);
bool preflight_exists(const PreflightContext *ctx, const char *rel);

/* Whether fixes that change the host directly may run. */
bool preflight_can_fix_host(const PreflightContext *ctx);
/* Whether root is the running system's "/". */
bool preflight_root_is_host(const PreflightContext *ctx);

/* "1.5 GiB", "512.0 MiB": approximate sizes for messages. */
#define PREFLIGHT_SIZE_MAX 32
const char *preflight_format_size(uint64_t bytes, char buf[static PREFLIGHT_SIZE_MAX]);

/* asprintf() that returns the string, NULL on failure: for report_add_take(). */
_printf_(1, 2) char *preflight_printf(const char *fmt, ...);
/* The words of l joined with sep, in a new string ("" for an empty list). */
int preflight_join(char *const *l, const char *sep, char **ret);

/* Whether word is one of the whitespace-separated words of text. */
bool preflight_has_word(const char *text, const char *word);

/* Append ", word" (or "word" when *s is empty/NULL) to a growing list. -ENOMEM only. */
int strextend_list(char **s, const char *word);

/* The check functions, defined in the files named after them. */
int check_kernel_modules(const PreflightCheck *c, const PreflightContext *ctx, PreflightStep *s, PreflightReports *out);
int check_modules_load(const PreflightCheck *c, const PreflightContext *ctx, PreflightReports *out);
int check_sysctl(const PreflightCheck *c, const PreflightContext *ctx, PreflightStep *s, PreflightReports *out);
int check_cgroup(const PreflightCheck *c, const PreflightContext *ctx, PreflightReports *out);
int check_swap(const PreflightCheck *c, const PreflightContext *ctx, PreflightStep *s, PreflightReports *out);
int check_swap_sources(const PreflightCheck *c, const PreflightContext *ctx, PreflightReports *out);
int check_hostname(const PreflightCheck *c, const PreflightContext *ctx, PreflightReports *out);
int check_clock(const PreflightCheck *c, const PreflightContext *ctx, PreflightReports *out);
int check_cpus(const PreflightCheck *c, const PreflightContext *ctx, PreflightReports *out);
int check_memory(const PreflightCheck *c, const PreflightContext *ctx, PreflightReports *out);
int check_disk(const PreflightCheck *c, const PreflightContext *ctx, PreflightReports *out);
int check_binaries(const PreflightCheck *c, const PreflightContext *ctx, PreflightReports *out);
int check_ports(const PreflightCheck *c, const PreflightContext *ctx, PreflightReports *out);

/* systemd's unit name for a path: "/dev/sda3" + ".swap" -> "dev-sda3.swap",
 * "/dev/disk/by-uuid/a-b" -> "dev-disk-by\x2duuid-a\x2db.swap" (unit_name_from_path()). */
int unit_name_from_path(const char *path, const char *suffix, char **ret);

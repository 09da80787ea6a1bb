/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The phase runner: a table of phases { name, scope, run, check } walked in order on an
 * sd-event loop. A phase's run() starts its work and returns; the phase ends later, from
 * the loop, with phase_done(), phase_skipped() or phase_failed() (runtime waits for
 * systemd jobs, so nothing may block). Each transition of a phase's status goes through
 * one table (pending -> running -> done|skipped|failed, ...), is saved atomically and
 * logged once with KILN_PHASE=. A failed phase is retried with exponential backoff; the
 * process never exits because of a phase.
 *
 * The runner knows nothing about kiln's phases (node-phases.c has them), so the tests
 * drive it with fake phases, a fake clock and short backoffs. */

#include <stdbool.h>
#include <systemd/sd-event.h>
#include <systemd/sd-id128.h>

#include "macro.h"
#include "state.h"
#include "time-util.h"

typedef struct PhaseRunner PhaseRunner;

typedef enum PhaseScope {
	PHASE_SCOPE_NODE,      /* its work survives reboots (images in the store, the cluster) */
	PHASE_SCOPE_BOOT,      /* its work is gone after a reboot (modules, sysctls, started units) */
	PHASE_SCOPE_PROCESS,   /* runs in every supervisor process (READY=1, the watch) */
} PhaseScope;

typedef struct Phase {
	const char *name;
	PhaseScope scope;
	/* Before this phase runs, re-check every earlier finished phase that has a check and
	 * run again those whose work is gone: READY=1 must mean the stack is healthy now. */
	bool verify_before;
	/* Start the work: 0 when it is under way (it ends with phase_done() and friends,
	 * possibly before run() returns), -errno when it could not start at all. */
	int (*run)(PhaseRunner *r, void *userdata);
	/* Cheap, synchronous: > 0 the phase's work is in place (and *ret_detail may say
	 * what was found), 0 it is not, -EOPNOTSUPP the phase cannot tell (then it is run
	 * after a state loss, and trusted otherwise), other -errno: not in place. NULL: the
	 * phase cannot tell. */
	int (*check)(PhaseRunner *r, void *userdata, char **ret_detail);
} Phase;

typedef struct PhaseRunnerOptions {
	const char *state_path;          /* where the state is saved after each transition */
	sd_id128_t boot_id;              /* this boot */
	usec_t retry_min_usec;           /* first retry delay; 0: 5 s */
	usec_t retry_max_usec;           /* cap of the doubling; 0: 5 min */
	usec_t (*clock)(void);           /* CLOCK_REALTIME for the records; NULL: now() */
	/* After every transition, with a one-line summary for STATUS=. May be NULL. */
	void (*on_change)(PhaseRunner *r, const char *status_text, void *userdata);
	void *userdata;                  /* passed to run(), check() and on_change() */
} PhaseRunnerOptions;

/* Take the table (kept, not copied) and the loaded state (owned from now on, also on
 * failure); origin says whether the state must be re-derived from the checks. */
int phase_runner_new(sd_event *e, const Phase *table, size_t n, NodeState *state, StateOrigin origin,
		     const PhaseRunnerOptions *opts, PhaseRunner **ret);
PhaseRunner *phase_runner_free(PhaseRunner *r);
DEFINE_TRIVIAL_CLEANUP_FUNC(PhaseRunner *, phase_runner_free);

/* Reconcile the loaded state with this process and boot (interrupted phases, scopes,
 * checks after a state loss), save it, and start the first unfinished phase from the
 * loop. */
int phase_runner_start(PhaseRunner *r);

/* End the running phase. detail (may be NULL) says what was found; for a failure, the
 * message becomes lastError and error (-errno or 0) is logged with it. -ESTALE when no
 * phase is running (a late callback after a stop). */
int phase_done(PhaseRunner *r, const char *detail);
int phase_skipped(PhaseRunner *r, const char *detail);
_printf_(3, 4) int phase_failed(PhaseRunner *r, int error, const char *fmt, ...);

/* While a phase runs (the watch never ends): update its detail, saved and announced. */
int phase_note(PhaseRunner *r, const char *detail);
/* Count one repair in the state (the watch phase restarted a unit). */
int phase_runner_count_repair(PhaseRunner *r);

/* The running phase, the first unfinished one, or NULL when every phase finished. */
const char *phase_runner_current(PhaseRunner *r);
/* The running phase's name and attempt number, for its own messages; NULL when idle. */
const PhaseState *phase_runner_running(PhaseRunner *r);
NodeState *phase_runner_state(PhaseRunner *r);
sd_id128_t phase_runner_boot_id(PhaseRunner *r);
/* When the scheduled retry fires (CLOCK_MONOTONIC), or USEC_INFINITY. */
usec_t phase_runner_retry_at(PhaseRunner *r);
const char *phase_runner_status_text(PhaseRunner *r);

/* The retry delay after n consecutive failures (n >= 1): min, 2 min, 4 min... capped. */
usec_t phase_retry_delay(unsigned n, usec_t min, usec_t max);

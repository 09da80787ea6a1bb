/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The phase runner. This is an edge in the sense of log.h: it logs every transition once,
 * with KILN_PHASE= and friends, so that "journalctl KILN_PHASE=runtime" tells a phase's
 * whole story. */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "phases.h"

#define RETRY_MIN_DEFAULT (5 * USEC_PER_SEC)
#define RETRY_MAX_DEFAULT (5 * 60 * USEC_PER_SEC)
/* How often in a row verify_before may send the runner back before it gives up and fails
 * the verifying phase instead, so that a check that disagrees with its run() backs off
 * rather than spinning. */
#define VERIFY_RESETS_MAX 3
#define NONE SIZE_MAX

typedef enum PhaseEvent {
	PHASE_EVENT_START,   /* the runner starts run() */
	PHASE_EVENT_DONE,    /* phase_done() */
	PHASE_EVENT_SKIP,    /* phase_skipped() */
	PHASE_EVENT_FAIL,    /* phase_failed(), or run() could not start */
	PHASE_EVENT_FOUND,   /* after a state loss, check() found the work in place */
	PHASE_EVENT_RESET,   /* the work is gone: a new boot or process, or a failed re-check */
	_PHASE_EVENT_MAX,
} PhaseEvent;

static const char *const phase_event_table[_PHASE_EVENT_MAX] = {
	[PHASE_EVENT_START] = "start", [PHASE_EVENT_DONE] = "done", [PHASE_EVENT_SKIP] = "skip",
	[PHASE_EVENT_FAIL] = "fail", [PHASE_EVENT_FOUND] = "found", [PHASE_EVENT_RESET] = "reset",
};

/* transitions[status][event]: the next status plus one; 0 means the event is not allowed
 * in that status (a bug, or a late callback), and changes nothing. A failed phase is not
 * reset: it is not finished, so it runs again anyway. */
#define TO(s) ((s) + 1)
static const uint8_t transitions[_PHASE_STATUS_MAX][_PHASE_EVENT_MAX] = {
	[PHASE_PENDING] = { [PHASE_EVENT_START] = TO(PHASE_RUNNING), [PHASE_EVENT_FOUND] = TO(PHASE_DONE) },
	[PHASE_RUNNING] = { [PHASE_EVENT_DONE] = TO(PHASE_DONE), [PHASE_EVENT_SKIP] = TO(PHASE_SKIPPED),
			    [PHASE_EVENT_FAIL] = TO(PHASE_FAILED) },
	[PHASE_DONE]    = { [PHASE_EVENT_RESET] = TO(PHASE_PENDING) },
	[PHASE_FAILED]  = { [PHASE_EVENT_START] = TO(PHASE_RUNNING) },
	[PHASE_SKIPPED] = { [PHASE_EVENT_RESET] = TO(PHASE_PENDING) },
};
#undef TO

struct PhaseRunner {
	sd_event *event;
	const Phase *table;
	size_t n;
	NodeState *state;
	StateOrigin origin;
	char *state_path;
	sd_id128_t boot_id;
	usec_t retry_min, retry_max;
	usec_t (*clock)(void);
	void (*on_change)(PhaseRunner *r, const char *status_text, void *userdata);
	void *userdata;

	size_t running;                /* index of the running phase, or NONE */
	unsigned *failures;            /* consecutive failures per phase, for the backoff */
	unsigned verify_resets;        /* consecutive resets by verify_before */
	sd_event_source *advance;      /* defer: start the next unfinished phase */
	sd_event_source *retry;        /* time: the backoff of a failed phase */
	usec_t retry_at;
	char *status_text;
};

static usec_t realtime_now(void) {
	return now(CLOCK_REALTIME);
}

usec_t phase_retry_delay(unsigned n, usec_t min, usec_t max) {
	usec_t d = min;

	for (unsigned i = 1; i < n && d < max; i++)
		d = usec_add(d, d);
	return MIN(d, max);
}

/* "5s", "1min 20s": for STATUS= and the log, read by people. */
static const char *format_delay(usec_t u, char buf[static 32]) {
	unsigned long long s = (u + USEC_PER_SEC / 2) / USEC_PER_SEC;

	if (u < USEC_PER_SEC)
		snprintf(buf, 32, "%llums", (unsigned long long) (u / USEC_PER_MSEC));
	else if (s < 60)
		snprintf(buf, 32, "%llus", s);
	else if (s % 60 == 0)
		snprintf(buf, 32, "%llumin", s / 60);
	else
		snprintf(buf, 32, "%llumin %llus", s / 60, s % 60);
	return buf;
}

static void runner_save(PhaseRunner *r) {
	int k = node_state_save(r->state, r->state_path);
	if (k < 0)
		/* The file only spares work after a restart; the node goes on without it. */
		log_warning_errno(k, "Failed to save the phase state to %s, continuing: %m", r->state_path);
}

/* Publish a new STATUS= line (and whatever the callback does with the state). */
static void runner_announce(PhaseRunner *r, const char *fmt, ...) _printf_(2, 3);
static void runner_announce(PhaseRunner *r, const char *fmt, ...) {
	char *text = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&text, fmt, ap) >= 0) {
		free(r->status_text);
		r->status_text = text;
	}
	va_end(ap);
	if (r->on_change)
		r->on_change(r, r->status_text, r->userdata);
}

/* Apply one event to phase i through the table. Returns -ESTALE when the table does not
 * allow it, leaving the phase as it was. */
static int runner_transition(PhaseRunner *r, size_t i, PhaseEvent ev) {
	PhaseState *p = &r->state->phases[i];
	uint8_t next = transitions[p->status][ev];

	if (next == 0) {
		log_struct(LOG_WARNING, 0, LOG_FIELDS({ "KILN_PHASE", p->name }),
			   "Phase %s: event '%s' in status '%s' ignored.",
			   p->name, phase_event_table[ev], phase_status_to_string(p->status));
		return -ESTALE;
	}
	p->status = (PhaseStatus) (next - 1);
	switch (ev) {
	case PHASE_EVENT_START:
		p->attempts++;
		p->started_usec = r->clock();
		p->finished_usec = 0;
		p->interrupted = false;
		break;
	case PHASE_EVENT_DONE:
	case PHASE_EVENT_SKIP:
	case PHASE_EVENT_FOUND:
		p->finished_usec = r->clock();
		p->boot_id = r->boot_id;
		r->failures[i] = 0;
		break;
	case PHASE_EVENT_FAIL:
		p->finished_usec = r->clock();
		r->failures[i]++;
		break;
	case PHASE_EVENT_RESET:
	default:
		break;
	}
	return 0;
}

static void runner_schedule_advance(PhaseRunner *r) {
	int k = sd_event_source_set_enabled(r->advance, SD_EVENT_ONESHOT);
	if (k < 0)
		log_error_errno(k, "Failed to schedule the next phase: %m");
}

static int on_advance(sd_event_source *s, void *userdata);
static int on_retry(sd_event_source *s, uint64_t usec, void *userdata);

int phase_runner_new(sd_event *e, const Phase *table, size_t n, NodeState *state_in, StateOrigin origin,
		     const PhaseRunnerOptions *opts, PhaseRunner **ret) {
	_cleanup_(node_state_freep) NodeState *state = state_in;
	_cleanup_(phase_runner_freep) PhaseRunner *r = NULL;
	int k;

	if (!e || !table || n == 0 || !state || state->n_phases != n || !opts || isempty(opts->state_path) || !ret)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (!table[i].run || !streq(table[i].name, state->phases[i].name))
			return -EINVAL;

	r = calloc(1, sizeof *r);
	if (!r)
		return -ENOMEM;
	r->event = sd_event_ref(e);
	r->table = table;
	r->n = n;
	r->state = TAKE_PTR(state);
	r->origin = origin;
	r->boot_id = opts->boot_id;
	r->retry_min = opts->retry_min_usec ?: RETRY_MIN_DEFAULT;
	r->retry_max = MAX(opts->retry_max_usec ?: RETRY_MAX_DEFAULT, r->retry_min);
	r->clock = opts->clock ?: realtime_now;
	r->on_change = opts->on_change;
	r->userdata = opts->userdata;
	r->running = NONE;
	r->retry_at = USEC_INFINITY;
	r->state_path = strdup(opts->state_path);
	r->failures = calloc(n, sizeof *r->failures);
	if (!r->state_path || !r->failures)
		return -ENOMEM;

	k = sd_event_add_defer(e, &r->advance, on_advance, r);
	if (k < 0)
		return k;
	k = sd_event_source_set_enabled(r->advance, SD_EVENT_OFF);
	if (k < 0)
		return k;
	(void) sd_event_source_set_description(r->advance, "phase-advance");
	*ret = TAKE_PTR(r);
	return 0;
}

PhaseRunner *phase_runner_free(PhaseRunner *r) {
	if (!r)
		return NULL;
	sd_event_source_disable_unref(r->advance);
	sd_event_source_disable_unref(r->retry);
	sd_event_unref(r->event);
	node_state_free(r->state);
	free(r->failures);
	free(r->state_path);
	free(r->status_text);
	free(r);
	return NULL;
}

static void log_phase(PhaseRunner *r, size_t i, int level, int error, const char *fmt, ...) _printf_(5, 6);
static void log_phase(PhaseRunner *r, size_t i, int level, int error, const char *fmt, ...) {
	const PhaseState *p = &r->state->phases[i];
	char attempt[16], *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	int k = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (k < 0)
		return (void) log_oom();
	snprintf(attempt, sizeof attempt, "%u", p->attempts);
	log_struct(level, error,
		   LOG_FIELDS({ "KILN_PHASE", p->name },
			      { "KILN_PHASE_STATUS", phase_status_to_string(p->status) },
			      { "KILN_ATTEMPT", attempt },
			      { "KILN_DETAIL", p->detail },
			      { "KILN_LAST_ERROR", p->status == PHASE_FAILED ? p->last_error : NULL }),
		   "%s", msg);
	free(msg);
}

/* Make the loaded state true for this process and boot, before anything runs. */
static void runner_reconcile(PhaseRunner *r) {
	for (size_t i = 0; i < r->n; i++) {
		PhaseState *p = &r->state->phases[i];
		bool finished = phase_status_finished(p->status);

		/* A per-process phase (the watch) is always "running" when the process ends. */
		if (p->interrupted && r->table[i].scope != PHASE_SCOPE_PROCESS)
			log_phase(r, i, LOG_NOTICE, 0,
				  "Phase %s was interrupted by the end of the last supervisor; running it again.", p->name);
		if (!finished)
			continue;
		if (r->table[i].scope == PHASE_SCOPE_PROCESS)
			(void) runner_transition(r, i, PHASE_EVENT_RESET);
		else if (r->table[i].scope == PHASE_SCOPE_BOOT && !sd_id128_equal(p->boot_id, r->boot_id)) {
			(void) runner_transition(r, i, PHASE_EVENT_RESET);
			log_phase(r, i, LOG_INFO, 0, "Phase %s finished in an earlier boot; running it again for this one.",
				  p->name);
		}
	}
	if (r->origin == STATE_LOADED)
		return;

	/* The state is lost: ask the system what is already in place. */
	for (size_t i = 0; i < r->n; i++) {
		PhaseState *p = &r->state->phases[i];
		_cleanup_free_ char *detail = NULL;

		if (r->table[i].scope == PHASE_SCOPE_PROCESS || !r->table[i].check || p->status != PHASE_PENDING)
			continue;
		int c = r->table[i].check(r, r->userdata, &detail);
		if (c <= 0) {
			log_phase(r, i, LOG_INFO, c == -EOPNOTSUPP ? 0 : c, c == 0 || c == -EOPNOTSUPP
				  ? "Phase %s: not found in place; it will run."
				  : "Phase %s: could not check whether it is in place, so it will run: %m", p->name);
			continue;
		}
		if (runner_transition(r, i, PHASE_EVENT_FOUND) < 0)
			continue;
		(void) phase_state_set_text(&p->detail, detail ?: "found in place");
		log_phase(r, i, LOG_INFO, 0, "Phase %s: found in place (%s); not running it again.",
			  p->name, p->detail ?: "");
	}
}

int phase_runner_start(PhaseRunner *r) {
	if (!r)
		return -EINVAL;
	runner_reconcile(r);
	r->state->boot_id = r->boot_id;
	runner_save(r);
	runner_schedule_advance(r);
	return 0;
}

/* Before a verify_before phase: the index of the first earlier phase whose work is gone
 * (now reset to pending), or NONE when everything still holds. */
static size_t runner_verify(PhaseRunner *r, size_t upto) {
	for (size_t j = 0; j < upto; j++) {
		PhaseState *p = &r->state->phases[j];
		_cleanup_free_ char *detail = NULL;

		if (p->status != PHASE_DONE || !r->table[j].check)
			continue;
		int c = r->table[j].check(r, r->userdata, &detail);
		if (c > 0 || c == -EOPNOTSUPP)
			continue;
		(void) runner_transition(r, j, PHASE_EVENT_RESET);
		(void) phase_state_set_text(&p->last_error, "its work was gone at a re-check");
		log_phase(r, j, LOG_WARNING, c, c < 0
			  ? "Phase %s: the re-check before %s failed (%m); running it again."
			  : "Phase %s: its work is gone at the re-check before %s; running it again.",
			  p->name, r->table[upto].name);
		return j;
	}
	return NONE;
}

/* Mark phase i running (saved, logged, announced), without running it yet. */
static int runner_begin(PhaseRunner *r, size_t i) {
	PhaseState *p = &r->state->phases[i];
	int k;

	k = runner_transition(r, i, PHASE_EVENT_START);
	if (k < 0)
		return k;
	r->running = i;
	runner_save(r);
	log_phase(r, i, LOG_INFO, 0, "Phase %s: started (attempt %u).", p->name, p->attempts);
	runner_announce(r, "%s: running (attempt %u)", p->name, p->attempts);
	return 0;
}

static void runner_start_phase(PhaseRunner *r, size_t i) {
	if (runner_begin(r, i) < 0)
		return;
	int k = r->table[i].run(r, r->userdata);
	/* run() may have ended the phase already; only a phase still running is failed here. */
	if (k < 0 && r->running == i)
		(void) phase_failed(r, k, "could not start: %s", strerror(-k));
}

static int on_advance(sd_event_source *s, void *userdata) {
	PhaseRunner *r = userdata;

	if (r->running != NONE || r->retry_at != USEC_INFINITY)
		return 0;
	for (size_t i = 0; i < r->n; i++) {
		if (phase_status_finished(r->state->phases[i].status))
			continue;
		if (r->table[i].verify_before) {
			size_t j = runner_verify(r, i);
			if (j != NONE && ++r->verify_resets > VERIFY_RESETS_MAX) {
				/* Fail the verifying phase without running it: its backoff slows the
				 * cycle down. */
				if (runner_begin(r, i) >= 0)
					(void) phase_failed(r, 0, "%s keeps losing its work at the re-check",
							    r->table[j].name);
				return 0;
			}
			if (j != NONE) {
				runner_save(r);
				runner_start_phase(r, j);
				return 0;
			}
		}
		runner_start_phase(r, i);
		return 0;
	}
	runner_announce(r, "All phases finished.");
	return 0;
}

static int on_retry(sd_event_source *s, uint64_t usec, void *userdata) {
	PhaseRunner *r = userdata;

	r->retry = sd_event_source_disable_unref(r->retry);
	r->retry_at = USEC_INFINITY;
	runner_schedule_advance(r);
	return 0;
}

static int runner_finish(PhaseRunner *r, PhaseEvent ev, int error, const char *text) {
	if (!r || r->running == NONE)
		return -ESTALE;
	size_t i = r->running;
	PhaseState *p = &r->state->phases[i];
	int k;

	k = runner_transition(r, i, ev);
	if (k < 0)
		return k;
	r->running = NONE;
	if (ev == PHASE_EVENT_FAIL)
		(void) phase_state_set_text(&p->last_error, text ?: "failed");
	else
		(void) phase_state_set_text(&p->detail, text);
	if (ev != PHASE_EVENT_FAIL && r->table[i].verify_before)
		r->verify_resets = 0;
	runner_save(r);

	if (ev != PHASE_EVENT_FAIL) {
		usec_t took = usec_sub_unsigned(p->finished_usec, p->started_usec);
		log_phase(r, i, LOG_INFO, 0, "Phase %s: %s in %llu ms%s%s%s.", p->name, phase_status_to_string(p->status),
			  (unsigned long long) (took / USEC_PER_MSEC), p->detail ? " (" : "", p->detail ?: "",
			  p->detail ? ")" : "");
		runner_announce(r, "%s: %s%s%s", p->name, phase_status_to_string(p->status),
				p->detail ? ", " : "", p->detail ?: "");
		runner_schedule_advance(r);
		return 0;
	}

	char delay[32];
	usec_t d = phase_retry_delay(r->failures[i], r->retry_min, r->retry_max);
	format_delay(d, delay);
	log_phase(r, i, LOG_ERR, error, "Phase %s failed (attempt %u): %s; retrying in %s.",
		  p->name, p->attempts, p->last_error, delay);
	runner_announce(r, "%s failed: %s; retrying in %s", p->name, p->last_error, delay);

	/* From the real now, not the loop's cached one: the failure may come after slow work
	 * (state saves with fsync) in the same iteration. */
	r->retry_at = usec_add(now(CLOCK_MONOTONIC), d);
	r->retry = sd_event_source_disable_unref(r->retry);
	k = sd_event_add_time(r->event, &r->retry, CLOCK_MONOTONIC, r->retry_at, d / 100, on_retry, r);
	if (k < 0) {
		/* Without a timer the phase would never run again: let the caller see it. */
		log_error_errno(k, "Failed to schedule the retry of phase %s: %m", p->name);
		r->retry_at = USEC_INFINITY;
		return k;
	}
	(void) sd_event_source_set_description(r->retry, "phase-retry");
	return 0;
}

int phase_done(PhaseRunner *r, const char *detail) {
	return runner_finish(r, PHASE_EVENT_DONE, 0, detail);
}

int phase_skipped(PhaseRunner *r, const char *detail) {
	return runner_finish(r, PHASE_EVENT_SKIP, 0, detail);
}

int phase_failed(PhaseRunner *r, int error, const char *fmt, ...) {
	_cleanup_free_ char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	int k = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (k < 0)
		msg = NULL;
	return runner_finish(r, PHASE_EVENT_FAIL, error, msg);
}

int phase_note(PhaseRunner *r, const char *detail) {
	if (!r || r->running == NONE)
		return -ESTALE;
	PhaseState *p = &r->state->phases[r->running];
	int k = phase_state_set_text(&p->detail, detail);
	if (k < 0)
		return k;
	runner_save(r);
	runner_announce(r, "%s: %s", p->name, detail ?: "running");
	return 0;
}

int phase_runner_count_repair(PhaseRunner *r) {
	if (!r)
		return -EINVAL;
	r->state->repairs++;
	runner_save(r);
	return 0;
}

const char *phase_runner_current(PhaseRunner *r) {
	if (!r)
		return NULL;
	if (r->running != NONE)
		return r->state->phases[r->running].name;
	for (size_t i = 0; i < r->n; i++)
		if (!phase_status_finished(r->state->phases[i].status))
			return r->state->phases[i].name;
	return NULL;
}

const PhaseState *phase_runner_running(PhaseRunner *r) {
	return r && r->running != NONE ? &r->state->phases[r->running] : NULL;
}

NodeState *phase_runner_state(PhaseRunner *r) {
	return r ? r->state : NULL;
}

sd_id128_t phase_runner_boot_id(PhaseRunner *r) {
	return r ? r->boot_id : SD_ID128_NULL;
}

usec_t phase_runner_retry_at(PhaseRunner *r) {
	return r ? r->retry_at : USEC_INFINITY;
}

const char *phase_runner_status_text(PhaseRunner *r) {
	return r ? r->status_text : NULL;
}

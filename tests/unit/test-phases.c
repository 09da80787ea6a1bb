/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The phase runner (supervisor/phases.c) with fake phases on a real sd-event loop, a fake
 * clock for the records and millisecond backoffs: order, async completion, retries with
 * backoff, resume after a crash, scopes across boots, re-derivation after a state loss,
 * the re-check before a verify_before phase, and the transition table's refusals. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "phases.h"
#include "state.h"
#include "tap.h"
#include "tmpdir-files.h"

#define N_FAKES 4
#define MIN_RETRY (2 * USEC_PER_MSEC)
#define MAX_RETRY (8 * USEC_PER_MSEC)

/* What each fake does at its n-th run: 'd' done at once, 's' skipped, 'f' failed at once,
 * 'a' done later from the loop, 'A' failed later, 'e' return -EIO without finishing, 'n'
 * never finish (a watch). The last letter repeats. */
typedef struct Fake {
	const char *script;
	const char *checks;        /* what check() returns, same way: '1', '0', 'u' -EOPNOTSUPP, 'x' -EIO */
	unsigned runs, n_checks;
	usec_t run_at[8];          /* CLOCK_MONOTONIC of each run */
} Fake;

static Fake fakes[N_FAKES];
static char order[64];
static sd_event *event;
static unsigned changes;
static char last_status[256];
static usec_t fake_now = 1000000;

static usec_t fake_clock(void) {
	return fake_now += 1000;
}

static void on_change(PhaseRunner *r, const char *text, void *userdata) {
	changes++;
	snprintf(last_status, sizeof last_status, "%s", text ?: "");
}

static int on_later(sd_event_source *s, uint64_t usec, void *userdata) {
	PhaseRunner *r = userdata;
	const PhaseState *p = phase_runner_running(r);
	size_t i = p ? (size_t) (p->name[0] - 'a') : 0;
	char c = fakes[i].script[MIN(fakes[i].runs, (unsigned) strlen(fakes[i].script)) - 1];

	if (c == 'a')
		(void) phase_done(r, "later");
	else
		(void) phase_failed(r, -EIO, "later failure %u", fakes[i].runs);
	return 0;   /* a floating one-shot source: the loop owns it */
}

static int fake_run(PhaseRunner *r, size_t i) {
	Fake *f = &fakes[i];
	size_t len = strlen(f->script);
	char c = f->script[MIN(f->runs, (unsigned) len - 1)];

	if (f->runs < ELEMENTSOF(f->run_at))
		f->run_at[f->runs] = now(CLOCK_MONOTONIC);
	f->runs++;
	strncat(order, (const char[]) { (char) ('a' + i), 0 }, sizeof order - strlen(order) - 1);
	switch (c) {
	case 'd': return phase_done(r, "done at once");
	case 's': return phase_skipped(r, "not installed");
	case 'f': return phase_failed(r, 0, "failure %u of %c", f->runs, (char) ('a' + i));
	case 'e': return -EIO;
	case 'n': return phase_note(r, "watching");
	case 'a': case 'A':
		return sd_event_add_time_relative(event, NULL, CLOCK_MONOTONIC, USEC_PER_MSEC, 0, on_later, r);
	}
	return -EINVAL;
}

static int fake_check(size_t i, char **ret_detail) {
	Fake *f = &fakes[i];
	size_t len = strlen(f->checks);
	char c = f->checks[MIN(f->n_checks, (unsigned) len - 1)];

	f->n_checks++;
	switch (c) {
	case '1':
		*ret_detail = strdup("found by the check");
		return 1;
	case '0': return 0;
	case 'u': return -EOPNOTSUPP;
	default:  return -EIO;
	}
}

#define FAKE(i)                                                                              \
	static int run_##i(PhaseRunner *r, void *u) { return fake_run(r, i); }               \
	static int check_##i(PhaseRunner *r, void *u, char **d) { return fake_check(i, d); }
FAKE(0) FAKE(1) FAKE(2) FAKE(3)

static const char *const names[N_FAKES] = { "a", "b", "c", "d" };

/* The default table: a and b once per boot, c once per node, d in every process. */
static Phase table[N_FAKES] = {
	{ "a", PHASE_SCOPE_BOOT,    false, run_0, check_0 },
	{ "b", PHASE_SCOPE_BOOT,    false, run_1, check_1 },
	{ "c", PHASE_SCOPE_NODE,    false, run_2, check_2 },
	{ "d", PHASE_SCOPE_PROCESS, false, run_3, check_3 },
};

static const sd_id128_t boot_a = SD_ID128_MAKE(01,23,45,67,89,ab,cd,ef,01,23,45,67,89,ab,cd,ef);
static const sd_id128_t boot_b = SD_ID128_MAKE(fe,dc,ba,98,76,54,32,10,fe,dc,ba,98,76,54,32,10);

static void reset_fakes(const char *s0, const char *s1, const char *s2, const char *s3) {
	const char *scripts[] = { s0, s1, s2, s3 };
	for (size_t i = 0; i < N_FAKES; i++)
		fakes[i] = (Fake) { .script = scripts[i], .checks = "u" };
	order[0] = '\0';
	changes = 0;
	last_status[0] = '\0';
	for (size_t i = 0; i < N_FAKES; i++)
		table[i].verify_before = false;
}

/* A runner over the state file at path (loaded, or fresh when there is none). */
static PhaseRunner *runner_for(const char *path, sd_id128_t boot) {
	NodeState *s = NULL;
	StateOrigin origin;
	PhaseRunner *r = NULL;

	if (node_state_load(path, names, N_FAKES, &s, &origin) < 0)
		return NULL;
	PhaseRunnerOptions opts = {
		.state_path = path, .boot_id = boot, .retry_min_usec = MIN_RETRY, .retry_max_usec = MAX_RETRY,
		.clock = fake_clock, .on_change = on_change,
	};
	if (phase_runner_new(event, table, N_FAKES, s, origin, &opts, &r) < 0 || phase_runner_start(r) < 0)
		return phase_runner_free(r);
	return r;
}

static bool idle(PhaseRunner *r) {
	return !phase_runner_running(r) && phase_runner_retry_at(r) == USEC_INFINITY &&
	       phase_runner_current(r) == NULL;
}

static bool running_is(PhaseRunner *r, const char *name) {
	const PhaseState *p = phase_runner_running(r);
	return p && streq(p->name, name);
}

/* Run the loop until the runner has nothing left to do or phase `until` runs (a watch). */
static bool spin(PhaseRunner *r, const char *until) {
	usec_t deadline = now(CLOCK_MONOTONIC) + 5 * USEC_PER_SEC;
	while (now(CLOCK_MONOTONIC) < deadline) {
		if (until ? running_is(r, until) : idle(r)) {
			/* Let the sources already due run: the last announcement is deferred. */
			(void) sd_event_run(event, 0);
			return true;
		}
		if (sd_event_run(event, USEC_PER_MSEC) < 0)
			return false;
	}
	return false;
}

static PhaseStatus status_of(PhaseRunner *r, size_t i) {
	return phase_runner_state(r)->phases[i].status;
}

static void test_delay(void) {
	is_int(phase_retry_delay(1, 5 * USEC_PER_SEC, 300 * USEC_PER_SEC), 5 * USEC_PER_SEC, "first retry after 5 s");
	is_int(phase_retry_delay(2, 5 * USEC_PER_SEC, 300 * USEC_PER_SEC), 10 * USEC_PER_SEC, "then 10 s");
	is_int(phase_retry_delay(7, 5 * USEC_PER_SEC, 300 * USEC_PER_SEC), 300 * USEC_PER_SEC, "320 s is capped at 5 min");
	is_int(phase_retry_delay(1000, 5 * USEC_PER_SEC, 300 * USEC_PER_SEC), 300 * USEC_PER_SEC, "no overflow after many failures");
}

static void test_in_order(void) {
	_cleanup_(phase_runner_freep) PhaseRunner *r = NULL;

	fresh_dir("order");
	reset_fakes("d", "a", "s", "d");
	r = runner_for(P("order/state.json"), boot_a);
	ok(r, "runner set up");
	if (!r)
		return;
	ok(phase_runner_running(r) == NULL && order[0] == '\0', "nothing runs before the loop does");
	ok(spin(r, NULL), "the runner finishes every phase");
	is_str(order, "abcd", "each phase ran once, in table order");
	ok(status_of(r, 0) == PHASE_DONE && status_of(r, 1) == PHASE_DONE && status_of(r, 2) == PHASE_SKIPPED &&
	   status_of(r, 3) == PHASE_DONE, "done, done (later, from the loop), skipped, done");
	is_str(phase_runner_state(r)->phases[1].detail, "later", "an async phase's detail is recorded");
	is_str(last_status, "All phases finished.", "the last STATUS= says so");
	ok(changes >= 8, "every start and end was announced (%u)", changes);
	const PhaseState *p = &phase_runner_state(r)->phases[0];
	ok(p->attempts == 1 && p->started_usec > 1000000 && p->finished_usec > p->started_usec,
	   "attempts and the fake clock's times are recorded");
	ok(sd_id128_equal(p->boot_id, boot_a), "a finished phase records its boot");

	/* What is on disk is what the runner has. */
	_cleanup_(node_state_freep) NodeState *l = NULL;
	StateOrigin origin;
	ok(node_state_load(P("order/state.json"), names, N_FAKES, &l, &origin) >= 0 && origin == STATE_LOADED &&
	   l->phases[2].status == PHASE_SKIPPED && l->phases[3].status == PHASE_DONE && sd_id128_equal(l->boot_id, boot_a),
	   "the state file has every transition");
	is_int(phase_done(r, NULL), -ESTALE, "phase_done with no phase running: -ESTALE");
	is_int(phase_failed(r, -EIO, "late"), -ESTALE, "a late failure changes nothing");
	ok(status_of(r, 3) == PHASE_DONE, "the last phase is still done");
}

static void test_retry(void) {
	_cleanup_(phase_runner_freep) PhaseRunner *r = NULL;

	fresh_dir("retry");
	reset_fakes("d", "fAfd", "d", "d");
	r = runner_for(P("retry/state.json"), boot_a);
	if (!r)
		return (void) ok(false, "runner set up");
	/* Up to the first failure. */
	usec_t deadline = now(CLOCK_MONOTONIC) + USEC_PER_SEC;
	while (status_of(r, 1) != PHASE_FAILED && now(CLOCK_MONOTONIC) < deadline)
		(void) sd_event_run(event, USEC_PER_MSEC);
	ok(status_of(r, 1) == PHASE_FAILED, "b failed");
	ok(phase_runner_retry_at(r) != USEC_INFINITY, "a retry is scheduled");
	ok(strstr(last_status, "b failed: failure 1 of b; retrying in 2ms") != NULL,
	   "STATUS= names the phase, the error and the delay (%s)", last_status);
	is_str(phase_runner_current(r), "b", "the current phase is the failed one");
	is_int(fakes[2].runs, 0, "the next phase does not run while b is failed");

	ok(spin(r, NULL), "b succeeds in the end");
	is_str(order, "abbbbcd", "b ran four times, then the rest once");
	const PhaseState *b = &phase_runner_state(r)->phases[1];
	ok(b->status == PHASE_DONE && b->attempts == 4, "b is done after 4 attempts");
	is_str(b->last_error, "failure 3 of b", "the last error is kept after the success");
	usec_t g1 = fakes[1].run_at[1] - fakes[1].run_at[0], g2 = fakes[1].run_at[2] - fakes[1].run_at[1],
	       g3 = fakes[1].run_at[3] - fakes[1].run_at[2];
	ok(g1 >= MIN_RETRY, "first retry after >= 2 ms (%llu us)", (unsigned long long) g1);
	ok(g2 >= 2 * MIN_RETRY, "second after >= 4 ms (%llu us)", (unsigned long long) g2);
	ok(g3 >= 4 * MIN_RETRY, "third after >= 8 ms (%llu us)", (unsigned long long) g3);
}

static void test_run_error(void) {
	_cleanup_(phase_runner_freep) PhaseRunner *r = NULL;

	fresh_dir("err");
	reset_fakes("ed", "d", "d", "d");
	r = runner_for(P("err/state.json"), boot_a);
	if (!r)
		return (void) ok(false, "runner set up");
	ok(spin(r, NULL), "a phase whose run() fails is retried");
	const PhaseState *a = &phase_runner_state(r)->phases[0];
	ok(a->attempts == 2 && a->status == PHASE_DONE, "and succeeds at the second attempt");
	ok(a->last_error && strstr(a->last_error, "could not start"), "the run() error is the last error (%s)",
	   a->last_error ?: "(null)");
}

static void test_resume(void) {
	_cleanup_(phase_runner_freep) PhaseRunner *r = NULL;

	fresh_dir("resume");
	/* As if the supervisor was killed while b ran. */
	put(P("resume/state.json"), "{\"schema\": 1, \"bootId\": \"0123456789abcdef0123456789abcdef\", \"phases\": {"
				    "\"a\": {\"status\": \"done\", \"attempts\": 1, \"bootId\": \"0123456789abcdef0123456789abcdef\"},"
				    "\"b\": {\"status\": \"running\", \"attempts\": 1}}}");
	reset_fakes("d", "d", "d", "n");
	r = runner_for(P("resume/state.json"), boot_a);
	if (!r)
		return (void) ok(false, "runner set up");
	ok(spin(r, "d"), "the runner gets to the watch");
	is_str(order, "bcd", "the finished phase is not run again, the interrupted one is");
	ok(phase_runner_state(r)->phases[0].attempts == 1, "a's attempts are unchanged");
	ok(phase_runner_state(r)->phases[1].attempts == 2, "b's second attempt");
	ok(status_of(r, 3) == PHASE_RUNNING, "the watch stays running");
	is_str(phase_runner_current(r), "d", "and is the current phase");
	is_str(phase_runner_state(r)->phases[3].detail, "watching", "phase_note() set its detail");
	is_str(last_status, "d: watching", "and STATUS=");
}

static void test_scopes(void) {
	fresh_dir("scope");
	reset_fakes("d", "d", "d", "d");
	PhaseRunner *r = runner_for(P("scope/state.json"), boot_a);
	ok(r && spin(r, NULL) && streq(order, "abcd"), "first run: all four");
	phase_runner_free(r);

	/* The supervisor restarts in the same boot: only the per-process phase runs. */
	order[0] = '\0';
	r = runner_for(P("scope/state.json"), boot_a);
	ok(r && spin(r, NULL), "restart in the same boot finishes");
	is_str(order, "d", "same boot: only the per-process phase runs again");
	phase_runner_free(r);

	/* A reboot: the per-boot phases run again, the per-node one does not. */
	order[0] = '\0';
	r = runner_for(P("scope/state.json"), boot_b);
	ok(r && spin(r, NULL), "after a reboot it finishes");
	is_str(order, "abd", "new boot: per-boot and per-process phases run again, per-node does not");
	ok(r && phase_runner_state(r)->phases[2].attempts == 1, "the per-node phase keeps its single attempt");
	ok(r && sd_id128_equal(phase_runner_state(r)->boot_id, boot_b), "the state records the new boot");
	phase_runner_free(r);
}

static void test_derive(void) {
	_cleanup_(phase_runner_freep) PhaseRunner *r = NULL;

	fresh_dir("derive");
	put(P("derive/state.json"), "{ not json");
	reset_fakes("d", "d", "d", "d");
	fakes[0].checks = "1";      /* in place */
	fakes[1].checks = "0";      /* not in place */
	fakes[2].checks = "x";      /* cannot check: runs */
	fakes[3].checks = "1";      /* per process: never asked */
	r = runner_for(P("derive/state.json"), boot_a);
	if (!r)
		return (void) ok(false, "runner set up");
	ok(spin(r, NULL), "the runner finishes after a state loss");
	is_int(count_entries(P("derive"), "state.json.corrupt-"), 1, "the corrupt file was moved aside");
	is_str(order, "bcd", "the phase found in place is not run, the others are");
	ok(status_of(r, 0) == PHASE_DONE && phase_runner_state(r)->phases[0].attempts == 0,
	   "the found phase is done without an attempt");
	is_str(phase_runner_state(r)->phases[0].detail, "found by the check", "with the check's detail");
	is_int(fakes[3].n_checks, 0, "a per-process phase is never derived");
	is_int(fakes[0].n_checks, 1, "each check ran once");
}

static void test_verify(void) {
	_cleanup_(phase_runner_freep) PhaseRunner *r = NULL, *r2 = NULL;

	/* b's work is gone at the first re-check before d: b runs again, then d. An
	 * existing (empty) state, so that no check runs to re-derive it. */
	fresh_dir("verify");
	put(P("verify/state.json"), "{\"schema\": 1, \"phases\": {}}");
	reset_fakes("d", "d", "d", "d");
	table[3].verify_before = true;
	fakes[1].checks = "01";
	fakes[2].checks = "u";
	r = runner_for(P("verify/state.json"), boot_a);
	if (!r)
		return (void) ok(false, "runner set up");
	ok(spin(r, NULL), "the runner finishes");
	is_str(order, "abcbd", "the phase whose work was gone ran again before the verifying one");
	ok(fakes[1].n_checks == 2 && fakes[0].n_checks == 2, "every finished phase was re-checked each time");
	/* The first round stops at b; c is asked in the second round only. */
	is_int(fakes[2].n_checks, 1, "a phase that cannot tell is asked and trusted");
	ok(phase_runner_state(r)->phases[1].attempts == 2, "b has two attempts");

	/* A check that never agrees with its run() must not spin: d fails and backs off. */
	fresh_dir("verify2");
	put(P("verify2/state.json"), "{\"schema\": 1, \"phases\": {}}");
	reset_fakes("d", "d", "d", "d");
	table[3].verify_before = true;
	fakes[1].checks = "0";
	r2 = runner_for(P("verify2/state.json"), boot_a);
	if (!r2)
		return (void) ok(false, "runner set up");
	usec_t deadline = now(CLOCK_MONOTONIC) + USEC_PER_SEC;
	while (status_of(r2, 3) != PHASE_FAILED && now(CLOCK_MONOTONIC) < deadline)
		(void) sd_event_run(event, USEC_PER_MSEC);
	ok(status_of(r2, 3) == PHASE_FAILED, "the verifying phase fails after repeated losses");
	ok(phase_runner_state(r2)->phases[3].last_error &&
	   strstr(phase_runner_state(r2)->phases[3].last_error, "b keeps losing its work"),
	   "its error names the phase that keeps losing its work");
	is_int(fakes[1].runs, 4, "b ran once plus three re-runs, not more");
	ok(phase_runner_retry_at(r2) != USEC_INFINITY, "and a retry is scheduled");
	table[3].verify_before = false;
}

static void test_bad_setup(void) {
	NodeState *s = NULL;
	PhaseRunner *r = NULL;
	PhaseRunnerOptions opts = { .state_path = P("x.json") };
	Phase renamed[N_FAKES];

	memcpy(renamed, table, sizeof renamed);
	renamed[2].name = "z";
	ok(node_state_new(names, N_FAKES, &s) >= 0, "a state");
	is_int(phase_runner_new(event, renamed, N_FAKES, s, STATE_LOADED, &opts, &r), -EINVAL,
	       "a table that does not match the state is refused (and the state freed)");
	s = NULL;
	ok(node_state_new(names, N_FAKES, &s) >= 0, "a state");
	PhaseRunnerOptions no_path = {};
	is_int(phase_runner_new(event, table, N_FAKES, s, STATE_LOADED, &no_path, &r), -EINVAL,
	       "a runner without a state path is refused");
	ok(r == NULL, "ret untouched");
}

int main(void) {
	T = tap_mkdtemp();
	if (!T)
		skip_all("cannot create a temporary directory");
	if (sd_event_new(&event) < 0)
		skip_all("cannot create an sd-event loop");
	/* The runner logs every transition: keep the failures of this test readable. */
	log_set_max_level(LOG_WARNING);

	test_delay();
	test_in_order();
	test_retry();
	test_run_error();
	test_resume();
	test_scopes();
	test_derive();
	test_verify();
	test_bad_setup();

	sd_event_unref(event);
	(void) rm_rf(T);
	free(T);
	return done_testing();
}

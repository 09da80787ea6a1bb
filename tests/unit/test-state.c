/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The supervisor's persisted phase state (supervisor/state.c): save/load round trip, a
 * missing, empty, corrupt or foreign file moved aside and replaced by a fresh state,
 * "running" coming back as interrupted, and atomic writes that leave nothing behind. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "state.h"
#include "tap.h"
#include "tmpdir-files.h"

static const char *const names[] = { "preflight", "runtime", "images", "ready" };
#define N ELEMENTSOF(names)

static const sd_id128_t boot_a = SD_ID128_MAKE(01,23,45,67,89,ab,cd,ef,01,23,45,67,89,ab,cd,ef);
static const sd_id128_t boot_b = SD_ID128_MAKE(fe,dc,ba,98,76,54,32,10,fe,dc,ba,98,76,54,32,10);

static NodeState *load(const char *path, StateOrigin *origin) {
	NodeState *s = NULL;
	int r = node_state_load(path, names, N, &s, origin);
	if (r < 0)
		diag("node_state_load(%s): %s", path, strerror(-r));
	return s;
}

static bool all_pending(const NodeState *s) {
	for (size_t i = 0; s && i < s->n_phases; i++)
		if (s->phases[i].status != PHASE_PENDING || s->phases[i].attempts != 0 || s->phases[i].detail)
			return false;
	return s && s->n_phases == N && s->repairs == 0 && sd_id128_is_null(s->boot_id);
}

static void test_strings(void) {
	for (int i = 0; i < _PHASE_STATUS_MAX; i++)
		is_int(phase_status_from_string(phase_status_to_string(i)), i, "status string round trip");
	is_str(phase_status_to_string(PHASE_SKIPPED), "skipped", "PHASE_SKIPPED is \"skipped\"");
	is_int(phase_status_from_string("Done"), -EINVAL, "status words are case sensitive");
	is_int(phase_status_from_string(NULL), -EINVAL, "NULL is no status");
	ok(phase_status_to_string(_PHASE_STATUS_MAX) == NULL, "out of range status has no string");
}

static void test_new(void) {
	_cleanup_(node_state_freep) NodeState *s = NULL;
	const char *bad[] = { "a", "" };

	is_int(node_state_new(names, N, &s), 0, "node_state_new");
	ok(all_pending(s), "a fresh state has every phase pending, no attempts, no repairs");
	ok(s && s->phases[2].name == names[2], "phase names are the table's, in order");
	ok(node_state_find(s, "images") == &s->phases[2], "node_state_find by name");
	ok(node_state_find(s, "cluster") == NULL, "node_state_find of an unknown phase is NULL");
	NodeState *t = NULL;
	is_int(node_state_new(bad, 2, &t), -EINVAL, "an empty phase name is refused");
	ok(t == NULL, "ret untouched on failure");
}

static void test_round_trip(void) {
	_cleanup_(node_state_freep) NodeState *s = NULL, *l = NULL;
	StateOrigin origin = STATE_CORRUPT;

	fresh_dir("rt");
	if (node_state_new(names, N, &s) < 0)
		return (void) ok(false, "node_state_new");
	s->boot_id = boot_a;
	s->repairs = 7;
	s->phases[0] = (PhaseState) { .name = names[0], .status = PHASE_DONE, .started_usec = 1000001,
				      .finished_usec = 2500002, .attempts = 3, .boot_id = boot_b };
	(void) phase_state_set_text(&s->phases[0].last_error, "failed checks: swap, \"port\" 10250\n\ttab");
	(void) phase_state_set_text(&s->phases[0].detail, "12 passed, 1 fixed, 0 warnings");
	s->phases[1].status = PHASE_FAILED;
	s->phases[1].attempts = 1;
	s->phases[1].started_usec = 5;
	(void) phase_state_set_text(&s->phases[1].last_error, "containerd did not answer");
	s->phases[2].status = PHASE_SKIPPED;
	(void) phase_state_set_text(&s->phases[2].detail, "not installed ✓");

	is_int(node_state_save(s, P("rt/sub/state.json")), 0, "save creates the missing directory");
	l = load(P("rt/sub/state.json"), &origin);
	is_int(origin, STATE_LOADED, "a saved state loads as STATE_LOADED");
	if (!l)
		return;
	ok(sd_id128_equal(l->boot_id, boot_a) && l->repairs == 7, "boot ID and repairs survive");
	const PhaseState *p = &l->phases[0];
	ok(p->status == PHASE_DONE && p->started_usec == 1000001 && p->finished_usec == 2500002 &&
	   p->attempts == 3 && sd_id128_equal(p->boot_id, boot_b), "status, times, attempts, boot survive");
	is_str(p->last_error, "failed checks: swap, \"port\" 10250\n\ttab", "lastError survives, quotes and control characters included");
	is_str(p->detail, "12 passed, 1 fixed, 0 warnings", "detail survives");
	ok(!p->interrupted, "a done phase is not interrupted");
	ok(l->phases[1].status == PHASE_FAILED && l->phases[1].attempts == 1 && l->phases[1].started_usec == 5 &&
	   l->phases[1].finished_usec == 0, "a failed phase stays failed");
	is_str(l->phases[2].detail, "not installed ✓", "UTF-8 in detail survives");
	ok(l->phases[2].status == PHASE_SKIPPED, "skipped survives");
	ok(l->phases[3].status == PHASE_PENDING && !l->phases[3].last_error && !l->phases[3].detail &&
	   sd_id128_is_null(l->phases[3].boot_id), "a pending phase has no error, detail or boot");

	/* The file's mode and shape. */
	is_int(mode_of(P("rt/sub/state.json")) & 07777, 0644, "state.json is 0644");
	const char *text = get(P("rt/sub/state.json"));
	ok(text[strlen(text) - 1] == '\n', "the file ends with a newline");
	ok(strstr(text, "\"schema\": 1") != NULL, "the file says its schema version");
}

/* Write text as the state file, load it, and check it was thrown out and moved aside. */
static void expect_corrupt(const char *text, const char *what) {
	_cleanup_(node_state_freep) NodeState *l = NULL;
	StateOrigin origin = STATE_LOADED;

	fresh_dir("bad");
	put(P("bad/state.json"), text);
	l = load(P("bad/state.json"), &origin);
	ok(l && origin == STATE_CORRUPT && all_pending(l), "%s: fresh state, origin corrupt", what);
	ok(access(P("bad/state.json"), F_OK) < 0 && count_entries(P("bad"), "state.json.corrupt-") == 1,
	   "%s: moved aside as state.json.corrupt-*", what);
}

static void test_corrupt(void) {
	_cleanup_(node_state_freep) NodeState *s = NULL;
	_cleanup_free_ char *good = NULL;

	expect_corrupt("", "empty file");
	expect_corrupt("\x7f" "ELF\x02\x01\x01garbage", "binary garbage");
	expect_corrupt("{\"schema\": 1, \"phases\": {\"preflight\": {\"status\": \"done\"", "truncated JSON");
	expect_corrupt("[1, 2]", "a JSON array");
	expect_corrupt("{\"schema\": 2, \"phases\": {}}", "another schema version");
	expect_corrupt("{\"phases\": {}}", "no schema");
	expect_corrupt("{\"schema\": \"1\", \"phases\": {}}", "schema as a string");
	expect_corrupt("{\"schema\": 1}", "no phases");
	expect_corrupt("{\"schema\": 1, \"phases\": []}", "phases an array");
	expect_corrupt("{\"schema\": 1, \"phases\": {\"runtime\": {\"status\": \"finished\"}}}", "unknown status");
	expect_corrupt("{\"schema\": 1, \"phases\": {\"runtime\": {}}}", "a phase without status");
	expect_corrupt("{\"schema\": 1, \"phases\": {\"runtime\": {\"status\": \"done\", \"attempts\": -1}}}", "negative attempts");
	expect_corrupt("{\"schema\": 1, \"phases\": {\"runtime\": {\"status\": \"done\", \"attempts\": 1.5}}}", "fractional attempts");
	expect_corrupt("{\"schema\": 1, \"phases\": {\"runtime\": {\"status\": \"done\", \"attempts\": 4294967296}}}", "attempts past UINT_MAX");
	expect_corrupt("{\"schema\": 1, \"phases\": {\"runtime\": {\"status\": \"done\", \"lastError\": 3}}}", "lastError a number");
	expect_corrupt("{\"schema\": 1, \"phases\": {\"runtime\": {\"status\": \"done\", \"bootId\": \"xyz\"}}}", "bad phase boot ID");
	expect_corrupt("{\"schema\": 1, \"bootId\": 5, \"phases\": {}}", "boot ID a number");
	expect_corrupt("{\"schema\": 1, \"repairs\": -2, \"phases\": {}}", "negative repairs");
	expect_corrupt("{\"schema\": 1, \"schema\": 1, \"phases\": {}}", "duplicate keys");

	/* Half of a real file, as a power cut without the atomic write would leave it. */
	if (node_state_new(names, N, &s) >= 0 && node_state_format(s, &good) >= 0) {
		good[strlen(good) / 2] = '\0';
		expect_corrupt(good, "the first half of a saved state");
	} else
		ok(false, "formatting a state");
}

static void test_missing_and_partial(void) {
	_cleanup_(node_state_freep) NodeState *l = NULL, *m = NULL;
	StateOrigin origin = STATE_LOADED;

	fresh_dir("miss");
	l = load(P("miss/state.json"), &origin);
	ok(l && origin == STATE_MISSING && all_pending(l), "a missing file gives a fresh state, origin missing");
	is_int(count_entries(P("miss"), ""), 0, "loading a missing state creates nothing");

	/* Phases the file does not know are pending; phases the table does not know are dropped. */
	fresh_dir("part");
	put(P("part/state.json"), "{\"schema\": 1, \"phases\": {\"runtime\": {\"status\": \"done\", \"attempts\": 2},"
				  " \"kubelet\": {\"status\": \"done\"}}, \"future\": true}");
	m = load(P("part/state.json"), &origin);
	ok(m && origin == STATE_LOADED, "unknown top-level keys and phases are accepted");
	ok(m && m->phases[1].status == PHASE_DONE && m->phases[1].attempts == 2, "the known phase is loaded");
	ok(m && m->phases[0].status == PHASE_PENDING && m->phases[2].status == PHASE_PENDING,
	   "phases the file lacks are pending");
	is_int(count_entries(P("part"), "state.json.corrupt-"), 0, "an accepted file is not moved aside");
}

static void test_interrupted(void) {
	_cleanup_(node_state_freep) NodeState *l = NULL;
	StateOrigin origin;

	fresh_dir("run");
	put(P("run/state.json"), "{\"schema\": 1, \"phases\": {"
				 "\"preflight\": {\"status\": \"done\", \"attempts\": 1},"
				 "\"runtime\": {\"status\": \"running\", \"attempts\": 4, \"startedUsec\": 77}}}");
	l = load(P("run/state.json"), &origin);
	if (!l)
		return (void) ok(false, "loading a state with a running phase");
	ok(l->phases[1].status == PHASE_PENDING && l->phases[1].interrupted,
	   "a phase saved as running comes back pending and interrupted, to be re-run");
	ok(l->phases[1].attempts == 4 && l->phases[1].started_usec == 77, "its attempts and start are kept");
	ok(l->phases[0].status == PHASE_DONE && !l->phases[0].interrupted, "a done phase is not re-run");
}

static void test_atomic(void) {
	_cleanup_(node_state_freep) NodeState *s = NULL, *l = NULL;
	StateOrigin origin;

	fresh_dir("at");
	if (node_state_new(names, N, &s) < 0)
		return (void) ok(false, "node_state_new");
	for (int named = 0; named < 2; named++) {
		/* Both temp file strategies of write_file_atomic(): O_TMPFILE and a named one. */
		fileio_set_o_tmpfile(!named);
		for (unsigned i = 1; i <= 20; i++) {
			s->phases[0].attempts = i;
			s->phases[0].status = i % 2 ? PHASE_RUNNING : PHASE_FAILED;
			if (node_state_save(s, P("at/state.json")) < 0)
				break;
		}
		is_int(count_entries(P("at"), ""), 1, named ? "named temp files: only state.json is left after 20 saves"
							    : "O_TMPFILE: only state.json is left after 20 saves");
		l = node_state_free(l);
		l = load(P("at/state.json"), &origin);
		ok(l && origin == STATE_LOADED && l->phases[0].attempts == 20 && l->phases[0].status == PHASE_FAILED,
		   "the last save is what loads");
	}
	fileio_set_o_tmpfile(true);

	/* A save that cannot happen reports it and changes nothing. */
	put(P("at/file"), "x");
	is_int(node_state_save(s, P("at/file/state.json")), -ENOTDIR, "saving below a regular file: -ENOTDIR");
	is_str(get(P("at/file")), "x", "and the file in the way is untouched");
	is_int(node_state_save(s, ""), -EINVAL, "an empty path is refused");
}

int main(void) {
	T = tap_mkdtemp();
	if (!T)
		skip_all("cannot create a temporary directory");

	test_strings();
	test_new();
	test_round_trip();
	test_corrupt();
	test_missing_and_partial();
	test_interrupted();
	test_atomic();

	(void) rm_rf(T);
	free(T);
	return done_testing();
}

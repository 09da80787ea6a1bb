/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Test driver for supervisor/systemd-client.c and runtime.c, run inside an nspawn machine
 * by test-systemd-client.sh against the real systemd and containerd. It prints one line
 * per event for the test to grep; times are CLOCK_REALTIME microseconds, which the host
 * shares with the machine, so the test can measure latencies from outside.
 *
 *   systemd-client-driver [--private] job start|stop|restart UNIT
 *       "job UNIT ACTION result=R job_result=WORD usec=N"; exit 0 only for "done"
 *   systemd-client-driver [--private] watch UNIT SECONDS
 *       "state UNIT ACTIVE SUB t=N" per callback, for SECONDS
 *   systemd-client-driver [--private] mask UNIT
 *       "mask UNIT r=R"
 *   systemd-client-driver cri [SOCKET]
 *       "cri r=R version=V"
 *   systemd-client-driver fake-race
 *       the client against an in-process fake PID 1 on a socketpair, which sends JobRemoved
 *       before or after its reply, or hangs up: "race UNIT result=R job_result=WORD"
 * --private talks to PID 1's private socket instead of the system bus. */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <systemd/sd-event.h>

#include "fd-util.h"
#include "log.h"
#include "runtime.h"
#include "systemd-client.h"
#include "time-util.h"

/* Every run of the loop is bounded: a lost signal fails the test instead of hanging it. */
#define JOB_TIMEOUT_USEC (60 * USEC_PER_SEC)

static bool arg_private = false;

static int open_bus(sd_event *e, sd_bus **ret) {
	_cleanup_(sd_bus_unrefp) sd_bus *bus = NULL;
	int r;

	if (arg_private) {
		r = sd_bus_new(&bus);
		if (r < 0)
			return r;
		r = sd_bus_set_address(bus, "unix:path=/run/systemd/private");
		if (r < 0)
			return r;
		r = sd_bus_start(bus);
	} else
		r = sd_bus_open_system(&bus);
	if (r < 0)
		return r;
	r = sd_bus_attach_event(bus, e, SD_EVENT_PRIORITY_NORMAL);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(bus);
	return 0;
}

static int exit_after(sd_event *e, usec_t usec) {
	/* No handler: the loop exits with the userdata as its exit code. */
	return sd_event_add_time_relative(e, NULL, CLOCK_MONOTONIC, usec, 0, NULL, (void *) (intptr_t) -ETIMEDOUT);
}

typedef struct JobRun {
	sd_event *event;
	UnitAction action;
	usec_t started;
	int result;
} JobRun;

static void on_job_done(const char *unit, int result, const char *job_result, void *userdata) {
	JobRun *run = userdata;

	printf("job %s %s result=%d job_result=%s usec=%" PRIu64 "\n", unit, unit_action_to_string(run->action),
	       result, job_result, now(CLOCK_MONOTONIC) - run->started);
	fflush(stdout);
	run->result = result;
	(void) sd_event_exit(run->event, 0);
}

static int verb_job(sd_event *e, sd_bus *bus, const char *action, const char *unit) {
	_cleanup_(systemd_client_freep) SystemdClient *c = NULL;
	JobRun run = { .event = e, .result = -ETIMEDOUT };
	int r;

	for (run.action = 0; run.action < _UNIT_ACTION_MAX; run.action++)
		if (streq(unit_action_to_string(run.action), action))
			break;
	if (run.action == _UNIT_ACTION_MAX)
		return log_error_errno(-EINVAL, "Unknown action %s.", action);

	r = systemd_client_new(bus, &c);
	if (r < 0)
		return log_error_errno(r, "Cannot set up the systemd client: %m");
	run.started = now(CLOCK_MONOTONIC);
	r = systemd_unit_job(c, unit, run.action, on_job_done, &run);
	if (r < 0)
		return log_error_errno(r, "Cannot queue %s of %s: %m", action, unit);
	r = exit_after(e, JOB_TIMEOUT_USEC);
	if (r < 0)
		return r;
	r = sd_event_loop(e);
	if (r == -ETIMEDOUT)
		printf("job %s %s timed out\n", unit, action);
	if (r < 0)
		return log_error_errno(r, "Waiting for the job failed: %m");
	return run.result;
}

static void on_state(const char *unit, const char *active_state, const char *sub_state, void *userdata) {
	printf("state %s %s %s t=%" PRIu64 "\n", unit, active_state ?: "(null)", sub_state ?: "(null)",
	       now(CLOCK_REALTIME));
	fflush(stdout);
	if (!active_state)
		(void) sd_event_exit(userdata, -EIO);
}

static int on_watch_end(sd_event_source *s, uint64_t usec, void *userdata) {
	return sd_event_exit(sd_event_source_get_event(s), 0);
}

static int verb_watch(sd_event *e, sd_bus *bus, const char *unit, const char *seconds) {
	_cleanup_(systemd_client_freep) SystemdClient *c = NULL;
	unsigned s;
	int r;

	if (sscanf(seconds, "%u", &s) != 1 || s == 0 || s > 600)
		return log_error_errno(-EINVAL, "Bad duration %s.", seconds);
	r = systemd_client_new(bus, &c);
	if (r < 0)
		return log_error_errno(r, "Cannot set up the systemd client: %m");
	r = systemd_unit_watch(c, unit, on_state, e);
	if (r < 0)
		return log_error_errno(r, "Cannot watch %s: %m", unit);
	r = sd_event_add_time_relative(e, NULL, CLOCK_MONOTONIC, s * USEC_PER_SEC, 0, on_watch_end, NULL);
	if (r < 0)
		return r;
	return sd_event_loop(e);
}

static int verb_mask(sd_bus *bus, const char *unit) {
	_cleanup_(systemd_client_freep) SystemdClient *c = NULL;
	int r;

	r = systemd_client_new(bus, &c);
	if (r < 0)
		return log_error_errno(r, "Cannot set up the systemd client: %m");
	r = systemd_unit_mask_runtime(c, unit);
	printf("mask %s r=%d\n", unit, r);
	return r;
}

static int verb_cri(const char *socket_path) {
	_cleanup_(runtime_version_done) RuntimeVersion version = {};
	int r;

	r = runtime_cri_ready(socket_path);
	/* The version separately: runtime_cri_ready() is the API under test, this only
	 * makes the output say which containerd answered. */
	if (r == 0)
		(void) runtime_version(socket_path, RUNTIME_CRI_TIMEOUT_USEC, &version);
	printf("cri r=%d (%s) version=%s\n", r, r < 0 ? strerror(-r) : "ok", version.runtime_version ?: "-");
	return r;
}

/* --- fake-race: a fake PID 1 that answers StartUnit and sends JobRemoved in a chosen
 * order, or hangs up after its reply. */

typedef enum FakeOrder { REPLY_FIRST, SIGNAL_FIRST, HANG_UP, _FAKE_ORDER_MAX } FakeOrder;

static const char *const fake_order_name[_FAKE_ORDER_MAX] = {
	[REPLY_FIRST] = "reply-before-signal",
	[SIGNAL_FIRST] = "signal-before-reply",
	[HANG_UP] = "hang-up",
};

typedef struct Fake {
	FakeOrder order;
	unsigned n_calls;
	unsigned n_subscribed;
} Fake;

static int fake_hang_up(sd_event_source *s, void *userdata) {
	sd_bus *bus = userdata;

	(void) sd_bus_flush(bus);
	(void) sd_bus_detach_event(bus);
	sd_bus_close(bus);
	return 0;
}

static int fake_job_removed(sd_bus *bus, const char *path, const char *unit) {
	return sd_bus_emit_signal(bus, "/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager",
				  "JobRemoved", "uoss", 7u, path, unit, "done");
}

static int fake_start_unit(sd_bus_message *m, void *userdata, sd_bus_error *error) {
	Fake *f = userdata;
	sd_bus *bus = sd_bus_message_get_bus(m);
	/* The same job path for every call, as PID 1 does when it merges calls into one job. */
	const char *path = "/org/freedesktop/systemd1/job/7", *unit, *mode;
	int r;

	r = sd_bus_message_read(m, "ss", &unit, &mode);
	if (r < 0)
		return r;
	if (!streq(mode, "replace"))
		return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "mode %s", mode);
	if (streq(unit, "missing.service"))
		return sd_bus_error_setf(error, "org.freedesktop.systemd1.NoSuchUnit", "Unit %s not found.", unit);
	f->n_calls++;
	/* Two calls: the signal goes out with the second only, so it finishes both jobs. */
	if (f->order == SIGNAL_FIRST && f->n_calls == 2 && (r = fake_job_removed(bus, path, unit)) < 0)
		return r;
	r = sd_bus_reply_method_return(m, "o", path);
	if (r < 0)
		return r;
	if (f->order == REPLY_FIRST && f->n_calls == 2 && (r = fake_job_removed(bus, path, unit)) < 0)
		return r;
	/* After the reply is out, so the job is waiting for a JobRemoved that never comes. */
	if (f->order == HANG_UP && (r = sd_event_add_defer(sd_bus_get_event(bus), NULL, fake_hang_up, bus)) < 0)
		return r;
	return 1;
}

static int fake_subscribe(sd_bus_message *m, void *userdata, sd_bus_error *error) {
	Fake *f = userdata;

	f->n_subscribed++;
	return sd_bus_reply_method_return(m, NULL);
}

static const sd_bus_vtable fake_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_METHOD("Subscribe", "", "", fake_subscribe, 0),
	SD_BUS_METHOD("StartUnit", "ss", "o", fake_start_unit, 0),
	SD_BUS_SIGNAL("JobRemoved", "uoss", 0),
	SD_BUS_VTABLE_END
};

typedef struct RaceRun {
	sd_event *event;
	unsigned n_done;
	unsigned n_expected;
} RaceRun;

static void on_race_done(const char *unit, int result, const char *job_result, void *userdata) {
	RaceRun *run = userdata;

	printf("race %s result=%d job_result=%s\n", unit, result, job_result);
	fflush(stdout);
	if (++run->n_done == run->n_expected)
		(void) sd_event_exit(run->event, 0);
}

static int fake_race_one(FakeOrder order) {
	_cleanup_(sd_event_unrefp) sd_event *e = NULL;
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *server = NULL, *client = NULL;
	_cleanup_(systemd_client_freep) SystemdClient *c = NULL;
	Fake fake = { .order = order };
	RaceRun run = { .n_expected = order == HANG_UP ? 1 : 3 };
	int fds[2], r;

	if ((r = sd_event_new(&e)) < 0 || (r = sd_bus_new(&server)) < 0 || (r = sd_bus_new(&client)) < 0)
		return r;
	run.event = e;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0)
		return -errno;
	r = sd_bus_set_fd(server, fds[0], fds[0]);
	if (r < 0) {
		safe_close(fds[0]);
		safe_close(fds[1]);
		return r;
	}
	r = sd_bus_set_fd(client, fds[1], fds[1]);
	if (r < 0) {
		safe_close(fds[1]);
		return r;
	}
	sd_id128_t id;
	if ((r = sd_id128_randomize(&id)) < 0 || (r = sd_bus_set_server(server, 1, id)) < 0 ||
	    (r = sd_bus_add_object_vtable(server, NULL, "/org/freedesktop/systemd1",
					  "org.freedesktop.systemd1.Manager", fake_vtable, &fake)) < 0 ||
	    (r = sd_bus_start(server)) < 0 || (r = sd_bus_start(client)) < 0 ||
	    (r = sd_bus_attach_event(server, e, 0)) < 0 || (r = sd_bus_attach_event(client, e, 0)) < 0)
		return r;

	r = systemd_client_new(client, &c);
	if (r < 0)
		return r;
	printf("race order=%s\n", fake_order_name[order]);
	if (order == HANG_UP)
		r = systemd_unit_job(c, "fake.service", UNIT_START, on_race_done, &run);
	else if ((r = systemd_unit_job(c, "fake.service", UNIT_START, on_race_done, &run)) >= 0 &&
		 (r = systemd_unit_job(c, "fake.service", UNIT_START, on_race_done, &run)) >= 0)
		r = systemd_unit_job(c, "missing.service", UNIT_START, on_race_done, &run);
	if (r < 0)
		return r;
	r = exit_after(e, 5 * USEC_PER_SEC);
	if (r < 0)
		return r;
	r = sd_event_loop(e);
	printf("race calls=%u subscribed=%u done=%u loop=%d\n", fake.n_calls, fake.n_subscribed, run.n_done, r);
	if (order == HANG_UP)
		printf("race new-job=%d\n", systemd_unit_job(c, "fake.service", UNIT_START, on_race_done, &run));
	return r;
}

static int verb_fake_race(void) {
	int ret = 0;

	for (FakeOrder o = 0; o < _FAKE_ORDER_MAX; o++) {
		int r = fake_race_one(o);
		if (r < 0 && ret == 0)
			ret = r;
	}
	return ret;
}

static int run(int argc, char **argv) {
	_cleanup_(sd_event_unrefp) sd_event *e = NULL;
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	int r;

	if (argc > 1 && streq(argv[1], "--private")) {
		arg_private = true;
		argc--, argv++;
	}
	if (argc < 2)
		return log_error_errno(-EINVAL, "Usage: %s [--private] job|watch|mask|cri|fake-race ...",
				       program_invocation_short_name);
	if (streq(argv[1], "cri"))
		return verb_cri(argc > 2 ? argv[2] : NULL);
	if (streq(argv[1], "fake-race"))
		return verb_fake_race();

	r = sd_event_default(&e);
	if (r < 0)
		return log_error_errno(r, "Cannot get an event loop: %m");
	r = open_bus(e, &bus);
	if (r < 0)
		return log_error_errno(r, "Cannot connect to systemd: %m");

	if (streq(argv[1], "job") && argc == 4)
		return verb_job(e, bus, argv[2], argv[3]);
	if (streq(argv[1], "watch") && argc == 4)
		return verb_watch(e, bus, argv[2], argv[3]);
	if (streq(argv[1], "mask") && argc == 3)
		return verb_mask(bus, argv[2]);
	return log_error_errno(-EINVAL, "Bad arguments for %s.", argv[1]);
}

int main(int argc, char **argv) {
	int r;

	log_setup();
	r = run(argc, argv);
	return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}

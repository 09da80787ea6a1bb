/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The supervisor's client of systemd's manager, on sd-bus: jobs and runtime masking.
 * Unit watches are in systemd-watch.c.
 *
 * Bus calls (destination org.freedesktop.systemd1, object /org/freedesktop/systemd1,
 * interface org.freedesktop.systemd1.Manager):
 *   Subscribe()                                 once: PID 1 only emits job and unit
 *                                               signals on the bus while a client is
 *                                               subscribed
 *   StartUnit/StopUnit/RestartUnit(ss) -> o     async, mode "replace": the job's path
 *   MaskUnitFiles(as, b runtime, b force) -> a(sss)   synchronous
 *   LoadUnit(s) -> o, and org.freedesktop.DBus.Properties.GetAll(s) on units: see
 *   systemd-watch.c
 * Signals matched, from sender org.freedesktop.systemd1 on a bus (a direct connection to
 * /run/systemd/private has no sender names, and only PID 1 is on the other end):
 *   JobRemoved(u id, o job, s unit, s result)   job results
 *   org.freedesktop.DBus.Local.Disconnected     (from sd-bus itself) fails what waits
 *   org.freedesktop.DBus.Properties.PropertiesChanged(s, a{sv}, as): systemd-watch.c
 *
 * The reply to StartUnit and the job's JobRemoved can come in either order (a job that
 * finishes at once, or two calls merged into one job), so JobRemoved signals for a unit
 * with a call still in flight are remembered until the replies are in. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "systemd-client-internal.h"

/* Early JobRemoved signals kept at most: only signals for units with a call in flight are
 * kept at all, so this is a backstop against a flood, not a working limit. */
#define EARLY_RESULTS_MAX 64U

struct Job {
	SystemdClient *client;
	Job *next;
	char *unit;
	UnitJobCallback cb;
	void *userdata;
	sd_bus_slot *call_slot;         /* the method call while it is in flight */
	char *path;                     /* the job's object path, once the reply is in */
};

struct EarlyResult {
	EarlyResult *next;
	char *path;
	char *result;
};

static const char *const action_method[_UNIT_ACTION_MAX] = {
	[UNIT_START] = "StartUnit",
	[UNIT_STOP] = "StopUnit",
	[UNIT_RESTART] = "RestartUnit",
};

static const char *const action_name[_UNIT_ACTION_MAX] = {
	[UNIT_START] = "start",
	[UNIT_STOP] = "stop",
	[UNIT_RESTART] = "restart",
};

const char *unit_action_to_string(UnitAction a) {
	return a >= 0 && a < _UNIT_ACTION_MAX ? action_name[a] : NULL;
}

int unit_job_result_to_errno(const char *job_result) {
	/* The words of systemd's JobResult, each with its own errno so that a caller can
	 * tell them apart without comparing strings. */
	static const struct {
		const char *word;
		int error;
	} table[] = {
		{ "done",        0           },
		{ "skipped",     0           },     /* condition not met: nothing to do */
		{ "canceled",    ECANCELED   },
		{ "timeout",     ETIMEDOUT   },
		{ "failed",      EIO         },
		{ "dependency",  ENOLINK     },     /* a unit it requires failed */
		{ "invalid",     ENOEXEC     },
		{ "assert",      EPROTO      },
		{ "unsupported", EOPNOTSUPP  },
		{ "collected",   ECANCELED   },
		{ "once",        ESTALE      },     /* it may start only once, and already did */
		{ "frozen",      EBUSY       },
	};

	if (!job_result)
		return -EIO;
	for (size_t i = 0; i < ELEMENTSOF(table); i++)
		if (streq(table[i].word, job_result))
			return -table[i].error;
	return -EIO;
}

static int reply_errno(sd_bus_message *m) {
	int r = sd_bus_message_get_errno(m);
	return r > 0 ? -r : -EIO;
}

static Job *job_free(Job *j) {
	if (!j)
		return NULL;
	sd_bus_slot_unref(j->call_slot);
	free(j->unit);
	free(j->path);
	free(j);
	return NULL;
}

static EarlyResult *early_free(EarlyResult *e) {
	if (!e)
		return NULL;
	free(e->path);
	free(e->result);
	free(e);
	return NULL;
}

static void job_unlink(Job *j) {
	for (Job **p = &j->client->jobs; *p; p = &(*p)->next)
		if (*p == j) {
			*p = j->next;
			j->next = NULL;
			return;
		}
}

/* The job is unlinked already: call back, then free. */
static void job_finish(Job *j, int result, const char *job_result) {
	j->cb(j->unit, result, job_result, j->userdata);
	job_free(j);
}

static bool any_call_in_flight(SystemdClient *c) {
	for (Job *j = c->jobs; j; j = j->next)
		if (!j->path)
			return true;
	return false;
}

static void early_clear(SystemdClient *c) {
	while (c->early) {
		EarlyResult *e = c->early;
		c->early = e->next;
		early_free(e);
	}
	c->n_early = 0;
}

static void early_add(SystemdClient *c, const char *path, const char *result) {
	EarlyResult *e, **tail;

	/* Out of memory only loses the early result: the job then waits for a signal that
	 * already went by, which the caller's own timeout bounds. */
	e = calloc(1, sizeof *e);
	if (!e)
		return;
	e->path = strdup(path);
	e->result = strdup(result);
	if (!e->path || !e->result) {
		early_free(e);
		return;
	}
	if (c->n_early >= EARLY_RESULTS_MAX) {
		EarlyResult *oldest = c->early;
		c->early = oldest->next;
		early_free(oldest);
		c->n_early--;
	}
	for (tail = &c->early; *tail; tail = &(*tail)->next)
		;
	*tail = e;
	c->n_early++;
}

/* Not taken out of the list: calls merged into one job all get its path, and each
 * of their replies must find the result. */
static const EarlyResult *early_find(SystemdClient *c, const char *path) {
	for (const EarlyResult *e = c->early; e; e = e->next)
		if (streq(e->path, path))
			return e;
	return NULL;
}

/* Fail every job: used when the client cannot learn job results any more. */
static void jobs_fail_all(SystemdClient *c, int error, const char *name) {
	while (c->jobs) {
		Job *j = c->jobs;
		c->jobs = j->next;
		j->next = NULL;
		job_finish(j, error, name);
	}
	early_clear(c);
}

static int on_job_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
	Job *j = userdata;
	SystemdClient *c = j->client;
	const EarlyResult *early;
	const sd_bus_error *e;
	const char *path;
	int r;

	j->call_slot = sd_bus_slot_unref(j->call_slot);

	e = sd_bus_message_get_error(m);
	if (e) {
		job_unlink(j);
		job_finish(j, reply_errno(m), e->name);
		goto gc;
	}

	r = sd_bus_message_read(m, "o", &path);
	if (r == 0)
		r = -EBADMSG;
	if (r > 0 && !(j->path = strdup(path)))
		r = -ENOMEM;
	if (r < 0) {
		job_unlink(j);
		job_finish(j, r, "invalid-reply");
		goto gc;
	}

	early = early_find(c, j->path);
	if (early) {
		job_unlink(j);
		job_finish(j, unit_job_result_to_errno(early->result), early->result);
	}
gc:
	/* Early results only matter while replies are outstanding. */
	if (!any_call_in_flight(c))
		early_clear(c);
	return 0;
}

static int on_job_removed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
	SystemdClient *c = userdata;
	const char *path, *unit, *result;
	Job *done = NULL, **tail = &done;
	uint32_t id;
	int r;

	r = sd_bus_message_read(m, "uoss", &id, &path, &unit, &result);
	if (r <= 0)
		return 0;       /* not the signal we know: nothing to learn from it */

	/* Collect first, call back after: callbacks may queue new jobs on the list. */
	for (Job **p = &c->jobs; *p;) {
		Job *j = *p;
		if (j->path && streq(j->path, path)) {
			*p = j->next;
			j->next = NULL;
			*tail = j;
			tail = &j->next;
		} else
			p = &j->next;
	}

	/* A call still waiting for its reply may be given this very job (merged into it, or
	 * the signal overtook the reply): keep the result for it. Not only for calls naming
	 * this unit: a call naming an alias gets a job of the real unit. */
	if (any_call_in_flight(c))
		early_add(c, path, result);

	r = unit_job_result_to_errno(result);
	while (done) {
		Job *j = done;
		done = j->next;
		job_finish(j, r, result);
	}
	return 0;
}

static int on_setup_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
	SystemdClient *c = userdata;
	const sd_bus_error *e = sd_bus_message_get_error(m);

	if (!e)
		return 0;
	/* Without Subscribe() or the JobRemoved match no job result would ever arrive.
	 * Already subscribed (by another user of this connection) is fine. */
	if (sd_bus_error_has_name(e, "org.freedesktop.systemd1.AlreadySubscribed"))
		return 0;
	if (c->error == 0)
		c->error = reply_errno(m);
	jobs_fail_all(c, c->error, e->name);
	systemd_client_fail_watches(c, e->name);
	return 0;
}

static int on_disconnected(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
	SystemdClient *c = userdata;

	/* PID 1 closes its private socket on daemon-reexec, and a bus can go away: no job
	 * result or state change will come any more, so say so instead of going quiet. */
	c->error = -ECONNRESET;
	jobs_fail_all(c, c->error, DISCONNECTED_NAME);
	systemd_client_fail_watches(c, DISCONNECTED_NAME);
	return 0;
}

static int on_subscribe_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
	SystemdClient *c = userdata;

	c->subscribe_slot = sd_bus_slot_unref(c->subscribe_slot);
	return on_setup_reply(m, userdata, ret_error);
}

int systemd_client_new(sd_bus *bus, SystemdClient **ret) {
	_cleanup_(systemd_client_freep) SystemdClient *c = NULL;
	int r;

	if (!bus || !ret)
		return -EINVAL;

	c = calloc(1, sizeof *c);
	if (!c)
		return -ENOMEM;
	c->bus = sd_bus_ref(bus);
	/* On a bus, only PID 1 may own org.freedesktop.systemd1, so matching the sender
	 * keeps other clients from faking job results. */
	r = sd_bus_is_bus_client(bus);
	if (r < 0)
		return r;
	c->sender = r > 0 ? SYSTEMD_DEST : NULL;

	/* The match first, then Subscribe: both go out before any job call, and the bus keeps
	 * their order, so no JobRemoved of ours can slip by. */
	r = sd_bus_match_signal_async(bus, &c->job_removed_slot, c->sender, SYSTEMD_PATH, MANAGER_IFACE,
				      "JobRemoved", on_job_removed, on_setup_reply, c);
	if (r < 0)
		return r;
	r = sd_bus_call_method_async(bus, &c->subscribe_slot, SYSTEMD_DEST, SYSTEMD_PATH, MANAGER_IFACE,
				     "Subscribe", on_subscribe_reply, c, NULL);
	if (r < 0)
		return r;
	/* sd-bus itself delivers this one when the connection closes; nothing goes out. */
	r = sd_bus_match_signal(bus, &c->disconnected_slot, NULL, "/org/freedesktop/DBus/Local",
				"org.freedesktop.DBus.Local", "Disconnected", on_disconnected, c);
	if (r < 0)
		return r;

	*ret = TAKE_PTR(c);
	return 0;
}

SystemdClient *systemd_client_free(SystemdClient *c) {
	if (!c)
		return NULL;
	while (c->jobs) {
		Job *j = c->jobs;
		c->jobs = j->next;
		job_free(j);
	}
	systemd_client_free_watches(c);
	early_clear(c);
	sd_bus_slot_unref(c->subscribe_slot);
	sd_bus_slot_unref(c->job_removed_slot);
	sd_bus_slot_unref(c->disconnected_slot);
	sd_bus_unref(c->bus);
	free(c);
	return NULL;
}

int systemd_unit_job(SystemdClient *c, const char *unit, UnitAction action, UnitJobCallback cb, void *userdata) {
	Job *j;
	int r;

	if (!c || isempty(unit) || action < 0 || action >= _UNIT_ACTION_MAX || !cb)
		return -EINVAL;
	if (c->error < 0)
		return c->error;

	j = calloc(1, sizeof *j);
	if (!j)
		return -ENOMEM;
	*j = (Job) { .client = c, .cb = cb, .userdata = userdata };
	j->unit = strdup(unit);
	if (!j->unit) {
		job_free(j);
		return -ENOMEM;
	}
	r = sd_bus_call_method_async(c->bus, &j->call_slot, SYSTEMD_DEST, SYSTEMD_PATH, MANAGER_IFACE,
				     action_method[action], on_job_reply, j, "ss", unit, "replace");
	if (r < 0) {
		job_free(j);
		return r;
	}
	/* Appended, so that jobs merged into one finish in the order they were asked for. */
	Job **tail;
	for (tail = &c->jobs; *tail; tail = &(*tail)->next)
		;
	*tail = j;
	return 0;
}

int systemd_unit_mask_runtime(SystemdClient *c, const char *unit) {
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	int r;

	if (!c || isempty(unit))
		return -EINVAL;

	r = sd_bus_message_new_method_call(c->bus, &m, SYSTEMD_DEST, SYSTEMD_PATH, MANAGER_IFACE, "MaskUnitFiles");
	if (r < 0)
		return r;
	/* runtime: /run, gone at reboot, so the image's own configuration stays the truth;
	 * force: replace whatever file or link is there. */
	r = sd_bus_message_append(m, "asbb", 1, unit, 1, 1);
	if (r < 0)
		return r;
	r = sd_bus_call(c->bus, m, SYSTEMD_SYNC_CALL_USEC, &error, &reply);
	return r < 0 ? r : 0;
}

int systemd_unit_queue_stop(SystemdClient *c, const char *unit) {
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	int r;

	if (!c || isempty(unit))
		return -EINVAL;
	r = sd_bus_message_new_method_call(c->bus, &m, SYSTEMD_DEST, SYSTEMD_PATH, MANAGER_IFACE, "StopUnit");
	if (r < 0)
		return r;
	r = sd_bus_message_append(m, "ss", unit, "replace");
	if (r < 0)
		return r;
	/* The job's JobRemoved signal reaches the client later and matches no job of ours:
	 * it is ignored there. sd_bus_call() maps a D-Bus error to its -errno. */
	r = sd_bus_call(c->bus, m, SYSTEMD_SYNC_CALL_USEC, &error, &reply);
	return r < 0 ? r : 0;
}

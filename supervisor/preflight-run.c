/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The preflight runner: walks the check table on an sd-event loop, collects the reports,
 * counts the failures. Most checks read a few files and report at once; the ones with
 * long steps (modprobe, waiting for swap to go off) say what they wait for, and the wait
 * is a child process (job-event.h) or a timer on the loop, so that the supervisor keeps
 * serving its watchdog and its status socket meanwhile. */
#include <errno.h>
#include <stdlib.h>

#include "helper-security.h"
#include "job-event.h"
#include "job.h"
#include "preflight-internal.h"

struct PreflightRun {
	sd_event *event;
	PreflightContext ctx;
	PreflightReports out;
	size_t index;                 /* the check whose turn is next */
	PreflightStep step;           /* its progress, for a check with long steps */
	sd_event_source *turn;        /* the next turn, from the loop */
	sd_event_source *timer;       /* PREFLIGHT_WAIT_TIME */
	JobEvent *job;                /* PREFLIGHT_WAIT_COMMAND */
	PreflightDoneFn done;
	void *userdata;
};

static void step_done(PreflightStep *s) {
	if (s->state && s->free_state)
		s->free_state(s->state);
	*s = (PreflightStep) {};
}

PreflightRun *preflight_run_free(PreflightRun *run) {
	if (!run)
		return NULL;
	sd_event_source_disable_unref(run->turn);
	sd_event_source_disable_unref(run->timer);
	job_event_free(run->job);
	step_done(&run->step);
	preflight_reports_free(run->out.items, run->out.n);
	sd_event_unref(run->event);
	free(run);
	return NULL;
}

/* Run checks until one waits (PREFLIGHT_STEP_WAIT) or every check has reported (0). */
static int run_checks(PreflightRun *run) {
	int r;

	for (; run->index < preflight_n_checks; run->index++) {
		const PreflightCheck *c = &preflight_checks[run->index];

		if (!c->step) {
			r = c->run(c, &run->ctx, &run->out);
			if (r < 0)
				return r;
			continue;
		}
		r = c->step(c, &run->ctx, &run->step, &run->out);
		if (r < 0)
			return r;
		if (r == PREFLIGHT_STEP_WAIT)
			return r;
		step_done(&run->step);
	}
	return 0;
}

static void run_finish(PreflightRun *run, int r) {
	PreflightReport *reports = NULL;
	size_t n = 0;

	if (r >= 0) {
		for (size_t i = 0; i < run->out.n; i++)
			r += run->out.items[i].result == PREFLIGHT_FAIL;
		reports = TAKE_PTR(run->out.items);
		n = run->out.n;
		run->out = (PreflightReports) {};
	}
	/* Last: done may free the run. */
	run->done(r, reports, n, run->userdata);
}

static int on_turn(sd_event_source *s, void *userdata);

static int schedule_turn(PreflightRun *run) {
	int r;

	if (!run->turn) {
		r = sd_event_add_defer(run->event, &run->turn, on_turn, run);
		if (r < 0)
			return r;
		(void) sd_event_source_set_description(run->turn, "preflight-turn");
	}
	return sd_event_source_set_enabled(run->turn, SD_EVENT_ONESHOT);
}

static void on_command_end(JobEvent *j, int error, const JobResult *result, void *userdata);
static int on_timer(sd_event_source *s, uint64_t usec, void *userdata);

/* Start what the check asked to wait for; its end schedules the check's next turn. */
static int start_wait(PreflightRun *run) {
	PreflightStep *s = &run->step;
	pid_t pid;
	int r;

	if (s->wait == PREFLIGHT_WAIT_TIME) {
		run->timer = sd_event_source_disable_unref(run->timer);
		r = sd_event_add_time_relative(run->event, &run->timer, CLOCK_MONOTONIC, s->usec, USEC_PER_MSEC, on_timer, run);
		if (r >= 0)
			(void) sd_event_source_set_description(run->timer, "preflight-wait");
		return r;
	}

	r = run->ctx.start_command ? run->ctx.start_command(s->argv, s->usec, &pid, run->ctx.userdata)
				   : helper_job_start(s->security, s->argv, NULL, s->usec, &pid);
	if (r < 0) {
		/* Not started: the check hears why at its next turn. */
		s->result = r;
		return schedule_turn(run);
	}
	r = job_event_new(run->event, pid, usec_add(now(CLOCK_MONOTONIC), s->usec), on_command_end, run, &run->job);
	if (r < 0)
		(void) job_kill(pid);
	return r;
}

/* A check's next turn, and the checks after it until one waits again. */
static void run_continue(PreflightRun *run) {
	int r = run_checks(run);

	if (r == PREFLIGHT_STEP_WAIT) {
		r = start_wait(run);
		if (r >= 0)
			return;
	}
	run_finish(run, r);
}

static int on_turn(sd_event_source *s, void *userdata) {
	run_continue(userdata);
	return 0;
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata) {
	PreflightRun *run = userdata;

	run->timer = sd_event_source_disable_unref(run->timer);
	run->step.result = 0;
	run_continue(run);
	return 0;
}

static void on_command_end(JobEvent *j, int error, const JobResult *result, void *userdata) {
	PreflightRun *run = userdata;

	run->job = job_event_free(run->job);
	if (error < 0)
		run->step.result = error;
	else
		run->step.result = result->end == JOB_EXITED ? result->status : -ETIMEDOUT;
	run_continue(run);
}

int preflight_start(sd_event *e, const PreflightContext *ctx, PreflightDoneFn done, void *userdata,
		    PreflightRun **ret) {
	_cleanup_(preflight_run_freep) PreflightRun *run = NULL;
	int r;

	if (!e || !ctx || isempty(ctx->root) || !done || !ret)
		return -EINVAL;
	run = calloc(1, sizeof *run);
	if (!run)
		return -ENOMEM;
	run->event = sd_event_ref(e);
	run->ctx = *ctx;
	run->done = done;
	run->userdata = userdata;
	/* The first turn from the loop too, so that done is never called before this returns. */
	r = schedule_turn(run);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(run);
	return 0;
}

typedef struct RunResult {
	sd_event *event;
	int result;
	PreflightReport *reports;
	size_t n;
} RunResult;

static void on_run_done(int result, PreflightReport *reports, size_t n_reports, void *userdata) {
	RunResult *res = userdata;

	res->result = result;
	res->reports = reports;
	res->n = n_reports;
	(void) sd_event_exit(res->event, 0);
}

int preflight_run(const PreflightContext *ctx, PreflightReport **ret_reports, size_t *ret_n) {
	_cleanup_(sd_event_unrefp) sd_event *e = NULL;
	_cleanup_(preflight_run_freep) PreflightRun *run = NULL;
	RunResult res = { .result = -ECANCELED };
	int r;

	if (!ctx || isempty(ctx->root) || !ret_reports || !ret_n)
		return -EINVAL;
	r = sd_event_new(&e);
	if (r < 0)
		return r;
	res.event = e;
	r = preflight_start(e, ctx, on_run_done, &res, &run);
	if (r < 0)
		return r;
	r = sd_event_loop(e);
	if (r < 0)
		return r;
	if (res.result < 0)
		return res.result;
	*ret_reports = res.reports;
	*ret_n = res.n;
	return res.result;
}

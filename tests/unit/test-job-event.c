/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Jobs watched from an sd-event loop: the handler sees the exit status, or the deadline's
 * SIGKILL to the whole process group; the loop's other timers fire while a job runs. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child-test.h"
#include "job-event.h"
#include "tap.h"


typedef struct Watch {
	sd_event *event;
	JobEvent *job;
	bool ended;
	int error;
	JobResult result;
	usec_t ended_at;
	unsigned ticks;              /* the loop's timer, while the job had not ended */
	sd_event_source *tick;
} Watch;

static void on_end(JobEvent *j, int error, const JobResult *result, void *userdata) {
	Watch *w = userdata;

	w->ended = true;
	w->error = error;
	if (result)
		w->result = *result;
	w->ended_at = now(CLOCK_MONOTONIC);
	w->job = job_event_free(w->job);   /* the handler may free it */
	(void) sd_event_exit(w->event, 0);
}

static int on_tick(sd_event_source *s, uint64_t usec, void *userdata) {
	Watch *w = userdata;

	if (!w->ended)
		w->ticks++;
	(void) sd_event_source_set_time_relative(s, 20 * USEC_PER_MSEC);
	return sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
}

static int on_give_up(sd_event_source *s, uint64_t usec, void *userdata) {
	return sd_event_exit(userdata, -ETIME);
}

/* Start argv, watch it with deadline (relative; USEC_INFINITY: none), run the loop until
 * the handler or 10 s. */
static int watch(const char *const *argv, usec_t deadline, Watch *w, pid_t *ret_pid) {
	sd_event_source *give_up = NULL;
	pid_t pid;
	int r;

	*w = (Watch) {};
	if (sd_event_new(&w->event) < 0)
		return -ENOMEM;
	r = job_start(argv, NULL, &pid);
	if (r < 0)
		return r;
	if (ret_pid)
		*ret_pid = pid;
	r = job_event_new(w->event, pid, deadline == USEC_INFINITY ? deadline : usec_add(now(CLOCK_MONOTONIC), deadline),
			  on_end, w, &w->job);
	if (r < 0)
		return r;
	(void) sd_event_add_time_relative(w->event, &w->tick, CLOCK_MONOTONIC, 20 * USEC_PER_MSEC, 1, on_tick, w);
	(void) sd_event_source_set_enabled(w->tick, SD_EVENT_ONESHOT);
	(void) sd_event_add_time_relative(w->event, &give_up, CLOCK_MONOTONIC, 10 * USEC_PER_SEC, 0, on_give_up, w->event);
	r = sd_event_loop(w->event);
	sd_event_source_disable_unref(give_up);
	w->tick = sd_event_source_disable_unref(w->tick);
	return r;
}

static void watch_done(Watch *w) {
	w->job = job_event_free(w->job);
	w->event = sd_event_unref(w->event);
}

static void test_exit_status(void) {
	Watch w;

	is_int(watch(ARGV("sh", "-c", "exit 3"), USEC_INFINITY, &w, NULL), 0, "the loop ran until the job ended");
	ok(w.ended && w.error == 0, "the handler was called, without an error");
	is_int(w.result.end, JOB_EXITED, "the job exited on its own");
	is_int(w.result.status, 3, "with its status");
	watch_done(&w);
}

/* The proof that the loop is not blocked: its timer fires again and again while the job
 * sleeps. A blocking wait would let it fire at most once, after the job. */
static void test_loop_runs_meanwhile(void) {
	Watch w;
	pid_t pid;

	usec_t start = now(CLOCK_MONOTONIC);
	is_int(watch(ARGV("sleep", "0.5"), USEC_INFINITY, &w, &pid), 0, "sleep 0.5 watched");
	ok(w.ended && w.result.end == JOB_EXITED && w.result.status == 0, "it ended with status 0");
	ok(w.ended_at - start >= 500 * USEC_PER_MSEC, "after 0.5 s (%.2f s)", (double) (w.ended_at - start) / USEC_PER_SEC);
	ok(w.ticks >= 3, "the loop's 20 ms timer fired %u times while the job ran", w.ticks);
	errno = 0;
	ok(kill(pid, 0) < 0 && errno == ESRCH, "the job was reaped");
	watch_done(&w);
}

static void test_deadline(const char *tmp) {
	_cleanup_free_ char *script = NULL, *bgfile = NULL;
	Watch w;
	pid_t pid;

	if (asprintf(&bgfile, "%s/bg", tmp) < 0 || asprintf(&script, "sleep 60 & echo $! > '%s'; wait", bgfile) < 0)
		return;
	usec_t start = now(CLOCK_MONOTONIC);
	is_int(watch(ARGV("sh", "-c", script), 300 * USEC_PER_MSEC, &w, &pid), 0, "a job that outlives its deadline");
	usec_t took = w.ended_at - start;
	ok(w.ended && w.error == 0 && w.result.end == JOB_TIMED_OUT, "the handler says the deadline ended it");
	ok(took >= 300 * USEC_PER_MSEC && took < 3 * USEC_PER_SEC, "after the deadline (%.2f s)", (double) took / USEC_PER_SEC);
	ok(w.ticks >= 3, "the loop's timer fired %u times meanwhile", w.ticks);
	errno = 0;
	ok(kill(pid, 0) < 0 && errno == ESRCH, "the job was reaped before the handler ran");
	pid_t bg = child_read_pid(bgfile);
	ok(bg > 0, "the job's background child had started");
	is_int(child_reap_orphan(bg), 128 + SIGKILL, "and was killed with it: SIGKILL to the job's process group");
	watch_done(&w);
}

static void test_free_kills(void) {
	_cleanup_(sd_event_unrefp) sd_event *e = NULL;
	JobEvent *j = NULL;
	pid_t pid;
	int st = 0;

	ok(sd_event_new(&e) >= 0, "a loop");
	is_int(job_start(ARGV("sleep", "60"), NULL, &pid), 0, "job_start sleep 60");
	is_int(job_event_new(e, pid, USEC_INFINITY, on_end, NULL, &j), 0, "watched");
	is_int(job_event_pid(j), pid, "job_event_pid");
	j = job_event_free(j);
	/* Freed while it ran: SIGKILL sent, reaped if it was already gone, a zombie for us to
	 * reap otherwise. Either way it is dead. */
	pid_t r = -1;
	for (int i = 0; i < 200 && r <= 0; i++) {
		r = waitpid(pid, &st, WNOHANG);
		if (r < 0)
			break;
		if (r == 0)
			usleep(10000);
	}
	ok((r == pid && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL) || (r < 0 && errno == ECHILD),
	   "freeing the watch killed the job");
	is_int(job_event_new(e, 0, USEC_INFINITY, on_end, NULL, &j), -EINVAL, "pid 0: -EINVAL");
	ok(!j, "ret untouched on failure");
}

/* Without pidfd_open() the job is polled: the same results, the loop just as free. */
static void test_without_pidfd(void) {
	pid_t helper = fork();
	if (helper == 0) {
		Watch w;
		if (child_block_pidfd_open() < 0)
			_exit(77);
		if (syscall(SYS_pidfd_open, getpid(), 0) >= 0 || errno != ENOSYS)
			_exit(10);
		if (watch(ARGV("sh", "-c", "sleep 0.3; exit 4"), USEC_INFINITY, &w, NULL) < 0)
			_exit(11);
		if (!w.ended || w.result.end != JOB_EXITED || w.result.status != 4)
			_exit(12);
		if (w.ticks < 3)
			_exit(13);
		watch_done(&w);
		if (watch(ARGV("sleep", "60"), 200 * USEC_PER_MSEC, &w, NULL) < 0)
			_exit(14);
		if (!w.ended || w.result.end != JOB_TIMED_OUT)
			_exit(15);
		watch_done(&w);
		_exit(0);
	}
	int st = -1;
	pid_t r = helper > 0 ? waitpid(helper, &st, 0) : -1;
	ok(r == helper && WIFEXITED(st), "a helper without pidfd_open() ran");
	if (WIFEXITED(st) && WEXITSTATUS(st) == 77)
		skip(1, "cannot install a seccomp filter here");
	else
		ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		   "polled instead: exit status, deadline, and the loop's timer meanwhile (helper exit %d)",
		   WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

int main(void) {
	_cleanup_free_ char *tmp = tap_mkdtemp();

	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		skip_all("cannot become a subreaper: %s", strerror(errno));
	test_exit_status();
	test_loop_runs_meanwhile();
	test_deadline(tmp);
	test_free_kills();
	test_without_pidfd();
	rm_rf(tmp);
	return done_testing();
}

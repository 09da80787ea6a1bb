/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Jobs: a session of their own, stopped as a whole process group by deadline, stop flag
 * or a full file system, and killed with us. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child-test.h"
#include "fd-util.h"
#include "fileio.h"
#include "job.h"
#include "tap.h"


/* dir/name: the file a shell of the test writes a pid to. */
static pid_t read_pid(const char *dir, const char *name) {
	_cleanup_free_ char *path = NULL;
	if (asprintf(&path, "%s/%s", dir, name) < 0)
		return -1;
	return child_read_pid(path);
}

static void test_timeout(const char *tmp) {
	_cleanup_free_ char *script = NULL;
	JobResult res = {};
	pid_t pid;

	if (asprintf(&script, "sleep 60 & echo $! > '%s/bg'; wait", tmp) < 0)
		return;
	is_int(job_start(ARGV("sh", "-c", script), NULL, &pid), 0, "job_start");
	is_int(getsid(pid), pid, "the job leads a session of its own");
	pid_t bg = read_pid(tmp, "bg");
	ok(bg > 0, "the job's background child started");
	is_int(getpgid(bg), pid, "and is in the job's process group");

	usec_t start = now(CLOCK_MONOTONIC);
	JobWatch w = { .deadline = start + 300 * USEC_PER_MSEC };
	is_int(job_wait(pid, &w, &res), 0, "job_wait");
	usec_t took = now(CLOCK_MONOTONIC) - start;
	is_int(res.end, JOB_TIMED_OUT, "the deadline stopped the job");
	ok(took >= 300 * USEC_PER_MSEC && took < 2 * USEC_PER_SEC, "after its deadline (%.2f s)", (double) took / USEC_PER_SEC);
	is_int(child_reap_orphan(bg), 128 + SIGKILL, "its background child was killed with it (SIGKILL)");
}

static void test_exit(void) {
	JobResult res = {};
	pid_t pid;

	is_int(job_start(ARGV("sh", "-c", "exit 3"), NULL, &pid), 0, "job_start sh -c 'exit 3'");
	is_int(job_wait(pid, NULL, &res), 0, "job_wait without a watch");
	is_int(res.end, JOB_EXITED, "the job exited on its own");
	is_int(res.status, 3, "with its status");
}

static void test_stop_flag(void) {
	volatile sig_atomic_t stop = 0;
	JobResult res = {};
	pid_t pid;

	is_int(job_start(ARGV("sleep", "60"), NULL, &pid), 0, "job_start sleep 60");
	stop = SIGINT;
	JobWatch w = { .deadline = USEC_INFINITY, .stop = &stop };
	usec_t start = now(CLOCK_MONOTONIC);
	is_int(job_wait(pid, &w, &res), 0, "job_wait with the stop flag set");
	is_int(res.end, JOB_STOPPED, "the job was stopped");
	ok(now(CLOCK_MONOTONIC) - start < USEC_PER_SEC, "at once");
	errno = 0;
	ok(kill(pid, 0) < 0 && errno == ESRCH, "and reaped");
}

static void test_disk_full(const char *tmp) {
	const char *paths[] = { "/", tmp, NULL };
	JobResult res = {};
	pid_t pid;

	/* Every file system has fewer than UINT64_MAX bytes free: "full" to this watch. */
	is_int(job_start(ARGV("sleep", "60"), NULL, &pid), 0, "job_start sleep 60");
	JobWatch w = { .deadline = USEC_INFINITY, .full_paths = paths, .full_bytes = UINT64_MAX,
		       .full_grace = 400 * USEC_PER_MSEC };
	usec_t start = now(CLOCK_MONOTONIC);
	is_int(job_wait(pid, &w, &res), 0, "job_wait watching two file systems");
	usec_t took = now(CLOCK_MONOTONIC) - start;
	is_int(res.end, JOB_DISK_FULL, "a full file system stopped the job");
	is_str(res.full_path, "/", "the first full one is named");
	ok(took >= 400 * USEC_PER_MSEC && took < 3 * USEC_PER_SEC, "once the grace period was over (%.2f s)",
	   (double) took / USEC_PER_SEC);

	/* Room to spare: the job ends on its own. */
	uint64_t avail = 0;
	is_int(job_free_bytes(tmp, &avail), 0, "job_free_bytes");
	ok(avail > 0, "%s has %llu bytes free", tmp, (unsigned long long) avail);
	is_int(job_start(ARGV("sleep", "0.3"), NULL, &pid), 0, "job_start sleep 0.3");
	w.full_bytes = 1;
	is_int(job_wait(pid, &w, &res), 0, "job_wait");
	is_int(res.end, JOB_EXITED, "not full: the job ran to its end");
}

/* We die (here: an intermediate process that started the job): the job dies too. */
static void test_dies_with_us(const char *tmp) {
	_cleanup_free_ char *pidfile = NULL;
	if (asprintf(&pidfile, "%s/job", tmp) < 0)
		return;
	pid_t mid = fork();
	if (mid == 0) {
		pid_t pid;
		if (job_start(ARGV("sleep", "60"), NULL, &pid) < 0)
			_exit(1);
		char buf[32];
		int n = snprintf(buf, sizeof buf, "%d", (int) pid);
		if (write_file_atomic(pidfile, buf, (size_t) n, 0644, 0) < 0)
			_exit(1);
		_exit(0);
	}
	int st;
	ok(mid > 0 && waitpid(mid, &st, 0) == mid && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	   "an intermediate process started a job and exited");
	pid_t job = read_pid(tmp, "job");
	ok(job > 0, "the job's pid is known");
	is_int(child_reap_orphan(job), 128 + SIGKILL, "the orphaned job was killed (its pdeath signal is SIGKILL)");
}

int main(void) {
	_cleanup_free_ char *tmp = tap_mkdtemp();

	/* Orphans of our jobs come to us, so the tests can see how they died. */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		skip_all("cannot become a subreaper: %s", strerror(errno));
	test_exit();
	test_timeout(tmp);
	test_stop_flag();
	test_disk_full(tmp);
	test_dies_with_us(tmp);
	rm_rf(tmp);
	return done_testing();
}

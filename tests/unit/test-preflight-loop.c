/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The preflight checks on an sd-event loop (preflight_start(), as the supervisor runs
 * them): while a slow modprobe runs, and while swap takes its time to go off after the
 * stop jobs, the loop's own timer keeps firing. A blocking wait, as the checks had before,
 * lets that timer fire at most once, after the wait: these tests fail then. */
#include <signal.h>
#include <sys/wait.h>

#include "job.h"
#include "preflight-internal.h"
#include "preflight-root.h"

#define SWAPS_EMPTY "Filename\tType\tSize\tUsed\tPriority\n"
#define SWAPS_ON SWAPS_EMPTY "/dev/sda3 partition 4194300 0 -2\n"

static Profile *single;
static PreflightRequirements req;

typedef struct Loop {
	sd_event *event;
	sd_event_source *tick, *later;
	/* The fake modprobe: started, its pid, how long it sleeps before loading. */
	unsigned modprobe, sysctl;
	pid_t modprobe_pid;
	const char *modprobe_sleep;
	int start_error;            /* start_command fails with this (0: it starts) */
	unsigned stopped;           /* stop jobs queued; swap stays on until the "later" timer */
	/* What the loop saw meanwhile. */
	unsigned ticks_modprobe;    /* ticks while the fake modprobe had not loaded the module */
	unsigned ticks_swap;        /* ticks while swap was still on after its stop job */
	bool done;
	int result;
	usec_t done_at;
} Loop;

static bool br_netfilter_loaded(void) {
	return strstr(get("proc/modules"), "br_netfilter") != NULL;
}

/* A modprobe that takes its time, as one loading a module from a slow disk does: it
 * sleeps, then does to the fake root what loading br_netfilter does to a node. */
static int slow_start(const char *const *argv, usec_t timeout, pid_t *ret_pid, void *userdata) {
	static const char script[] =
		"sleep \"$1\"; "
		"printf 'br_netfilter 32768 0 - Live 0x0\\n' >>\"$0/proc/modules\" && "
		"mkdir -p \"$0/proc/sys/net/bridge\" && "
		"echo 0 >\"$0/proc/sys/net/bridge/bridge-nf-call-iptables\" && "
		"echo 0 >\"$0/proc/sys/net/bridge/bridge-nf-call-ip6tables\"";
	/* systemd-sysctl --prefix=KEY: the image's sysctl.d sets the key to 1. */
	static const char sysctl_script[] = "k=${1#--prefix=}; echo 1 >\"$0/proc/sys/$(echo \"$k\" | tr . /)\"";
	Loop *l = userdata;
	int r;

	if (streq(argv[0], "/usr/lib/systemd/systemd-sysctl") && argv[1] && !argv[2]) {
		l->sysctl++;
		return job_start((const char *const[]) { "sh", "-c", sysctl_script, T, argv[1], NULL }, NULL, ret_pid);
	}
	if (!streq(argv[0], "modprobe") || !argv[1] || !streq(argv[1], "br_netfilter") || argv[2] ||
	    timeout < USEC_PER_SEC) {
		diag("unexpected command %s %s", argv[0], argv[1] ?: "");
		return -ENOEXEC;
	}
	l->modprobe++;
	if (l->start_error < 0)
		return l->start_error;
	r = job_start((const char *const[]) { "sh", "-c", script, T, l->modprobe_sleep, NULL }, NULL, ret_pid);
	if (r >= 0)
		l->modprobe_pid = *ret_pid;
	return r;
}

static int mask_ok(const char *unit, void *userdata) {
	return 0;
}

/* systemd queues the stop job and answers; swapoff happens later, in PID 1 (here: the
 * "later" timer). */
static int stop_later(const char *unit, void *userdata) {
	Loop *l = userdata;

	if (!streq(unit, "dev-sda3.swap"))
		return -ENOENT;
	l->stopped++;
	return 0;
}

static int on_tick(sd_event_source *s, uint64_t usec, void *userdata) {
	Loop *l = userdata;

	if (!l->done && l->modprobe > 0 && !br_netfilter_loaded())
		l->ticks_modprobe++;
	if (!l->done && l->stopped > 0 && strstr(get("proc/swaps"), "/dev/sda3"))
		l->ticks_swap++;
	(void) sd_event_source_set_time_relative(s, 20 * USEC_PER_MSEC);
	return sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
}

static int on_swap_off(sd_event_source *s, uint64_t usec, void *userdata) {
	put("proc/swaps", SWAPS_EMPTY);
	return 0;
}

static int on_give_up(sd_event_source *s, uint64_t usec, void *userdata) {
	return sd_event_exit(userdata, -ETIME);
}

static void on_done(int result, PreflightReport *reports, size_t n_reports, void *userdata) {
	Loop *l = userdata;

	l->done = true;
	l->result = result;
	l->done_at = now(CLOCK_MONOTONIC);
	preflight_reports_free(R, N);
	R = reports, N = n_reports;
	(void) sd_event_exit(l->event, 0);
}

/* Start the checks on a loop with a 20 ms timer, and run it until they end (10 s at most). */
static int run_on_loop(PreflightContext *ctx, Loop *l, usec_t swap_off_after) {
	_cleanup_(preflight_run_freep) PreflightRun *run = NULL;
	sd_event_source *give_up = NULL;
	int r;

	if (sd_event_new(&l->event) < 0)
		return -ENOMEM;
	ctx->userdata = l;
	r = preflight_start(l->event, ctx, on_done, l, &run);
	if (r < 0)
		return r;
	ok(!l->done, "preflight_start returns before any check ran");
	(void) sd_event_add_time_relative(l->event, &l->tick, CLOCK_MONOTONIC, 20 * USEC_PER_MSEC, 1, on_tick, l);
	(void) sd_event_source_set_enabled(l->tick, SD_EVENT_ONESHOT);
	if (swap_off_after > 0)
		(void) sd_event_add_time_relative(l->event, &l->later, CLOCK_MONOTONIC, swap_off_after, 1, on_swap_off, l);
	(void) sd_event_add_time_relative(l->event, &give_up, CLOCK_MONOTONIC, 10 * USEC_PER_SEC, 0, on_give_up, l->event);
	r = sd_event_loop(l->event);
	sd_event_source_disable_unref(give_up);
	return r;
}

static void loop_done(Loop *l) {
	l->tick = sd_event_source_disable_unref(l->tick);
	l->later = sd_event_source_disable_unref(l->later);
	l->event = sd_event_unref(l->event);
}

static PreflightContext context(void) {
	drop_root();
	good_root();
	return (PreflightContext) { .root = T, .profile = single, .build_epoch = BUILD_EPOCH, .kubernetes = true,
				    .requirements = &req, .fix = true, .start_command = slow_start,
				    .mask_unit = mask_ok };
}

static void test_slow_modprobe(void) {
	PreflightContext ctx = context();
	Loop l = { .modprobe_sleep = "0.6" };

	put("proc/modules", "overlay 151552 0 - Live 0x0\n");
	(void) rm_rf(P("proc/sys/net/bridge"));
	usec_t start = now(CLOCK_MONOTONIC);
	is_int(run_on_loop(&ctx, &l, 0), 0, "slow modprobe: the loop ran until the checks ended");
	ok(l.done, "the checks called back");
	is_int(l.result, 0, "no check failed");
	is_int(l.modprobe, 1, "modprobe ran once, for br_netfilter");
	ok(l.done_at - start >= 600 * USEC_PER_MSEC, "the checks took the modprobe's 0.6 s (%.2f s)",
	   (double) (l.done_at - start) / USEC_PER_SEC);
	ok(l.ticks_modprobe >= 3, "the loop's 20 ms timer fired %u times while modprobe ran", l.ticks_modprobe);
	expect("kernel-modules", PREFLIGHT_FIXED, "br_netfilter was not loaded: loaded with modprobe", NULL,
	       "slow modprobe");
	expect("sysctl-bridge-nf-call-iptables", PREFLIGHT_FIXED, "was 0: set it to 1 from sysctl.d", NULL,
	       "slow modprobe: the checks after it ran on its result");
	is_int(l.sysctl, 2, "systemd-sysctl ran for each bridge sysctl the module brought at 0");
	ok(find("swap") && find("binaries") && find("disk-var"), "the checks after the wait ran too (%zu reports)", N);
	errno = 0;
	ok(kill(l.modprobe_pid, 0) < 0 && errno == ESRCH, "the modprobe was reaped");
	loop_done(&l);
}

static void test_swap_goes_off_later(void) {
	PreflightContext ctx = context();
	Loop l = { .modprobe_sleep = "0" };

	put("proc/swaps", SWAPS_ON);
	ctx.stop_unit = stop_later;
	is_int(run_on_loop(&ctx, &l, 400 * USEC_PER_MSEC), 0, "swap off later: the loop ran until the checks ended");
	is_int(l.result, 0, "no check failed");
	is_int(l.stopped, 1, "one stop job, for dev-sda3.swap");
	ok(l.ticks_swap >= 3, "the loop's timer fired %u times while swap was still on", l.ticks_swap);
	expect("swap", PREFLIGHT_FIXED, "swap was on (/dev/sda3 (4.0 GiB)): stopped dev-sda3.swap through systemd", NULL,
	       "swap off later");
	loop_done(&l);
}

static void test_start_fails(void) {
	PreflightContext ctx = context();
	Loop l = { .start_error = -ENOENT };

	put("proc/modules", "overlay 151552 0 - Live 0x0\n");
	(void) rm_rf(P("proc/sys/net/bridge"));
	is_int(run_on_loop(&ctx, &l, 0), 0, "modprobe missing: the checks still end");
	is_int(l.result, 3, "three failures: the module and its two sysctls");
	expect("kernel-modules", PREFLIGHT_FAIL, "not loaded: br_netfilter (modprobe br_netfilter: No such file or directory)",
	       "modprobe -a br_netfilter", "modprobe missing");
	loop_done(&l);
}

/* The supervisor stops while modprobe runs: freeing the run kills it. */
static void test_free_while_waiting(void) {
	_cleanup_(preflight_run_freep) PreflightRun *run = NULL;
	PreflightContext ctx = context();
	Loop l = { .modprobe_sleep = "30" };
	int st = 0;

	put("proc/modules", "overlay 151552 0 - Live 0x0\n");
	(void) rm_rf(P("proc/sys/net/bridge"));
	ok(sd_event_new(&l.event) >= 0, "a loop");
	ctx.userdata = &l;
	is_int(preflight_start(l.event, &ctx, on_done, &l, &run), 0, "preflight_start");
	for (int i = 0; i < 100 && l.modprobe == 0; i++)
		(void) sd_event_run(l.event, 10 * USEC_PER_MSEC);
	ok(l.modprobe == 1 && l.modprobe_pid > 0 && !l.done, "modprobe is running, the checks wait for it");
	run = preflight_run_free(run);
	pid_t r = -1;
	for (int i = 0; i < 200; i++) {
		r = waitpid(l.modprobe_pid, &st, WNOHANG);
		if (r != 0)
			break;
		usleep(10000);
	}
	ok((r == l.modprobe_pid && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL) || (r < 0 && errno == ECHILD),
	   "freeing the run killed the modprobe");
	ok(!l.done, "and did not call back");
	loop_done(&l);
}

int main(void) {
	single = load_profile(PROFILE_HEAD);
	if (!single)
		return ok(false, "test profile loads"), done_testing();
	req = test_requirements();

	test_slow_modprobe();
	test_swap_goes_off_later();
	test_start_fails();
	test_free_while_waiting();

	drop_root();
	preflight_reports_free(R, N);
	profile_free(single);
	return done_testing();
}

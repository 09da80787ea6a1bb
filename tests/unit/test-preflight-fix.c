/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The preflight fixes on fake roots, through a test command starter and mask callback that
 * do to the fake root what modprobe, swapoff and systemctl mask do to a node; and the
 * three output formats. */
#include <jansson.h>
#include <stdlib.h>

#include "job.h"
#include "preflight-root.h"
#include "preflight-internal.h"

static Profile *single;
static PreflightRequirements req;

typedef struct Stub {
	unsigned modprobe, swapoff, masks, sysctl;
	int modprobe_status;      /* what modprobe exits with */
	bool sysctl_fails;        /* systemd-sysctl writes nothing (and exits 0, as it does on EACCES) */
	bool swapoff_works;
	const char *refuse_mask;  /* a unit the mask callback fails for */
	char masked[512];
	int stop_status;          /* what the stop callback returns */
	char stopped[512];
} Stub;

/* The command the runner waits for: a child exiting with status, once the stub has done
 * to the fake root what the real command does. */
static int exit_with(int status, pid_t *ret_pid) {
	char script[32];

	(void) snprintf(script, sizeof script, "exit %d", status);
	return job_start((const char *const[]) { "sh", "-c", script, NULL }, NULL, ret_pid);
}

static int stub_start(const char *const *argv, usec_t timeout, pid_t *ret_pid, void *userdata) {
	Stub *s = userdata;

	if (streq(argv[0], "modprobe") && argv[1] && !argv[2]) {
		s->modprobe++;
		if (s->modprobe_status != 0)
			return exit_with(s->modprobe_status, ret_pid);
		if (streq(argv[1], "br_netfilter")) {
			_cleanup_free_ char *modules = NULL;
			if (asprintf(&modules, "%sbr_netfilter 32768 0 - Live 0x0\n", get("proc/modules")) < 0)
				return -ENOMEM;
			put("proc/modules", modules);
			put("proc/sys/net/bridge/bridge-nf-call-iptables", "0\n");
			put("proc/sys/net/bridge/bridge-nf-call-ip6tables", "0\n");
		}
		return exit_with(0, ret_pid);
	}
	if (streq(argv[0], "swapoff") && argv[1] && streq(argv[1], "-a") && !argv[2] && timeout >= 60 * USEC_PER_SEC) {
		s->swapoff++;
		if (!s->swapoff_works)
			return exit_with(255, ret_pid);
		put("proc/swaps", "Filename\tType\tSize\tUsed\tPriority\n");
		return exit_with(0, ret_pid);
	}
	if (streq(argv[0], "/usr/lib/systemd/systemd-sysctl") && argv[1] && !argv[2] &&
	    strneq(argv[1], "--prefix=", strlen("--prefix="))) {
		/* The image's sysctl.d sets every key the checks read to 1; "all" forwarding
		 * changes "default" too, as the kernel does. */
		char rel[256];
		s->sysctl++;
		if (s->sysctl_fails)
			return exit_with(0, ret_pid);
		(void) snprintf(rel, sizeof rel, "proc/sys/%s", argv[1] + strlen("--prefix="));
		for (char *p = rel; *p; p++)
			if (*p == '.')
				*p = '/';
		put(rel, "1\n");
		if (streq(argv[1], "--prefix=net.ipv6.conf.all.forwarding"))
			put("proc/sys/net/ipv6/conf/default/forwarding", "1\n");
		return exit_with(0, ret_pid);
	}
	diag("unexpected command %s", argv[0]);
	return -ENOEXEC;
}

static int stub_mask(const char *unit, void *userdata) {
	Stub *s = userdata;
	char rel[256];

	s->masks++;
	if (s->refuse_mask && streq(unit, s->refuse_mask))
		return -EACCES;
	(void) snprintf(rel, sizeof rel, "etc/systemd/system/%s", unit);
	mkdirs("etc/systemd/system");
	symlink_in("/dev/null", rel);
	(void) strncat(s->masked, unit, sizeof s->masked - strlen(s->masked) - 2);
	(void) strcat(s->masked, " ");
	return 0;
}

/* What systemd does for a queued stop of a swap unit: swapoff, in PID 1. */
static int stub_stop(const char *unit, void *userdata) {
	Stub *s = userdata;

	if (s->stop_status < 0)
		return s->stop_status;
	(void) strncat(s->stopped, unit, sizeof s->stopped - strlen(s->stopped) - 2);
	(void) strcat(s->stopped, " ");
	put("proc/swaps", "Filename\tType\tSize\tUsed\tPriority\n");
	return 0;
}

static PreflightContext context(Stub *s) {
	drop_root();
	good_root();
	*s = (Stub) { .swapoff_works = true };
	return (PreflightContext) { .root = T, .profile = single, .build_epoch = BUILD_EPOCH, .kubernetes = true,
				    .requirements = &req, .fix = true, .start_command = stub_start, .mask_unit = stub_mask,
				    .userdata = s };
}

static void break_root(void) {
	put("proc/modules", "overlay 151552 0 - Live 0x0\n");
	(void) rm_rf(P("proc/sys/net/bridge"));
	put("proc/sys/net/ipv4/ip_forward", "0\n");
	put("proc/swaps", "Filename\tType\tSize\tUsed\tPriority\n/dev/sda3 partition 4194300 0 -2\n");
	put("etc/fstab", "/dev/sda3 none swap sw 0 0\n");
}

static void test_fixes(void) {
	Stub s;
	PreflightContext ctx = context(&s);

	break_root();
	is_int(run(&ctx), 0, "everything fixable was fixed: no failures");
	expect("kernel-modules", PREFLIGHT_FIXED, "br_netfilter was not loaded: loaded with modprobe", NULL, "fix");
	ok(!find("kernel-modules")->hint, "a fixed check has no hint");
	is_int(s.modprobe, 1, "modprobe ran once, for br_netfilter only");
	expect("sysctl-bridge-nf-call-iptables", PREFLIGHT_FIXED, "net.bridge.bridge-nf-call-iptables was 0: set it to 1",
	       NULL, "fix");
	is_str(get("proc/sys/net/bridge/bridge-nf-call-iptables"), "1\n", "bridge-nf-call-iptables written");
	expect("sysctl-ip-forward", PREFLIGHT_FIXED, "net.ipv4.ip_forward was 0: set it to 1 from sysctl.d", NULL, "fix");
	is_str(get("proc/sys/net/ipv4/ip_forward"), "1\n", "ip_forward written");
	is_int(s.sysctl, 3, "systemd-sysctl ran three times: ip_forward and the two bridge sysctls");
	expect("swap", PREFLIGHT_FIXED, "swap was on (/dev/sda3 (4.0 GiB)): turned it off with swapoff -a", NULL, "fix");
	expect("swap-sources", PREFLIGHT_FIXED, "swap was configured for boot (fstab /dev/sda3 (dev-sda3.swap)): "
	       "masked swap.target, dev-sda3.swap", NULL, "fix");
	is_str(s.masked, "swap.target dev-sda3.swap ", "swap.target and the fstab line's unit masked");

	/* The next run finds nothing to do. */
	unsigned masks = s.masks;
	is_int(run(&ctx), 0, "second run: no failures");
	bool all_pass = true;
	for (size_t i = 0; i < N; i++)
		all_pass = all_pass && R[i].result == PREFLIGHT_PASS;
	ok(all_pass, "second run: every check passes");
	expect("swap-sources", PREFLIGHT_PASS, "every swap source is masked: fstab /dev/sda3 (dev-sda3.swap)",
	       NULL, "after the fix");
	ok(s.modprobe == 1 && s.swapoff == 1 && s.sysctl == 3 && s.masks == masks, "second run: no command, no mask");
}

/* With a stop callback (the supervisor's: systemd's StopUnit), swap goes off through the
 * swap units, for a partition and a swap file alike, and no swapoff runs here. */
static void test_swap_through_systemd(void) {
	Stub s;
	PreflightContext ctx = context(&s);

	break_root();
	put("proc/swaps", "Filename\tType\tSize\tUsed\tPriority\n/dev/sda3 partition 4194300 0 -2\n"
			  "/var/tmp/kiln-test.swap file 16380 0 -3\n");
	ctx.stop_unit = stub_stop;
	(void) run(&ctx);
	expect("swap", PREFLIGHT_FIXED, "stopped dev-sda3.swap, var-tmp-kiln\\x2dtest.swap.swap through systemd", NULL,
	       "both swaps stopped through their units");
	is_str(s.stopped, "dev-sda3.swap var-tmp-kiln\\x2dtest.swap.swap ", "one stop job per active swap, by unit name");
	is_int(s.swapoff, 0, "no swapoff command ran");

	ctx = context(&s);
	break_root();
	ctx.stop_unit = stub_stop;
	s.stop_status = -EPERM;
	(void) run(&ctx);
	expect("swap", PREFLIGHT_FAIL, "swap is on: /dev/sda3 (4.0 GiB); stopping its units through systemd: "
	       "Operation not permitted", "swapoff -a", "a refused stop job is a failure, with the reason");

	ctx = context(&s);
	break_root();
	ctx.stop_unit = stub_stop;
	ctx.fix = false;
	(void) run(&ctx);
	ok(!s.stopped[0] && s.swapoff == 0, "fix off: no stop job either");
	expect("swap", PREFLIGHT_FAIL, "swap is on: /dev/sda3 (4.0 GiB)", "swapoff -a", "fix off: swap stays a failure");
}

static void test_fixes_fail(void) {
	Stub s;
	PreflightContext ctx = context(&s);

	break_root();
	s.modprobe_status = 1;
	s.swapoff_works = false;
	s.refuse_mask = "swap.target";
	is_int(run(&ctx), 4, "failed fixes: modules, two bridge sysctls, swap fail");
	expect("kernel-modules", PREFLIGHT_FAIL, "not loaded: br_netfilter (modprobe br_netfilter: exit status 1)",
	       "modinfo br_netfilter", "modprobe fails");
	expect("sysctl-ip-forward", PREFLIGHT_FIXED, "set it to 1", NULL, "the sysctl fix still works");
	expect("swap", PREFLIGHT_FAIL, "swap is on: /dev/sda3 (4.0 GiB); swapoff -a failed", "swapoff -a", "swapoff fails");
	expect("swap-sources", PREFLIGHT_WARN, "masking swap.target failed; masked dev-sda3.swap", "systemctl mask",
	       "swap.target refused");

	/* systemd-sysctl that changes nothing (sysctl.d edited, or the write refused): the
	 * value read afterwards is the verdict, whatever its exit status. */
	ctx = context(&s);
	break_root();
	s.sysctl_fails = true;
	(void) run(&ctx);
	expect("sysctl-ip-forward", PREFLIGHT_FAIL,
	       "net.ipv4.ip_forward = 0, and setting it to 1 failed: systemd-sysctl left it at 0", "90-kiln.conf",
	       "a fix that did not take is a failure");

	/* Not allowed to fix: nothing runs, nothing changes. */
	ctx = context(&s);
	break_root();
	ctx.fix = false;
	is_int(run(&ctx), 5, "fix off: five failures");
	ok(s.modprobe == 0 && s.swapoff == 0 && s.sysctl == 0 && s.masks == 0, "fix off: no command, no mask");
	is_str(get("proc/sys/net/ipv4/ip_forward"), "0\n", "fix off: ip_forward untouched");
	expect("swap-sources", PREFLIGHT_WARN, "swap is turned on at boot by fstab /dev/sda3", NULL, "fix off");

	/* Fix on, but a fake root and no runner: nothing that would change this host runs. */
	ctx = context(&s);
	break_root();
	ctx.start_command = NULL;
	is_int(run(&ctx), 5, "fake root without a runner: five failures");
	is_str(get("proc/sys/net/ipv4/ip_forward"), "0\n", "fake root without a runner: ip_forward untouched");
	expect("swap-sources", PREFLIGHT_FIXED, "masked swap.target", NULL, "masking is the callback's, so it runs");
}

static void test_unit_names(void) {
	static const struct { const char *path, *unit; } t[] = {
		{ "/dev/sda3", "dev-sda3.swap" },
		{ "/dev/disk/by-uuid/1234-abcd", "dev-disk-by\\x2duuid-1234\\x2dabcd.swap" },
		{ "//swap//file/", "swap-file.swap" },
		{ "/.swap", "\\x2eswap.swap" },
		{ "/a b:c_d.e", "a\\x20b:c_d.e.swap" },
		{ "/", "-.swap" },
	};

	for (size_t i = 0; i < ELEMENTSOF(t); i++) {
		_cleanup_free_ char *u = NULL;
		int r = unit_name_from_path(t[i].path, ".swap", &u);
		ok(r == 0 && u && streq(u, t[i].unit), "unit name of %s is %s (got %s)", t[i].path, t[i].unit, u ?: "-");
	}
}

static size_t count_lines(const char *text, const char *prefix) {
	size_t n = 0;
	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		n += strneq(p, prefix, strlen(prefix));
	return n;
}

static void test_formats(void) {
	PreflightReport r[] = {
		{ "kernel-modules", PREFLIGHT_PASS, (char *) "overlay, br_netfilter loaded", NULL },
		{ "swap", PREFLIGHT_FIXED, (char *) "swap was on: turned it off", (char *) "unused hint" },
		{ "clock", PREFLIGHT_WARN, (char *) "no build time", (char *) "rebuild" },
		{ "port-6443", PREFLIGHT_FAIL, (char *) "port 6443 # is in use\nsecond line", (char *) "ss -ltnp" },
	};
	_cleanup_free_ char *table = NULL, *tap = NULL, *json = NULL;
	json_error_t error;

	is_int(preflight_format(r, ELEMENTSOF(r), PREFLIGHT_FORMAT_TABLE, &table), 0, "table renders");
	ok(table && strstr(table, "CHECK           RESULT MESSAGE\n") &&
	   strstr(table, "kernel-modules  PASS   overlay, br_netfilter loaded\n") &&
	   strstr(table, "port-6443       FAIL   port 6443 # is in use second line\n"),
	   "table: aligned columns, one line per message");
	ok(table && strstr(table, "                       hint: rebuild\n") && !strstr(table, "unused hint"),
	   "table: hints under WARN and FAIL only");
	ok(table && strstr(table, "4 checks: 1 passed, 1 fixed, 1 warnings, 1 failed\n"), "table: summary line");

	if (table && !strstr(table, "second line\n"))
		diag("table:\n%s", table);
	is_int(preflight_format(r, ELEMENTSOF(r), PREFLIGHT_FORMAT_TAP, &tap), 0, "TAP renders");
	ok(tap && strstr(tap, "\n1..4\n"), "TAP: plan of 4");
	is_int(count_lines(tap, "ok ") + count_lines(tap, "not ok "), 4, "TAP: four test lines");
	is_int(count_lines(tap, "not ok "), 1, "TAP: one not ok");
	ok(tap && strstr(tap, "not ok 4 - port-6443: port 6443 \\# is in use second line\n# hint: ss -ltnp\n"),
	   "TAP: FAIL with '#' escaped, one line, and its hint");
	ok(tap && strstr(tap, "ok 2 - swap: swap was on: turned it off\n# FIXED\n") &&
	   strstr(tap, "ok 3 - clock: no build time\n# WARN: rebuild\n"), "TAP: FIXED and WARN are ok with a comment");

	is_int(preflight_format(r, ELEMENTSOF(r), PREFLIGHT_FORMAT_JSON, &json), 0, "JSON renders");
	json_t *a = json ? json_loads(json, 0, &error) : NULL;
	ok(json_is_array(a) && json_array_size(a) == 4, "JSON: an array of 4");
	json_t *o = json_array_get(a, 3), *p = json_array_get(a, 0);
	ok(o && streq(json_string_value(json_object_get(o, "name")) ?: "", "port-6443") &&
	   streq(json_string_value(json_object_get(o, "result")) ?: "", "fail") &&
	   streq(json_string_value(json_object_get(o, "message")) ?: "", "port 6443 # is in use\nsecond line") &&
	   streq(json_string_value(json_object_get(o, "hint")) ?: "", "ss -ltnp"), "JSON: fields round-trip");
	ok(p && json_is_null(json_object_get(p, "hint")) &&
	   streq(json_string_value(json_object_get(p, "result")) ?: "", "pass"), "JSON: no hint is null");
	json_decref(a);

	char *untouched = (char *) 0x1;
	PreflightReport bad = { "x", _PREFLIGHT_RESULT_MAX, (char *) "m", NULL };
	is_int(preflight_format(&bad, 1, PREFLIGHT_FORMAT_TABLE, &untouched), -EINVAL, "a bad result: -EINVAL");
	is_int(preflight_format(r, 1, (PreflightFormat) 7, &untouched), -EINVAL, "a bad format: -EINVAL");
	ok(untouched == (char *) 0x1, "ret_text untouched on failure");
	_cleanup_free_ char *empty = NULL;
	is_int(preflight_format(NULL, 0, PREFLIGHT_FORMAT_TAP, &empty), 0, "no reports render");
	is_str(empty, "TAP version 13\n1..0\n", "TAP of nothing is an empty plan");
}

/* A real run, rendered: the TAP plan and not-ok lines match the results. */
static void test_formats_of_run(void) {
	Stub s;
	PreflightContext ctx = context(&s);
	_cleanup_free_ char *tap = NULL, *json = NULL, *plan = NULL;

	break_root();
	ctx.fix = false;
	int fails = run(&ctx);
	is_int(preflight_format(R, N, PREFLIGHT_FORMAT_TAP, &tap), 0, "run as TAP");
	ok(asprintf(&plan, "\n1..%zu\n", N) > 0 && tap && strstr(tap, plan), "run as TAP: plan of %zu", N);
	is_int(count_lines(tap, "not ok "), fails, "run as TAP: one not ok per FAIL");
	is_int(preflight_format(R, N, PREFLIGHT_FORMAT_JSON, &json), 0, "run as JSON");
	json_error_t error;
	json_t *a = json_loads(json, 0, &error);
	size_t n_fail = 0, i;
	json_t *o;
	json_array_foreach(a, i, o)
		n_fail += streq(json_string_value(json_object_get(o, "result")) ?: "", "fail");
	ok(json_array_size(a) == N && n_fail == (size_t) fails, "run as JSON: %zu entries, %d fail", N, fails);
	json_decref(a);
}

int main(void) {
	single = load_profile(PROFILE_HEAD);
	if (!single)
		return ok(false, "test profile loads"), done_testing();
	req = test_requirements();

	test_fixes();
	test_fixes_fail();
	test_swap_through_systemd();
	test_unit_names();
	test_formats();
	test_formats_of_run();

	drop_root();
	preflight_reports_free(R, N);
	profile_free(single);
	return done_testing();
}

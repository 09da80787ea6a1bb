/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The privilege split's routing (supervisor/helper-executor.c): the systemd-run command
 * line that has systemd start a helper as kiln-helper-NAME.service under kiln-confine, and
 * helper_job_start() choosing it exactly when the process's bounding set lacks a
 * capability the helper's profile keeps. The systemd-run started here is a stand-in on
 * $PATH that prints what it was given and what the kernel shows of it: the real one, and
 * systemd running the unit, are proven in tests/integration/test-supervisor.sh. */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fd-util.h"
#include "fileio.h"
#include "helper-security.h"
#include "strv.h"
#include "tap.h"

static char *profiles;

static char *joined(char **argv) {
	char *s = strv_join(argv, " ");
	return s ? s : strdup("(none)");
}

static void test_argv(void) {
	const Confinement *c;
	_cleanup_free_ char *why = NULL, *want = NULL, *got = NULL;
	_cleanup_strv_free_ char **argv = NULL;

	if (helper_security_get("modprobe", &c, &why) < 0) {
		skip_all("cannot compile the modprobe profile: %s", why ?: "?");
	}
	is_int(helper_executor_argv("modprobe", c, (const char *const[]) { "modprobe", "overlay", NULL },
				    &(const HelperUnit) { .env = (const char *const[]) { "LANG=C", NULL },
							      .timeout = 1500 * USEC_PER_MSEC }, &argv),
	       0, "helper_executor_argv");
	got = joined(argv);
	(void) !asprintf(&want,
			 "systemd-run --quiet --pipe --wait --collect --service-type=exec --unit=kiln-helper-modprobe "
			 "--description=kiln: modprobe, for kiln-supervisor (profile modprobe) "
			 "--property=CapabilityBoundingSet=CAP_SETPCAP CAP_SYS_MODULE --property=RuntimeMaxSec=2 "
			 "--setenv=LANG=C -- /usr/bin/kiln-confine --profile-dir=%s run modprobe -- modprobe overlay",
			 profiles);
	is_str(got, want, "modprobe: a transient service bounded to CAP_SYS_MODULE (and CAP_SETPCAP for "
	       "kiln-confine), its time limit rounded up, the same profile inside");

	strv_free(argv), argv = NULL;
	free(got);
	is_int(helper_executor_argv("modprobe", c, (const char *const[]) { "modprobe", "x", NULL },
				    &(const HelperUnit) { .timeout = USEC_INFINITY }, &argv), 0, "no time limit, no environment");
	got = joined(argv);
	ok(!strstr(got, "RuntimeMaxSec") && !strstr(got, "--setenv"), "no RuntimeMaxSec=, no --setenv= (%s)", got);

	/* A unit of its own name (kubeadm's): the caller's settings after the bounding set and
	 * the deadline, then the environment. */
	strv_free(argv), argv = NULL;
	free(got);
	is_int(helper_executor_argv("modprobe", c, (const char *const[]) { "modprobe", "y", NULL },
				    &(const HelperUnit) { .unit = "kiln-x", .description = "kiln: x",
							  .properties = (const char *const[]) { "NoNewPrivileges=yes",
												"ProtectHome=read-only", NULL },
							  .env = (const char *const[]) { "A=1", NULL },
							  .systemd_run = "/bin/sr", .timeout = 3 * USEC_PER_SEC },
				    &argv), 0, "a named unit with settings");
	got = joined(argv);
	free(want), want = NULL;
	(void) !asprintf(&want,
			 "/bin/sr --quiet --pipe --wait --collect --service-type=exec --unit=kiln-x --description=kiln: x "
			 "--property=CapabilityBoundingSet=CAP_SETPCAP CAP_SYS_MODULE --property=RuntimeMaxSec=3 "
			 "--property=NoNewPrivileges=yes --property=ProtectHome=read-only --setenv=A=1 -- "
			 "/usr/bin/kiln-confine --profile-dir=%s run modprobe -- modprobe y", profiles);
	is_str(got, want, "its name, description and settings in systemd-run's words, the profile still inside");
	ok(helper_executor_argv("modprobe", c, (const char *const[]) { NULL }, NULL, &argv) == -EINVAL,
	   "an empty command is refused");
}

/* What a child of this test finds, sent back through a pipe (the child may not print TAP). */
typedef struct Outcome {
	uint64_t missing_before, missing_after;
	int start, status;
} Outcome;

static void child(int out_fd, const char *bin, int record_fd) {
	Outcome o = { .start = -1, .status = -1 };
	const Confinement *c;
	pid_t pid;
	int st;

	if (helper_security_get("modprobe", &c, NULL) < 0)
		_exit(2);
	o.missing_before = helper_missing_capabilities(c);
	if (prctl(PR_CAPBSET_DROP, CAP_SYS_MODULE, 0, 0, 0) < 0)
		_exit(3);
	o.missing_after = helper_missing_capabilities(c);
	if (setenv("PATH", bin, 1) < 0)
		_exit(4);
	SpawnOptions so = { .stdio = { [STDOUT_FILENO] = SPAWN_STDIO_FROM_FD(record_fd) } };
	o.start = helper_job_start("modprobe", (const char *const[]) { "modprobe", "overlay", NULL }, &so,
				   30 * USEC_PER_SEC, &pid);
	if (o.start >= 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st))
		o.status = WEXITSTATUS(st);
	(void) !write(out_fd, &o, sizeof o);
	_exit(0);
}

static void test_routing(const char *tmp) {
	_cleanup_free_ char *bin = NULL, *stub = NULL, *record = NULL, *text = NULL;
	_cleanup_close_ int record_fd = -EBADF;
	int p[2];
	Outcome o = {};

	if (geteuid() != 0) {
		skip(7, "not root: the bounding set cannot be changed");
		return;
	}
	(void) !asprintf(&bin, "%s/bin", tmp);
	(void) !asprintf(&stub, "%s/systemd-run", bin);
	(void) !asprintf(&record, "%s/record", tmp);
	static const char script[] = "#!/bin/sh\n"
				     "# A stand-in for systemd-run: what it was given, and how it runs.\n"
				     "echo \"argv: $*\"\n"
				     "# Builtins only: systemd-run's profile does not let it fork.\n"
				     "while read -r l; do case $l in CapEff:*|Seccomp:*) echo \"$l\";; esac; done </proc/self/status\n"
				     "exit 7\n";
	if (mkdir(bin, 0755) < 0 || write_file_atomic(stub, script, strlen(script), 0755, 0) < 0 ||
	    (record_fd = open(record, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0 || pipe2(p, O_CLOEXEC) < 0) {
		skip(7, "cannot set up %s", tmp);
		return;
	}

	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		child(p[1], bin, record_fd);
	}
	close(p[1]);
	ok(pid > 0 && read(p[0], &o, sizeof o) == sizeof o, "the child reported back");
	close(p[0]);
	(void) waitpid(pid, NULL, 0);

	is_int((int) o.missing_before, 0, "with every capability in the bounding set, modprobe is our own child");
	ok(o.missing_after == UINT64_C(1) << CAP_SYS_MODULE,
	   "without CAP_SYS_MODULE in the bounding set, that is what modprobe's profile misses (%#llx)",
	   (unsigned long long) o.missing_after);
	is_int(o.start, 0, "helper_job_start() started something");
	(void) read_full_file(record, &text, NULL);
	for (char *l = text, *e; l && *l; l = e ? e + 1 : NULL) {
		e = strchr(l, '\n');
		diag("recorded: %.*s", e ? (int) (e - l) : (int) strlen(l), l);
	}
	ok(text && strstr(text, "argv: --quiet --pipe --wait --collect") &&
	   strstr(text, " --unit=kiln-helper-modprobe ") && strstr(text, " run modprobe -- modprobe overlay\n"),
	   "it was systemd-run, asked for kiln-helper-modprobe.service running modprobe overlay under kiln-confine");
	ok(text && strstr(text, "CapEff:\t0000000000000000\n") && strstr(text, "Seccomp:\t2\n"),
	   "systemd-run itself ran under its own profile: no capability, a seccomp filter");
	is_int(o.status, 7, "its exit status (7) is the job's");
}

int main(void) {
	char tmp[] = "/tmp/kiln-test-executor-XXXXXX";

	if (asprintf(&profiles, "%s/profiles/security", tap_srcdir()) < 0 || !mkdtemp(tmp))
		skip_all("no temporary directory");
	helper_security_set_dir(profiles);
	test_argv();
	test_routing(tmp);
	(void) rm_rf(tmp);
	free(profiles);
	return tap_done();
}

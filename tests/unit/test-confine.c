/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The harden-then-exec path, proven by the kernel's own view: a probe runs under each
 * shipped helper profile (profiles/security/) and under test profiles that exercise one
 * feature each; /proc/self/status must show exactly the declared sets, a call outside
 * the allow-list and a capability not given must be denied as declared, and what is
 * allowed must still work. Needs root (it changes ids and capability sets). */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child-test.h"
#include "confine.h"
#include "fd-util.h"
#include "fileio.h"
#include "process-util.h"
#include "security-profile.h"
#include "strv.h"
#include "syscall-groups.h"
#include "tap.h"

static char *probe_path;
static char *tmp;

static SecurityProfile *load_file(const char *path) {
	_cleanup_(diag_list_done) DiagList diags = {};
	SecurityProfile *p = NULL;
	int r = security_profile_load_file(path, &p, &diags);
	for (size_t i = 0; i < diags.n; i++)
		diag("%s:%u:%u: %s", diags.items[i].file, diags.items[i].line, diags.items[i].column,
		     diags.items[i].message);
	if (r < 0)
		diag("%s: %s", path, strerror(-r));
	return p;
}

static SecurityProfile *load_text(const char *name, const char *text) {
	_cleanup_free_ char *path = NULL;
	if (asprintf(&path, "%s/%s.yaml", tmp, name) < 0 ||
	    write_file_atomic(path, text, strlen(text), 0644, 0) < 0)
		return NULL;
	return load_file(path);
}

/* Run the probe with args under c; its stdout, and its shell-style status. */
static char *probe(const Confinement *c, const char *const *args, int *ret_status) {
	const char *argv[8] = { probe_path };
	char *out = NULL;
	size_t i = 1;

	for (; args[i - 1] && i < ELEMENTSOF(argv) - 1; i++)
		argv[i] = args[i - 1];
	argv[i] = NULL;
	SpawnOptions so = { .confine = c };
	int r = capture_command_full(argv, &so, 10 * USEC_PER_SEC, CAPTURE_SIZE_MAX, &out, NULL, ret_status);
	if (r < 0)
		diag("probe %s: %s", args[0], strerror(-r));
	return out;
}

static uint64_t status_field(const char *status, const char *key) {
	const char *p = strstr(status, key);
	return p ? strtoull(p + strlen(key), NULL, strncmp(key, "Cap", 3) == 0 ? 16 : 10) : UINT64_MAX;
}

static uint64_t all_caps(void) {
	_cleanup_free_ char *t = NULL;
	if (read_full_file("/proc/sys/kernel/cap_last_cap", &t, NULL) < 0)
		return 0;
	int last = atoi(t);
	return last >= 63 ? UINT64_MAX : (UINT64_C(1) << (last + 1)) - 1;
}

static bool has_cap(const SecurityProfile *p, const char *name) {
	for (size_t i = 0; i < p->capabilities.n_ambient; i++)
		if (streq(p->capabilities.ambient[i], name))
			return true;
	return false;
}

/* The checks every profile gets. */
static void check_profile(const SecurityProfile *p, const char *denied_file) {
	_cleanup_(confinement_freep) Confinement *c = NULL;
	_cleanup_free_ char *why = NULL, *st = NULL, *out = NULL, *dac = NULL, *cr = NULL;
	uint64_t bnd, amb;
	int status = -1;

	if (!ok(confinement_prepare(p, &c, &why) == 0, "%s: compiles (%s)", p->name, why ?: "ok")) {
		skip(7, "%s did not compile", p->name);
		return;
	}
	diag("%s: %zu syscalls allowed, %zu BPF instructions", p->name, confinement_syscalls_allowed(c),
	     confinement_bpf_instructions(c));
	ok(confinement_syscalls_allowed(c) < 180, "%s: allows %zu syscalls, under half of the ~360 a container runtime's default allows",
	   p->name, confinement_syscalls_allowed(c));

	(void) security_capability_mask(p->capabilities.bounding, p->capabilities.n_bounding, &bnd);
	(void) security_capability_mask(p->capabilities.ambient, p->capabilities.n_ambient, &amb);
	st = probe(c, ARGV("status"), &status);
	bool kernel_says = st && status == 0 && status_field(st, "CapBnd:\t") == (bnd & all_caps()) &&
			   status_field(st, "CapPrm:\t") == amb && status_field(st, "CapEff:\t") == amb &&
			   status_field(st, "CapAmb:\t") == amb && status_field(st, "CapInh:\t") == amb &&
			   status_field(st, "NoNewPrivs:\t") == (p->no_new_privileges ? 1 : 0) &&
			   status_field(st, "Seccomp:\t") == 2 && status_field(st, "Seccomp_filters:\t") == 1;
	if (!ok(kernel_says, "%s: /proc/PID/status shows the declared bounding %#" PRIx64 ", ambient = permitted = "
		"effective %#" PRIx64 ", NoNewPrivs %d, one seccomp filter", p->name, bnd, amb, p->no_new_privileges))
		diag("status %d:\n%s", status, st ?: "(none)");

	out = probe(c, ARGV("outside"), &status);
	if (p->seccomp.default_action == SECCOMP_DEFAULT_KILL)
		is_int(status, 128 + SIGSYS, "a call outside the allow-list kills the probe with SIGSYS");
	else {
		_cleanup_free_ char *want = NULL;
		SeccompErrno e = p->seccomp.errno_value == _SECCOMP_ERRNO_UNSET ? SECCOMP_ERRNO_EPERM : p->seccomp.errno_value;
		(void) !asprintf(&want, "outside: errno %s\n", seccomp_errno_to_string(e));
		is_str(out, want, "a call outside the allow-list fails with the declared errno");
	}
	free(out);
	out = probe(c, ARGV("inside"), &status);
	is_str(out, "inside: ok\n", "the calls it is allowed still work");

	/* A file of mode 0000: root opens it only with CAP_DAC_OVERRIDE. */
	bool dac_given = has_cap(p, "CAP_DAC_OVERRIDE");
	dac = probe(c, ARGV("open", denied_file), &status);
	is_str(dac, dac_given ? "open: ok\n" : "open: errno EACCES\n",
	       dac_given ? "CAP_DAC_OVERRIDE, given, opens a mode-0000 file"
			 : "CAP_DAC_OVERRIDE, not given, is denied: a mode-0000 file does not open");

	/* Writing outside writablePaths: Landlock says EACCES (tmp is under /var/tmp or $TMPDIR). */
	bool all_writable = false, tmp_writable = false;
	for (size_t i = 0; i < p->n_writable_paths; i++) {
		all_writable |= streq(p->writable_paths[i], "/");
		tmp_writable |= strneq(tmp, p->writable_paths[i], strlen(p->writable_paths[i])) &&
				tmp[strlen(p->writable_paths[i])] == '/';
	}
	_cleanup_free_ char *target = NULL;
	(void) !asprintf(&target, "%s/written-by-%s", tmp, p->name);
	cr = probe(c, ARGV("create", target), &status);
	is_str(cr, all_writable || tmp_writable ? "create: ok\n" : "create: errno EACCES\n",
	       all_writable || tmp_writable ? "a file in a writable path can be created"
					    : "a file outside writablePaths cannot be created (Landlock)");
	(void) unlink(target);
}

/* A shipped profile's writable paths exist on a node (the supervisor makes them before the
 * helper's first start); on this machine they may not: make the missing ones, and say
 * which, so that the caller removes them again. */
static void make_writable_paths(const SecurityProfile *p, char ***made) {
	for (size_t i = 0; i < p->n_writable_paths; i++) {
		const char *path = p->writable_paths[i];
		/* Each missing component in turn, top down, so each can be removed again. */
		for (const char *slash = strchr(path + 1, '/');; slash = strchr(slash + 1, '/')) {
			_cleanup_free_ char *prefix = slash ? strndup(path, (size_t) (slash - path)) : strdup(path);
			if (!prefix)
				return;
			if (access(prefix, F_OK) < 0) {
				if (mkdir(prefix, 0755) < 0) {
					diag("cannot make %s: %s", prefix, strerror(errno));
					return;
				}
				(void) strv_extend(made, prefix);
			}
			if (!slash)
				break;
		}
	}
}

static void test_shipped_profiles(const char *denied_file) {
	_cleanup_free_ char *pattern = NULL;
	char **made = NULL;
	glob_t g = {};

	(void) !asprintf(&pattern, "%s/profiles/security/*.yaml", tap_srcdir());
	ok(glob(pattern, 0, NULL, &g) == 0 && g.gl_pathc >= 4, "profiles/security/ holds the helper profiles (%zu)",
	   g.gl_pathc);
	for (size_t i = 0; i < g.gl_pathc; i++) {
		_cleanup_(security_profile_freep) SecurityProfile *p = load_file(g.gl_pathv[i]);
		if (!ok(p, "%s loads", g.gl_pathv[i]))
			continue;
		make_writable_paths(p, &made);
		check_profile(p, denied_file);
	}
	globfree(&g);
	/* Deepest first: only what this test made, never a directory that was there. */
	for (size_t n = strv_length(made); n > 0; n--)
		(void) rmdir(made[n - 1]);
	strv_free(made);
}

static void test_kill_and_identity(const char *denied_file) {
	_cleanup_(security_profile_freep) SecurityProfile *p = load_text("kill-nobody",
		"name: kill-nobody\n"
		"description: a non-root helper that keeps one capability, killed on a stray call\n"
		"user: \"65534\"\n"
		"group: \"65534\"\n"
		"supplementaryGroups: [\"4242\"]\n"
		"capabilities:\n"
		"  bounding: [CAP_NET_BIND_SERVICE, CAP_DAC_OVERRIDE]\n"
		"  ambient: [CAP_NET_BIND_SERVICE, CAP_DAC_OVERRIDE]\n"
		"seccomp:\n"
		"  defaultAction: kill\n"
		"  allow: [\"@basic-process\", \"@file-write\"]\n"
		"writablePaths: [/]\n");
	if (!ok(p, "kill-nobody loads"))
		return;
	check_profile(p, denied_file);

	_cleanup_(confinement_freep) Confinement *c = NULL;
	_cleanup_free_ char *st = NULL;
	int status;
	if (confinement_prepare(p, &c, NULL) < 0)
		return;
	st = probe(c, ARGV("status"), &status);
	ok(st && strstr(st, "Uid:\t65534\t65534\t65534\t65534\n") && strstr(st, "Gid:\t65534\t65534\t65534\t65534\n") &&
	   strstr(st, "Groups:\t4242 \n"), "uid, gid and the supplementary groups are exactly the declared ones");
	if (st && !strstr(st, "Groups:\t4242"))
		diag("%s", st);
}

static void test_argument_filters(void) {
	_cleanup_(security_profile_freep) SecurityProfile *unix_only = load_text("unix-only",
		"name: unix-only\n"
		"description: sockets of one family; errno ENOSYS so that the filter's answer is told from the kernel's\n"
		"capabilities: {bounding: [CAP_SYS_ADMIN], ambient: [CAP_SYS_ADMIN]}\n"
		"seccomp:\n"
		"  errno: ENOSYS\n"
		"  allow: [\"@basic-process\", \"@network-io\", clone]\n"
		"  socketFamilies: [AF_UNIX]\n"
		"  namespaces: [uts]\n"
		"writablePaths: [/]\n");
	_cleanup_(confinement_freep) Confinement *c = NULL;
	_cleanup_free_ char *o1 = NULL, *o2 = NULL, *o3 = NULL, *o4 = NULL, *a = NULL, *b = NULL, *ns = NULL, *net = NULL;
	int status;

	if (!ok(unix_only && confinement_prepare(unix_only, &c, NULL) == 0, "unix-only compiles"))
		return;
	(void) !asprintf(&a, "%d", AF_UNIX);
	(void) !asprintf(&b, "%d", AF_INET);
	(void) !asprintf(&ns, "%#x", CLONE_NEWUTS);
	(void) !asprintf(&net, "%#x", CLONE_NEWNET);
	o1 = probe(c, ARGV("socket", a), &status);
	is_str(o1, "socket: ok\n", "socketFamilies [AF_UNIX]: socket(AF_UNIX) works");
	o2 = probe(c, ARGV("socket", b), &status);
	is_str(o2, "socket: errno ENOSYS\n", "socketFamilies [AF_UNIX]: socket(AF_INET) gets the profile's errno");
	o3 = probe(c, ARGV("clone", ns), &status);
	is_str(o3, "clone: ok\n", "namespaces [uts]: clone(CLONE_NEWUTS) works (CAP_SYS_ADMIN kept)");
	o4 = probe(c, ARGV("clone", net), &status);
	is_str(o4, "clone: errno ENOSYS\n", "namespaces [uts]: clone(CLONE_NEWNET) gets the profile's errno");
}

/* A step that the kernel refuses names itself: here setgroups() without CAP_SETGID. */
static void test_failing_step(void) {
	_cleanup_(security_profile_freep) SecurityProfile *p = load_text("other-group",
		"name: other-group\n"
		"description: changes groups\n"
		"group: \"65534\"\n"
		"supplementaryGroups: [\"4242\"]\n"
		"seccomp: {allow: [\"@basic-process\"]}\n"
		"writablePaths: [/]\n");
	_cleanup_(confinement_freep) Confinement *c = NULL;
	if (!ok(p && confinement_prepare(p, &c, NULL) == 0, "other-group compiles"))
		return;

	pid_t pid = fork();
	if (pid == 0) {
		cap_t caps = cap_get_proc();
		cap_value_t v = CAP_SETGID;
		if (!caps || cap_set_flag(caps, CAP_EFFECTIVE, 1, &v, CAP_CLEAR) < 0 || cap_set_proc(caps) < 0)
			_exit(3);
		ConfineStep step;
		pid_t child;
		SpawnOptions so = { .confine = c };
		int r = spawn_full(ARGV(probe_path, "inside"), &so, &child, &step);
		_exit(r == -EPERM && step == CONFINE_STEP_GROUPS ? 0 : r < 0 ? 10 + (int) step : 2);
	}
	int status = -1;
	(void) waitpid(pid, &status, 0);
	is_int(WIFEXITED(status) ? WEXITSTATUS(status) : -1, 0,
	       "without CAP_SETGID, spawn_full() fails with EPERM at the step \"groups\"");
	is_int(confine_step_exit_code(CONFINE_STEP_GROUPS), 223, "the step \"groups\" has exit code 223");
}

int main(void) {
	if (geteuid() != 0)
		skip_all("needs root: it changes ids and capability sets");
	tmp = tap_mkdtemp();
	if (asprintf(&probe_path, "%s/tests/unit/confine-probe", tap_builddir()) < 0 || !tmp)
		return 1;

	_cleanup_free_ char *denied = NULL;
	(void) !asprintf(&denied, "%s/mode-0000", tmp);
	_cleanup_close_ int fd = open(denied, O_WRONLY | O_CREAT | O_CLOEXEC, 0000);
	ok(fd >= 0 && fchmod(fd, 0000) == 0, "a mode-0000 file for the capability checks");
	(void) chmod(tmp, 0755);    /* the non-root probe must reach it */

	test_shipped_profiles(denied);
	test_kill_and_identity(denied);
	test_argument_filters();
	test_failing_step();

	(void) rm_rf(tmp);
	free(tmp);
	free(probe_path);
	return done_testing();
}

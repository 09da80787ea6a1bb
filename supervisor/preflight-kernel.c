/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Preflight checks of the kernel: modules loaded and listed for the next boot, sysctls,
 * the cgroup v2 controllers. The lists they check are data in preflight-checks.c. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fd-util.h"
#include "preflight-internal.h"
#include "strv.h"

/* modprobe answers in milliseconds; one still running after this (a module whose init
 * waits on hardware) is killed, and the check fails saying so. */
#define MODPROBE_TIMEOUT (30 * USEC_PER_SEC)

/* /proc/modules: "name size refcount users state address", one module a line. */
static bool proc_modules_lists(const char *data, const char *name) {
	size_t n = strlen(name);

	for (const char *p = data; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (strneq(p, name, n) && (p[n] == ' ' || p[n] == '\n' || p[n] == '\0'))
			return true;
	return false;
}

static bool module_loaded(const PreflightContext *ctx, const PreflightModule *m) {
	_cleanup_free_ char *modules = NULL, *sys = NULL;

	/* A module built into the kernel is not in /proc/modules; /sys/module has it when
	 * it has parameters (overlay does), the probe path otherwise (br_netfilter's sysctls). */
	if (preflight_read(ctx, "/proc/modules", &modules) >= 0 && proc_modules_lists(modules, m->name))
		return true;
	if (asprintf(&sys, "/sys/module/%s", m->name) >= 0 && preflight_exists(ctx, sys))
		return true;
	return m->probe && preflight_exists(ctx, m->probe);
}

static int missing_modules(const PreflightContext *ctx, const PreflightModule *table, char ***ret) {
	_cleanup_strv_free_ char **missing = NULL;
	int r;

	for (const PreflightModule *m = table; m->name; m++)
		if (!module_loaded(ctx, m) && (r = strv_extend(&missing, m->name)) < 0)
			return r;
	*ret = TAKE_PTR(missing);
	return 0;
}

/* The check's progress between its turns: one modprobe per turn. */
typedef struct ModulesProgress {
	char **missing;             /* what was not loaded at the start */
	size_t next;                /* the next one to load */
	char *failed;               /* "modprobe x: exit status 1, ..." */
	const char *argv[3];
} ModulesProgress;

static void modules_progress_free(void *p) {
	ModulesProgress *m = p;

	if (!m)
		return;
	strv_free(m->missing);
	free(m->failed);
	free(m);
}

static int report_missing(const PreflightCheck *c, char *const *missing, const char *failed, PreflightReports *out) {
	_cleanup_free_ char *list = NULL, *words = NULL;
	int r;

	if ((r = preflight_join(missing, ", ", &list)) < 0 || (r = preflight_join(missing, " ", &words)) < 0)
		return r;
	return report_add_take(out, c->name, PREFLIGHT_FAIL,
			       failed ? preflight_printf("not loaded: %s (%s)", list, failed)
				      : preflight_printf("not loaded: %s", list),
			       preflight_printf("run 'modprobe -a %s'; if that fails, the kernel lacks %s "
						"(check 'modinfo %s')", words,
						strv_length(missing) > 1 ? "them" : "it", missing[0]));
}

/* The first turn finds what is missing; with a fix allowed, each further turn notes how
 * the last modprobe ended and starts the next; the last one checks again. */
int check_kernel_modules(const PreflightCheck *c, const PreflightContext *ctx, PreflightStep *s, PreflightReports *out) {
	const PreflightModule *table = c->data;
	ModulesProgress *p = s->state;
	int r;

	if (!p) {
		_cleanup_strv_free_ char **all = NULL, **missing = NULL;
		_cleanup_free_ char *list = NULL;

		for (const PreflightModule *m = table; m->name; m++)
			if ((r = strv_extend(&all, m->name)) < 0)
				return r;
		if ((r = missing_modules(ctx, table, &missing)) < 0)
			return r;
		if (!missing) {
			if ((r = preflight_join(all, ", ", &list)) < 0)
				return r;
			return report_add(out, c->name, PREFLIGHT_PASS, NULL, "%s loaded", list);
		}
		if (!preflight_can_fix_host(ctx))
			return report_missing(c, missing, NULL, out);
		p = calloc(1, sizeof *p);
		if (!p)
			return -ENOMEM;
		p->missing = TAKE_PTR(missing);
		s->state = p;
		s->free_state = modules_progress_free;
	} else {
		const char *m = p->missing[p->next - 1];
		_cleanup_free_ char *e = NULL;

		if (s->result > 0)
			e = preflight_printf("modprobe %s: exit status %d", m, s->result);
		else if (s->result == -ETIMEDOUT)
			e = preflight_printf("modprobe %s: still running after %llu s, killed", m,
					     (unsigned long long) (MODPROBE_TIMEOUT / USEC_PER_SEC));
		else if (s->result < 0)
			e = preflight_printf("modprobe %s: %s", m, strerror(-s->result));
		if (s->result != 0 && (!e || strextend_list(&p->failed, e) < 0))
			return -ENOMEM;
	}

	if (p->missing[p->next]) {
		p->argv[0] = "modprobe";
		p->argv[1] = p->missing[p->next++];
		return preflight_wait_command(s, "modprobe", p->argv, MODPROBE_TIMEOUT);
	}

	_cleanup_strv_free_ char **still = NULL;
	_cleanup_free_ char *list = NULL;
	if ((r = missing_modules(ctx, table, &still)) < 0)
		return r;
	if (!still) {
		if ((r = preflight_join(p->missing, ", ", &list)) < 0)
			return r;
		return report_add(out, c->name, PREFLIGHT_FIXED, NULL, "%s %s not loaded: loaded with modprobe", list,
				  strv_length(p->missing) > 1 ? "were" : "was");
	}
	return report_missing(c, still, p->failed, out);
}

/* Where systemd-modules-load reads its lists, most important first: a file in an earlier
 * directory hides the file of the same name in the later ones. */
static const char *const modules_load_dirs[] = {
	"/etc/modules-load.d", "/run/modules-load.d", "/usr/local/lib/modules-load.d", "/usr/lib/modules-load.d",
};

static int modules_load_read_file(int dir_fd, const char *name, char ***modules) {
	_cleanup_close_ int fd = openat(dir_fd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	_cleanup_fclose_ FILE *f = NULL;
	char line[LINE_MAX];
	int r;

	if (fd < 0)
		return 0;   /* unreadable or masked (a link to /dev/null reads as empty anyway) */
	f = fdopen(fd, "re");
	if (!f)
		return -ENOMEM;
	(void) TAKE_FD(fd);   /* f owns it now */
	while (fgets(line, sizeof line, f)) {
		char *w = line + strspn(line, " \t");
		w[strcspn(w, " \t\r\n")] = '\0';
		if (isempty(w) || strchr("#;", *w))
			continue;
		if ((r = strv_extend(modules, w)) < 0)
			return r;
	}
	return 0;
}

/* Every module named in a *.conf of modules_load_dirs, honouring the overrides. */
static int modules_load_list(const PreflightContext *ctx, char ***ret) {
	_cleanup_strv_free_ char **seen = NULL, **modules = NULL;
	int r;

	for (size_t i = 0; i < ELEMENTSOF(modules_load_dirs); i++) {
		_cleanup_free_ char *path = NULL;
		DIR *d;

		if ((r = preflight_path(ctx, modules_load_dirs[i], &path)) < 0)
			return r;
		d = opendir(path);
		if (!d)
			continue;
		for (struct dirent *de; (de = readdir(d));) {
			size_t n = strlen(de->d_name);
			if (n <= STRLEN(".conf") || !streq(de->d_name + n - STRLEN(".conf"), ".conf") ||
			    strv_contains(seen, de->d_name))
				continue;
			if ((r = strv_extend(&seen, de->d_name)) < 0 ||
			    (r = modules_load_read_file(dirfd(d), de->d_name, &modules)) < 0) {
				closedir(d);
				return r;
			}
		}
		closedir(d);
	}
	*ret = TAKE_PTR(modules);
	return 0;
}

int check_modules_load(const PreflightCheck *c, const PreflightContext *ctx, PreflightReports *out) {
	_cleanup_strv_free_ char **listed = NULL, **missing = NULL;
	_cleanup_free_ char *list = NULL;
	const PreflightModule *table = c->data;
	int r;

	if ((r = modules_load_list(ctx, &listed)) < 0)
		return r;
	for (const PreflightModule *m = table; m->name; m++)
		if (!strv_contains(listed, m->name) && (r = strv_extend(&missing, m->name)) < 0)
			return r;
	if (!missing)
		return report_add(out, c->name, PREFLIGHT_PASS, NULL, "every needed module is in modules-load.d");
	if ((r = preflight_join(missing, ", ", &list)) < 0)
		return r;
	return report_add_take(out, c->name, PREFLIGHT_WARN,
			       preflight_printf("%s not listed in any modules-load.d/*.conf: not loaded at the next boot "
						"until the supervisor loads %s", list,
						strv_length(missing) > 1 ? "them" : "it"),
			       preflight_printf("list %s in /etc/modules-load.d/kiln.conf (the image ships that file; "
						"was it removed or masked?)", list));
}

static bool cluster_uses_ipv6(const PreflightContext *ctx) {
	return ctx->profile && (ctx->profile->kubernetes.pod_subnet.address.family == AF_INET6 ||
				ctx->profile->kubernetes.service_subnet.address.family == AF_INET6);
}

/* The fix applies the image's own sysctl.d value of the key again (90-kiln.conf sets
 * every one of them): systemd-sysctl does that, started by systemd for us, since writing
 * net.ipv4.ip_forward takes CAP_NET_ADMIN, which the supervisor does not keep
 * (helper-executor.c). A value that is still not 1 afterwards (the file was changed or
 * removed) is a failure with the file in its hint. */
#define SYSCTL_TIMEOUT (30 * USEC_PER_SEC)
#define SYSTEMD_SYSCTL "/usr/lib/systemd/systemd-sysctl"

typedef struct SysctlProgress {
	char *was;                  /* the value before the fix */
	char *prefix;               /* --prefix=KEY */
	const char *argv[3];
} SysctlProgress;

static void sysctl_progress_free(void *p) {
	SysctlProgress *s = p;

	if (!s)
		return;
	free(s->was);
	free(s->prefix);
	free(s);
}

int check_sysctl(const PreflightCheck *c, const PreflightContext *ctx, PreflightStep *step, PreflightReports *out) {
	const PreflightSysctl *s = c->data;
	SysctlProgress *p = step->state;
	_cleanup_free_ char *path = NULL, *value = NULL, *hint = NULL;
	int r;

	if (s->ipv6 && !cluster_uses_ipv6(ctx))
		return 0;   /* does not apply: no report */
	if (asprintf(&path, "/proc/sys/%s", s->path) < 0 ||
	    asprintf(&hint, "set '%s = 1' in /etc/sysctl.d/90-kiln.conf (the image ships it) and run "
			    "'sysctl --system'", s->key) < 0)
		return -ENOMEM;

	r = preflight_read_line(ctx, path, &value);
	if (p) {
		/* After systemd-sysctl: the value it left is the verdict. */
		if (r >= 0 && streq(value, "1"))
			return report_add(out, c->name, PREFLIGHT_FIXED, NULL, "%s was %s: set it to 1 from sysctl.d",
					  s->key, p->was);
		_cleanup_free_ char *how = NULL;
		if (step->result > 0)
			how = preflight_printf("systemd-sysctl exited with status %d", step->result);
		else if (step->result == -ETIMEDOUT)
			how = preflight_printf("systemd-sysctl was still running after %llu s",
					       (unsigned long long) (SYSCTL_TIMEOUT / USEC_PER_SEC));
		else if (step->result < 0)
			how = preflight_printf("systemd-sysctl: %s", strerror(-step->result));
		else
			how = preflight_printf("systemd-sysctl left it at %s", r >= 0 ? value : strerror(-r));
		if (!how)
			return -ENOMEM;
		return report_add_take(out, c->name, PREFLIGHT_FAIL,
				       preflight_printf("%s = %s, and setting it to 1 failed: %s", s->key, p->was, how),
				       TAKE_PTR(hint));
	}
	if (r == -ENOENT && s->module)
		return report_add_take(out, c->name, PREFLIGHT_FAIL,
				       preflight_printf("%s is missing: %s is not loaded", path, s->module),
				       preflight_printf("run 'modprobe %s' (see kernel-modules)", s->module));
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return report_add_take(out, c->name, PREFLIGHT_FAIL,
				       preflight_printf("cannot read %s: %s", path, strerror(-r)), TAKE_PTR(hint));
	if (streq(value, "1"))
		return report_add(out, c->name, PREFLIGHT_PASS, NULL, "%s = 1", s->key);
	if (!preflight_can_fix_host(ctx))
		return report_add_take(out, c->name, PREFLIGHT_FAIL,
				       preflight_printf("%s = %s, Kubernetes needs 1", s->key, value), TAKE_PTR(hint));

	p = calloc(1, sizeof *p);
	if (!p)
		return -ENOMEM;
	step->state = p;
	step->free_state = sysctl_progress_free;
	p->was = TAKE_PTR(value);
	if (asprintf(&p->prefix, "--prefix=%s", s->key) < 0)
		return -ENOMEM;
	p->argv[0] = SYSTEMD_SYSCTL;
	p->argv[1] = p->prefix;
	return preflight_wait_command(step, "systemd-sysctl", p->argv, SYSCTL_TIMEOUT);
}

static int missing_controllers(const char *have, const char *const *want, char **ret) {
	_cleanup_free_ char *list = NULL;
	int r;

	for (const char *const *w = want; w && *w; w++)
		if (!preflight_has_word(have, *w) && (r = strextend_list(&list, *w)) < 0)
			return r;
	*ret = TAKE_PTR(list);
	return 0;
}

int check_cgroup(const PreflightCheck *c, const PreflightContext *ctx, PreflightReports *out) {
	const PreflightControllers *want = c->data;
	_cleanup_free_ char *have = NULL, *required = NULL, *recommended = NULL;
	int r;

	r = preflight_read(ctx, "/sys/fs/cgroup/cgroup.controllers", &have);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return report_add_take(out, c->name, PREFLIGHT_FAIL,
				       preflight_printf("no cgroup v2 hierarchy on /sys/fs/cgroup (%s): cgroup v1%s",
							strerror(-r),
							preflight_exists(ctx, "/sys/fs/cgroup/unified") ? " in hybrid mode" : ""),
				       strdup("boot with the unified hierarchy: remove systemd.unified_cgroup_hierarchy=0 "
					      "from the kernel command line"));
	if ((r = missing_controllers(have, want->required, &required)) < 0 ||
	    (r = missing_controllers(have, want->recommended, &recommended)) < 0)
		return r;
	if (required)
		return report_add_take(
			out, c->name, PREFLIGHT_FAIL,
			preflight_printf("cgroup v2 lacks the %s controller%s", required, strchr(required, ',') ? "s" : ""),
			preflight_printf("enable %s on the kernel command line (e.g. cgroup_enable=memory on boards "
					 "that disable it) or in the kernel configuration", required));
	if (recommended)
		return report_add_take(
			out, c->name, PREFLIGHT_WARN,
			preflight_printf("cgroup v2 without the %s controller%s: the kubelet cannot pin CPUs or limit "
					 "disk I/O", recommended, strchr(recommended, ',') ? "s" : ""),
			preflight_printf("enable %s in the kernel configuration", recommended));
	return report_add(out, c->name, PREFLIGHT_PASS, NULL, "cgroup v2 with every needed controller");
}

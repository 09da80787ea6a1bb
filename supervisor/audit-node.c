/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The node's own processes: the supervisor, declared by its unit's sandbox as systemd
 * reports it; every other process of its cgroup (its helpers), each declared by the
 * security profile named by its command; and every process of the transient units
 * systemd runs helpers in for it (helper-executor.c), declared by the profile the unit's
 * kiln-confine command names. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

#include "alloc-util.h"
#include "audit.h"
#include "dir-util.h"
#include "fd-util.h"
#include "fileio.h"
#include "macro.h"
#include "security-profile.h"
#include "strv.h"

#define SYSTEMD_SERVICE "org.freedesktop.systemd1"
#define SYSTEMD_PATH "/org/freedesktop/systemd1"
#define SYSTEMD_MANAGER SYSTEMD_SERVICE ".Manager"
#define SYSTEMD_UNIT_SERVICE SYSTEMD_SERVICE ".Service"

typedef struct UnitSandbox {
	pid_t main_pid;
	char *control_group;
	uint64_t bounding, ambient;
	bool no_new_privs;
	bool syscall_filter;
} UnitSandbox;

static int bus_error_errno(const sd_bus_error *e, int r) {
	return sd_bus_error_is_set(e) ? sd_bus_error_get_errno(e) ?: r : r;
}

/* SystemCallFilter is (bas): allow-list or deny-list, and the names. Either, non-empty,
 * makes systemd load a filter into the service. */
static int read_syscall_filter(sd_bus *bus, const char *path, bool *ret, sd_bus_error *error) {
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_strv_free_ char **names = NULL;
	int allow_list, r;

	r = sd_bus_get_property(bus, SYSTEMD_SERVICE, path, SYSTEMD_UNIT_SERVICE, "SystemCallFilter", error, &reply,
				"(bas)");
	if (r < 0)
		return r;
	if ((r = sd_bus_message_enter_container(reply, 'r', "bas")) < 0 ||
	    (r = sd_bus_message_read(reply, "b", &allow_list)) < 0 ||
	    (r = sd_bus_message_read_strv(reply, &names)) < 0)
		return r;
	*ret = names && names[0];
	return 0;
}

static int read_unit(sd_bus *bus, const char *unit, UnitSandbox *ret, sd_bus_error *error) {
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	const char *path;
	uint32_t pid;
	int nnp, r;

	r = sd_bus_call_method(bus, SYSTEMD_SERVICE, SYSTEMD_PATH, SYSTEMD_MANAGER, "GetUnit", error, &reply, "s",
			       unit);
	if (r < 0)
		return r;
	if ((r = sd_bus_message_read(reply, "o", &path)) < 0)
		return r;
	if ((r = sd_bus_get_property_trivial(bus, SYSTEMD_SERVICE, path, SYSTEMD_UNIT_SERVICE, "MainPID", error, 'u',
					     &pid)) < 0 ||
	    (r = sd_bus_get_property_string(bus, SYSTEMD_SERVICE, path, SYSTEMD_UNIT_SERVICE, "ControlGroup", error,
					    &ret->control_group)) < 0 ||
	    (r = sd_bus_get_property_trivial(bus, SYSTEMD_SERVICE, path, SYSTEMD_UNIT_SERVICE,
					     "CapabilityBoundingSet", error, 't', &ret->bounding)) < 0 ||
	    (r = sd_bus_get_property_trivial(bus, SYSTEMD_SERVICE, path, SYSTEMD_UNIT_SERVICE,
					     "AmbientCapabilities", error, 't', &ret->ambient)) < 0 ||
	    (r = sd_bus_get_property_trivial(bus, SYSTEMD_SERVICE, path, SYSTEMD_UNIT_SERVICE, "NoNewPrivileges",
					     error, 'b', &nnp)) < 0 ||
	    (r = read_syscall_filter(bus, path, &ret->syscall_filter, error)) < 0)
		return r;
	ret->main_pid = (pid_t) pid;
	ret->no_new_privs = nnp;
	return 0;
}

/* Whether the process is in cgroup (or below it) of the unified hierarchy, by its "0::"
 * line in /proc/PID/cgroup: this finds the unit's processes on a pure cgroup v2 host and
 * on a hybrid one (the v2 tree at /sys/fs/cgroup/unified) alike, and within a cgroup
 * namespace the paths are the namespace's, as systemd's ControlGroup is. */
static int in_cgroup(const char *proc_root, pid_t pid, const char *cgroup) {
	_cleanup_free_ char *path = NULL, *text = NULL;
	size_t len = strlen(cgroup);
	int r;

	if (asprintf(&path, "%s/%d/cgroup", proc_root, (int) pid) < 0)
		return -ENOMEM;
	r = read_full_file(path, &text, NULL);
	if (r < 0)
		return r;
	for (char *p = text, *line; (line = strsep(&p, "\n"));)
		if (strneq(line, "0::", 3)) {
			const char *cg = line + 3;
			return strneq(cg, cgroup, len) && (cg[len] == '\0' || cg[len] == '/' || streq(cgroup, "/"));
		}
	return 0;
}

static int cgroup_pids(const char *proc_root, const char *cgroup, pid_t **ret, size_t *ret_n) {
	_cleanup_(closedirp) DIR *d = opendir(proc_root);
	_cleanup_free_ pid_t *pids = NULL;
	size_t n = 0, allocated = 0;
	int r;

	if (!d)
		return -errno;
	for (struct dirent *de; (de = readdir(d));) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);
		if (*end || pid <= 0 || pid > INT32_MAX)
			continue;
		r = in_cgroup(proc_root, (pid_t) pid, cgroup);
		if (r == -ENOMEM)
			return r;
		if (r <= 0)
			continue;  /* not in it, or gone since readdir() */
		if (!GREEDY_REALLOC(pids, allocated, n + 1))
			return -ENOMEM;
		pids[n++] = (pid_t) pid;
	}
	*ret = TAKE_PTR(pids);
	*ret_n = n;
	return 0;
}

/* A command that can name a profile file: what kiln's profile names are made of. */
static bool is_profile_name(const char *s) {
	if (isempty(s))
		return false;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
			return false;
	return true;
}

/* e declared by the profile called name in dir; none of that name: declared by nothing. */
static int declare_from_profile(Audit *a, AuditEntry *e, const char *dir, const char *name) {
	_cleanup_(security_profile_freep) SecurityProfile *p = NULL;
	const SecurityCapabilities *c;
	DiagList diags = {};
	int r;

	if (!is_profile_name(name))
		return 0;
	r = security_profile_load_named(dir, name, &p, &diags);
	diag_list_done(&diags);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return audit_add_error(a, "helper %s (pid %d): its security profile %s in %s cannot be read: %s",
				       e->seen.name, (int) e->pid, name, dir, strerror(-r));
	c = &p->capabilities;
	if (security_capability_mask(c->bounding, c->n_bounding, &e->declared.cap_bounding) < 0 ||
	    security_capability_mask(c->ambient, c->n_ambient, &e->declared.cap_ambient) < 0)
		return -EINVAL;  /* the loader checked every name */
	e->declared.cap_permitted = e->declared.cap_ambient;
	e->declared.cap_effective = e->declared.cap_ambient;
	if ((c->permitted && security_capability_mask(c->permitted, c->n_permitted, &e->declared.cap_permitted) < 0) ||
	    (c->effective && security_capability_mask(c->effective, c->n_effective, &e->declared.cap_effective) < 0))
		return -EINVAL;
	e->declared.no_new_privs = p->no_new_privileges;
	e->declared.seccomp = true;
	e->declared.source = strdup(p->file);
	if (!e->declared.source)
		return -ENOMEM;
	e->declared_known = true;
	return 0;
}

/* A child of the supervisor carries the supervisor's own name from fork() until its
 * execve(), while it hardens itself (confine.h): what it will be is not known yet. Read it
 * again for up to EXEC_WAIT, until it has exec'd (or ended: -ESRCH). One still under the
 * supervisor's name after that is audited as it is. */
#define EXEC_WAIT_USEC (200 * 1000)
#define EXEC_POLL_USEC (5 * 1000)

static int wait_for_exec(const char *proc_root, pid_t pid, const char *forked_name, ProcStatus *status) {
	for (unsigned waited = 0; streq(status->name, forked_name) && waited < EXEC_WAIT_USEC; waited += EXEC_POLL_USEC) {
		(void) usleep(EXEC_POLL_USEC);
		int r = proc_status_read(proc_root, pid, status);
		if (r < 0)
			return r;
	}
	return 0;
}

/* A helper entry for pid, its status read; read again while it still carries forked_name
 * (see wait_for_exec()) if it is a child of parent (0: whatever its parent). 1 with *ret
 * set; 0 when it ended between the listing and the read (nothing left to audit); -ENOMEM. */
static int add_helper(Audit *a, const char *proc_root, pid_t pid, pid_t parent, const char *forked_name,
		      AuditEntry **ret) {
	AuditEntry *h = audit_add(a, AUDIT_HELPER, pid);
	if (!h)
		return -ENOMEM;
	int r = proc_status_read(proc_root, pid, &h->seen);
	if (r >= 0 && (parent == 0 || h->seen.ppid == parent))
		r = wait_for_exec(proc_root, pid, forked_name, &h->seen);
	if (r < 0) {
		a->n_entries--;
		*ret = NULL;
		return 0;
	}
	*ret = h;
	return 1;
}

/* The transient units of the executor: systemd runs there the helpers whose profiles keep
 * what the supervisor's unit does not (kiln-helper-NAME.service), and kubeadm. */
static const char *const executor_unit_patterns[] = { "kiln-helper-*.service", "kiln-kubeadm.service" };
_Static_assert(ELEMENTSOF(executor_unit_patterns) == 2, "ListUnitsByPatterns below passes two patterns");

/* The profile a unit's command runs under: "kiln-confine [--profile-dir=DIR] run NAME --
 * CMD..." as helper_executor_argv() writes it. No such command: *ret_name stays NULL. */
static int read_unit_profile(sd_bus *bus, const char *path, char **ret_dir, char **ret_name, sd_bus_error *error) {
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	int r;

	r = sd_bus_get_property(bus, SYSTEMD_SERVICE, path, SYSTEMD_UNIT_SERVICE, "ExecStart", error, &reply,
				"a(sasbttttuii)");
	if (r < 0)
		return r;
	if ((r = sd_bus_message_enter_container(reply, 'a', "(sasbttttuii)")) < 0)
		return r;
	while ((r = sd_bus_message_enter_container(reply, 'r', "sasbttttuii")) > 0) {
		_cleanup_strv_free_ char **argv = NULL;
		const char *binary, *base;

		if ((r = sd_bus_message_read(reply, "s", &binary)) < 0 ||
		    (r = sd_bus_message_read_strv(reply, &argv)) < 0 ||
		    (r = sd_bus_message_skip(reply, "bttttuii")) < 0 ||
		    (r = sd_bus_message_exit_container(reply)) < 0)
			return r;
		base = strrchr(binary, '/') ? strrchr(binary, '/') + 1 : binary;
		if (!streq(base, "kiln-confine") || strv_length(argv) < 3)
			continue;
		for (size_t i = 1; argv[i]; i++) {
			if (strneq(argv[i], "--profile-dir=", strlen("--profile-dir="))) {
				free(*ret_dir);
				if (!(*ret_dir = strdup(argv[i] + strlen("--profile-dir="))))
					return -ENOMEM;
			} else if (streq(argv[i], "run") && argv[i + 1]) {
				if (!(*ret_name = strdup(argv[i + 1])))
					return -ENOMEM;
				return 0;
			}
		}
	}
	return r;
}

/* Each process of each running executor unit, declared by the profile its kiln-confine
 * command names. The unit's bounding set keeps CAP_SETPCAP for kiln-confine, which drops it
 * before it execs the helper: a process still holding it never went through kiln-confine.
 * Filters: systemd may load its own into the unit; kiln's profile makes at least one. */
static int collect_executor_units(Audit *a, const AuditSources *s, sd_bus *bus) {
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	const char *unit, *path;
	int r;

	r = sd_bus_call_method(bus, SYSTEMD_SERVICE, SYSTEMD_PATH, SYSTEMD_MANAGER, "ListUnitsByPatterns", &error,
			       &reply, "asas", 1, "active", (int) ELEMENTSOF(executor_unit_patterns),
			       executor_unit_patterns[0], executor_unit_patterns[1]);
	if (r < 0)
		return audit_add_error(a, "the executor's units (kiln-helper-*, kiln-kubeadm) cannot be listed: %s",
				       error.message ?: strerror(-r));
	if ((r = sd_bus_message_enter_container(reply, 'a', "(ssssssouso)")) < 0)
		return r;
	while ((r = sd_bus_message_read(reply, "(ssssssouso)", &unit, NULL, NULL, NULL, NULL, NULL, &path, NULL, NULL,
					NULL)) > 0) {
		_cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
		_cleanup_free_ char *cgroup = NULL, *dir = NULL, *profile = NULL;
		_cleanup_free_ pid_t *pids = NULL;
		size_t n = 0;

		if (sd_bus_get_property_string(bus, SYSTEMD_SERVICE, path, SYSTEMD_UNIT_SERVICE, "ControlGroup", &e,
					       &cgroup) < 0 ||
		    read_unit_profile(bus, path, &dir, &profile, &e) < 0) {
			if ((r = audit_add_error(a, "%s: systemd does not report its cgroup and command: %s", unit,
						 e.message ?: "unknown error")) < 0)
				return r;
			continue;
		}
		if (isempty(cgroup))
			continue;  /* it ended since the listing */
		r = cgroup_pids(s->proc_root, cgroup, &pids, &n);
		if (r == -ENOMEM)
			return r;
		for (size_t i = 0; r >= 0 && i < n; i++) {
			AuditEntry *h;
			r = add_helper(a, s->proc_root, pids[i], 0, "kiln-confine", &h);
			if (r < 0)
				return r;
			if (r == 0)
				continue;
			if (asprintf(&h->name, "%s/%s", unit, h->seen.name) < 0)
				return -ENOMEM;
			if (profile && (r = declare_from_profile(a, h, dir ?: s->profile_dir, profile)) < 0)
				return r;
			h->declared.min_filters = 1;
		}
	}
	return r;
}

int audit_collect_node(Audit *a, const AuditSources *s) {
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_free_ pid_t *pids = NULL;
	UnitSandbox unit = {};
	size_t n = 0;
	unsigned supervisor_filters = 0;
	int r;

	r = sd_bus_open_system(&bus);
	if (r < 0)
		return audit_add_error(a, "%s: cannot connect to the system bus: %s", s->unit, strerror(-r));
	r = read_unit(bus, s->unit, &unit, &error);
	if (r < 0) {
		r = audit_add_error(a, "%s: systemd does not report its sandbox: %s", s->unit,
				    error.message ?: strerror(-bus_error_errno(&error, r)));
		goto finish;
	}
	if (unit.main_pid <= 0) {
		r = audit_add_error(a, "%s is not running: nothing of the node's own to audit", s->unit);
		goto finish;
	}

	AuditEntry *e = audit_add(a, AUDIT_SUPERVISOR, unit.main_pid);
	if (!e) {
		r = -ENOMEM;
		goto finish;
	}
	r = proc_status_read(s->proc_root, unit.main_pid, &e->seen);
	if (r < 0) {
		a->n_entries--;
		r = audit_add_error(a, "%s (pid %d): /proc status unreadable: %s", s->unit, (int) unit.main_pid,
				    strerror(-r));
		goto finish;
	}
	supervisor_filters = e->seen.seccomp_filters;
	char supervisor_name[sizeof e->seen.name];
	memcpy(supervisor_name, e->seen.name, sizeof supervisor_name);
	/* A service run as root without User= gets its bounding set as permitted and
	 * effective at execve(): that is what the unit declares it may hold. */
	e->declared = (AuditDeclared) {
		.cap_bounding = unit.bounding,
		.cap_permitted = unit.bounding,
		.cap_effective = unit.bounding,
		.cap_ambient = unit.ambient,
		.no_new_privs = unit.no_new_privs,
		.seccomp = unit.syscall_filter,
		.min_filters = 1,
	};
	e->declared_known = true;
	if (!(e->name = strdup("kiln-supervisor")) || !(e->declared.source = strdup(s->unit))) {
		r = -ENOMEM;
		goto finish;
	}

	if (isempty(unit.control_group)) {
		r = audit_add_error(a, "%s: systemd reports no cgroup for it", s->unit);
		goto finish;
	}
	r = cgroup_pids(s->proc_root, unit.control_group, &pids, &n);
	if (r < 0) {
		r = r == -ENOMEM ? r : audit_add_error(a, "%s: the processes of its cgroup %s cannot be listed: %s",
						       s->unit, unit.control_group, strerror(-r));
		goto finish;
	}
	for (size_t i = 0; i < n; i++) {
		if (pids[i] == unit.main_pid)
			continue;
		AuditEntry *h;
		r = add_helper(a, s->proc_root, pids[i], unit.main_pid, supervisor_name, &h);
		if (r < 0)
			goto finish;
		if (r == 0)
			continue;
		if (!(h->name = strdup(h->seen.name))) {
			r = -ENOMEM;
			goto finish;
		}
		r = declare_from_profile(a, h, s->profile_dir, h->seen.name);
		if (r < 0)
			goto finish;
		/* Filters stack: it inherited its parent's (the supervisor's: the unit's, and
		 * nspawn's in a container) and must show one more, its profile's own. */
		ProcStatus parent;
		if (h->seen.ppid == unit.main_pid)
			h->declared.min_filters = supervisor_filters + 1;
		else if (h->seen.ppid > 0 && proc_status_read(s->proc_root, h->seen.ppid, &parent) >= 0)
			h->declared.min_filters = parent.seccomp_filters + 1;
		else
			h->declared.min_filters = 1;
	}
	r = collect_executor_units(a, s, bus);
finish:
	free(unit.control_group);
	return r;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helper-security.h"
#include "job.h"
#include "log.h"
#include "security-profile.h"
#include "strv.h"

/* A few helpers per program: a list searched by name is enough. */
typedef struct Compiled {
	char *name;
	Confinement *confinement;
} Compiled;

static const char *security_dir = HELPER_SECURITY_DIR;
static Compiled *compiled;
static size_t n_compiled;

void helper_security_set_dir(const char *dir) {
	security_dir = dir ?: HELPER_SECURITY_DIR;
}

const char *helper_security_dir(void) {
	return security_dir;
}

static int load_problem(const char *name, int r, const DiagList *diags, char **ret_error) {
	if (!ret_error)
		return r;
	if (r == -EBADMSG && diags->n > 0) {
		_cleanup_free_ char *line = NULL;
		if (diag_format(&diags->items[0], &line) < 0 ||
		    asprintf(ret_error, "%s%s", line, diags->n > 1 ? " (and more: kiln-confine check)" : "") < 0)
			*ret_error = NULL;
	} else if (asprintf(ret_error, "%s/%s.yaml: %s", security_dir, name, strerror(-r)) < 0)
		*ret_error = NULL;
	return r;
}

int helper_security_get(const char *name, const Confinement **ret, char **ret_error) {
	_cleanup_(diag_list_done) DiagList diags = {};
	_cleanup_(security_profile_freep) SecurityProfile *p = NULL;
	_cleanup_(confinement_freep) Confinement *c = NULL;
	_cleanup_free_ char *why = NULL;
	int r;

	if (ret_error)
		*ret_error = NULL;
	for (size_t i = 0; i < n_compiled; i++)
		if (streq(compiled[i].name, name)) {
			*ret = compiled[i].confinement;
			return 0;
		}

	r = security_profile_load_named(security_dir, name, &p, &diags);
	if (r < 0)
		return load_problem(name, r, &diags, ret_error);
	r = confinement_prepare(p, &c, &why);
	if (r < 0) {
		if (ret_error && asprintf(ret_error, "%s: %s", p->file, why ?: strerror(-r)) < 0)
			*ret_error = NULL;
		return r;
	}

	/* Once per profile and process: what the kernel will be told, from the compiled data. */
	_cleanup_free_ char *caps = NULL;
	r = security_capability_names(confinement_ambient(c), &caps);
	if (r < 0)
		return r;
	log_info("Security profile %s (%s): %zu system calls allowed, others %s; capabilities kept: %s.", name, p->file,
		 confinement_syscalls_allowed(c), confinement_kills(c) ? "kill the helper" : "fail",
		 *caps ? caps : "none");

	Compiled *n = realloc(compiled, (n_compiled + 1) * sizeof(Compiled));
	if (!n)
		return -ENOMEM;
	compiled = n;
	compiled[n_compiled].name = strdup(name);
	if (!compiled[n_compiled].name)
		return -ENOMEM;
	compiled[n_compiled].confinement = TAKE_PTR(c);
	*ret = compiled[n_compiled++].confinement;
	return 0;
}

int helper_job_start(const char *name, const char *const *argv, const SpawnOptions *opts, usec_t timeout,
		     pid_t *ret_pid) {
	_cleanup_free_ char *why = NULL;
	_cleanup_strv_free_ char **executor = NULL;
	const char *child = name;
	const Confinement *c;
	ConfineStep step;
	int r;

	r = helper_security_get(name, &c, &why);
	if (r < 0) {
		if (why)
			log_error("Not starting %s: its security profile cannot be used: %s", argv[0], why);
		else
			log_error_errno(r, "Not starting %s: its security profile %s cannot be used: %m", argv[0], name);
		return r;
	}
	SpawnOptions o = opts ? *opts : (SpawnOptions) {};

	uint64_t missing = helper_missing_capabilities(c);
	if (missing != 0) {
		_cleanup_free_ char *caps = NULL;

		r = helper_executor_argv(name, c, argv, &(const HelperUnit) { .env = o.env, .timeout = timeout }, &executor);
		if (r < 0)
			return log_error_errno(r, "Not starting %s: %m", argv[0]);
		(void) security_capability_names(missing, &caps);
		log_info("%s keeps %s, which this process cannot give: systemd starts it as kiln-helper-%s.service.",
			  argv[0], caps ?: "capabilities", name);
		argv = (const char *const *) executor;
		child = "systemd-run";
		r = helper_security_get(child, &c, &why);
		if (r < 0) {
			log_error("Not starting %s through systemd: the profile of systemd-run cannot be used: %s", name,
				  why ?: strerror(-r));
			return r;
		}
		o.env = NULL;   /* passed to the unit as --setenv= */
	}
	o.confine = c;
	r = job_start_full(argv, &o, ret_pid, &step);
	if (r < 0 && step != _CONFINE_STEP_NONE)
		log_error_errno(r, "%s: confinement step \"%s\" (profile %s) failed: %m", argv[0],
				confine_step_to_string(step), child);
	return r;
}

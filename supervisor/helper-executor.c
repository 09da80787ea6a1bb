/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The privileged half of the supervisor's privilege split. The supervisor's unit keeps no
 * capability that loads modules, turns swap off or writes the network's sysctls
 * (kiln-supervisor.service: no CAP_SYS_MODULE, CAP_SYS_ADMIN, CAP_NET_ADMIN), so a helper
 * whose security profile keeps one of those cannot be its child: it would start without
 * it. systemd starts such a helper instead, as a transient service whose bounding set is
 * the profile's capabilities (plus CAP_SETPCAP, which kiln-confine needs to drop the rest
 * and lock the securebits), running kiln-confine with the same profile: the same
 * harden-then-exec path (confine.h), in a process that never held more than the helper
 * needs. The supervisor's own child is systemd-run, confined by its profile (no
 * capability: the bus trusts uid 0). systemd is the executor: it is already trusted with
 * everything, it is small where it matters (one D-Bus call per helper), and the
 * transient unit is visible to the operator (systemctl, the journal) while it runs. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/capability.h>
#include <sys/prctl.h>

#include "helper-security.h"
#include "strv.h"

/* A file-system constant, not a setting: the image installs kiln-confine there
 * (imagegen/step-tree.c), and the transient unit runs in the host's file system. */
#define HELPER_EXECUTOR_CONFINE "/usr/bin/kiln-confine"

uint64_t helper_missing_capabilities(const Confinement *c) {
	uint64_t missing = 0, want = confinement_bounding(c) | confinement_ambient(c);

	for (int cap = 0; cap < 64; cap++)
		if ((want & (UINT64_C(1) << cap)) && prctl(PR_CAPBSET_READ, (unsigned long) cap, 0, 0, 0) != 1)
			missing |= UINT64_C(1) << cap;
	return missing;
}

static int unit_capabilities(const Confinement *c, char **ret) {
	_cleanup_free_ char *names = NULL;
	int r = security_capability_names(confinement_bounding(c) | confinement_ambient(c) |
						  (UINT64_C(1) << CAP_SETPCAP), &names);
	if (r < 0)
		return r;
	/* libcap's names are lower case; systemd's unit settings spell them upper case. */
	for (char *p = names; *p; p++)
		if (*p >= 'a' && *p <= 'z')
			*p = (char) (*p - 'a' + 'A');
	*ret = TAKE_PTR(names);
	return 0;
}

int helper_executor_argv(const char *name, const Confinement *c, const char *const *argv, const HelperUnit *u,
			 char ***ret) {
	static const HelperUnit defaults = {};
	_cleanup_strv_free_ char **a = NULL;
	_cleanup_free_ char *caps = NULL;
	int r;

	if (!name || !c || !argv || !argv[0] || !ret)
		return -EINVAL;
	if (!u)
		u = &defaults;
	if ((r = unit_capabilities(c, &caps)) < 0)
		return r;
	r = strv_extend_many(&a, u->systemd_run ?: "systemd-run", "--quiet", "--pipe", "--wait", "--collect",
			     "--service-type=exec", NULL);
	if (r >= 0)
		r = u->unit ? strv_extendf(&a, "--unit=%s", u->unit) : strv_extendf(&a, "--unit=kiln-helper-%s", name);
	if (r >= 0)
		r = u->description ? strv_extendf(&a, "--description=%s", u->description)
				   : strv_extendf(&a, "--description=kiln: %s, for kiln-supervisor (profile %s)", argv[0],
						  name);
	if (r >= 0)
		r = strv_extendf(&a, "--property=CapabilityBoundingSet=%s", caps);
	/* systemd stops the unit at the caller's deadline: killing systemd-run would not. */
	if (r >= 0 && u->timeout != USEC_INFINITY && u->timeout > 0)
		r = strv_extendf(&a, "--property=RuntimeMaxSec=%llu",
				 (unsigned long long) ((u->timeout + USEC_PER_SEC - 1) / USEC_PER_SEC));
	for (const char *const *p = u->properties; r >= 0 && p && *p; p++)
		r = strv_extendf(&a, "--property=%s", *p);
	for (const char *const *e = u->env; r >= 0 && e && *e; e++)
		r = strv_extendf(&a, "--setenv=%s", *e);
	if (r >= 0)
		r = strv_extend_many(&a, "--", HELPER_EXECUTOR_CONFINE, NULL);
	if (r >= 0)
		r = strv_extendf(&a, "--profile-dir=%s", helper_security_dir());
	if (r >= 0)
		r = strv_extend_many(&a, "run", name, "--", NULL);
	for (const char *const *p = argv; r >= 0 && *p; p++)
		r = strv_extend(&a, *p);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(a);
	return 0;
}

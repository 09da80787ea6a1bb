/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Part of the cluster phase's edge: kubeadm's lines are logged here, once each. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster-kubeadm.h"
#include "helper-security.h"
#include "strv.h"
#include "log.h"

struct ClusterKubeadm {
	ClusterChild *child;
	ClusterKubeadmVerb verb;
	char *final;                    /* the last "error: ..." line */
	char *lines[CLUSTER_KUBEADM_ERRORS_MAX];  /* the other error lines, the latest last */
	size_t n_lines;
	char *errors;
	ClusterKubeadmDoneFn done;
	void *userdata;
};

static const char *const verb_names[_CLUSTER_KUBEADM_VERB_MAX] = {
	[CLUSTER_KUBEADM_INIT] = "init",
	[CLUSTER_KUBEADM_RESET] = "reset",
};

const char *cluster_kubeadm_verb_to_string(ClusterKubeadmVerb v) {
	return v >= 0 && v < _CLUSTER_KUBEADM_VERB_MAX ? verb_names[v] : NULL;
}

bool cluster_kubeadm_line_is_hint(const char *line) {
	return strstr(line, "To see the stack trace of this error execute with --v=5") != NULL;
}

/* klog's header: a severity letter, then "mmdd hh:mm:ss.uuuuuu". */
static bool klog_line(const char *line, char severity) {
	return line[0] == severity && isdigit((unsigned char) line[1]) && isdigit((unsigned char) line[2]) &&
	       isdigit((unsigned char) line[3]) && isdigit((unsigned char) line[4]) && line[5] == ' ';
}

int cluster_kubeadm_line_priority(ClusterStream stream, const char *line) {
	const char *l = line + strspn(line, " \t");

	if (strneq(l, "error:", 6) || strneq(l, "[ERROR ", 7) || klog_line(l, 'E') || klog_line(l, 'F'))
		return LOG_ERR;
	if (strneq(l, "[WARNING ", 9) || klog_line(l, 'W'))
		return LOG_WARNING;
	if (stream == CLUSTER_STDOUT || klog_line(l, 'I') || cluster_kubeadm_line_is_hint(l))
		return LOG_INFO;
	/* Anything else on stderr ("[preflight] Some fatal errors occurred:") is part of a
	 * complaint: worth a look, not an error of its own. */
	return LOG_NOTICE;
}

static void keep_error(ClusterKubeadm *k, const char *line) {
	const char *l = line + strspn(line, " \t");
	char *c;

	if (strneq(l, "error:", 6)) {
		c = strdup(l + 6 + strspn(l + 6, " "));
		if (c) {
			free(k->final);
			k->final = c;
		}
		return;
	}
	c = strdup(l);
	if (!c)
		return;
	if (k->n_lines == CLUSTER_KUBEADM_ERRORS_MAX) {
		free(k->lines[0]);
		memmove(k->lines, k->lines + 1, (CLUSTER_KUBEADM_ERRORS_MAX - 1) * sizeof k->lines[0]);
		k->n_lines--;
	}
	k->lines[k->n_lines++] = c;
}

static void on_line(ClusterChild *c, ClusterStream stream, const char *line, void *userdata) {
	ClusterKubeadm *k = userdata;
	char command[32];
	int priority = cluster_kubeadm_line_priority(stream, line);

	if (isempty(line))
		return;
	snprintf(command, sizeof command, "kubeadm-%s", verb_names[k->verb]);
	log_struct(priority, 0,
		   LOG_FIELDS({ "KILN_PHASE", "cluster" }, { "KILN_COMMAND", command },
			      { "KILN_STREAM", stream == CLUSTER_STDOUT ? "stdout" : "stderr" }),
		   "kubeadm %s: %s", verb_names[k->verb], line);
	if (priority == LOG_ERR && !cluster_kubeadm_line_is_hint(line))
		keep_error(k, line);
}

static void on_done(ClusterChild *c, int status, void *userdata) {
	ClusterKubeadm *k = userdata;
	ClusterKubeadmDoneFn done = TAKE_PTR(k->done);

	if (done)
		done(k, status, k->userdata);
}

/* kubeadm runs as a transient service of systemd's, not in the supervisor's sandbox: it
 * creates cgroups (its SystemVerification check makes a test cgroup, which the
 * supervisor's ProtectControlGroups= forbids), writes /etc/kubernetes and unmounts below
 * /var/lib/kubelet, all of which must happen on the host, not in a private mount
 * namespace, and with capabilities the supervisor does not keep. It is started like every
 * other such helper (helper-executor.c): the unit's bounding set is its security
 * profile's, and kiln-confine applies that profile before it execs kubeadm. One profile
 * per verb (profiles/security/kubeadm-init.yaml, kubeadm-reset.yaml): init's writes are
 * restricted by Landlock, reset's cannot be, since Landlock forbids the unmounts reset
 * exists for. systemd-run --pipe hands kubeadm's output back to us as if it were our
 * child; one unit name for every verb, so a reset can never run while an init still does
 * (after a restart of the supervisor the second systemd-run fails, and the phase
 * retries). RuntimeMaxSec= makes systemd stop the whole unit at the deadline, whatever
 * becomes of systemd-run. */
#define CLUSTER_KUBEADM_UNIT "kiln-kubeadm"

static const char *const profile_names[_CLUSTER_KUBEADM_VERB_MAX] = {
	[CLUSTER_KUBEADM_INIT] = "kubeadm-init",
	[CLUSTER_KUBEADM_RESET] = "kubeadm-reset",
};

/* The unit's sandbox, besides the profile's bounding set: what systemd can take away
 * without breaking init or reset, on the host's file system as uid 0. */
static const char *const kubeadm_sandbox[] = {
	"NoNewPrivileges=yes",
	"RestrictSUIDSGID=yes",
	"RestrictRealtime=yes",
	"RestrictNamespaces=yes",
	"LockPersonality=yes",
	"SystemCallArchitectures=native",
	"ProtectHome=read-only",
	"ProtectKernelLogs=yes",
	NULL
};

static int transient_argv(const ClusterKubeadmOptions *opts, const char *const *kubeadm_argv, char ***ret) {
	const char *profile = profile_names[opts->verb];
	_cleanup_free_ char *why = NULL;
	const Confinement *c;
	int r = helper_security_get(profile, &c, &why);
	if (r < 0) {
		log_error("Not starting kubeadm %s: its security profile %s cannot be used: %s", verb_names[opts->verb],
			  profile, why ?: strerror(-r));
		return r;
	}
	HelperUnit u = {
		.unit = CLUSTER_KUBEADM_UNIT,
		.description = "kiln: kubeadm, for the cluster phase of kiln-supervisor",
		.properties = kubeadm_sandbox,
		.systemd_run = opts->systemd_run,
		.timeout = opts->timeout,
	};
	return helper_executor_argv(profile, c, kubeadm_argv, &u, ret);
}

int cluster_kubeadm_start(sd_event *e, const ClusterKubeadmOptions *opts, ClusterKubeadm **ret) {
	_cleanup_(cluster_kubeadm_freep) ClusterKubeadm *k = NULL;
	_cleanup_strv_free_ char **argv = NULL;
	const char *init[] = { opts ? opts->kubeadm : NULL, "init", "--config", opts ? opts->config : NULL,
			       "--skip-token-print", NULL };
	const char *reset[] = { opts ? opts->kubeadm : NULL, "reset", "--force", NULL };
	int r;

	if (!e || !opts || !opts->kubeadm || !opts->done || !ret || opts->verb < 0 ||
	    opts->verb >= _CLUSTER_KUBEADM_VERB_MAX || (opts->verb == CLUSTER_KUBEADM_INIT && isempty(opts->config)))
		return -EINVAL;
	k = calloc(1, sizeof *k);
	if (!k)
		return -ENOMEM;
	k->verb = opts->verb;
	k->done = opts->done;
	k->userdata = opts->userdata;
	r = transient_argv(opts, opts->verb == CLUSTER_KUBEADM_INIT ? init : reset, &argv);
	if (r < 0)
		return r;
	ClusterChildOptions o = {
		/* systemd stops the unit at the deadline; our own bound only covers systemd-run
		 * itself hanging after that. */
		.timeout = usec_add(opts->timeout, 30 * USEC_PER_SEC),
		.security = "systemd-run",
		.on_line = on_line,
		.on_done = on_done,
		.userdata = k,
	};
	r = cluster_child_start(e, (const char *const *) argv, &o, &k->child);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(k);
	return 0;
}

ClusterKubeadm *cluster_kubeadm_free(ClusterKubeadm *k) {
	if (!k)
		return NULL;
	cluster_child_free(k->child);
	free(k->final);
	for (size_t i = 0; i < k->n_lines; i++)
		free(k->lines[i]);
	free(k->errors);
	free(k);
	return NULL;
}

const char *cluster_kubeadm_errors(ClusterKubeadm *k) {
	if (!k || (!k->final && k->n_lines == 0))
		return NULL;
	free(k->errors);
	k->errors = NULL;
	for (size_t i = 0; i <= k->n_lines; i++) {
		/* The final error first: it says which phase failed. */
		const char *item = i == 0 ? k->final : k->lines[i - 1];
		char *j;
		if (!item)
			continue;
		if (asprintf(&j, "%s%s%s", k->errors ?: "", k->errors ? "; " : "", item) < 0)
			return k->final ?: k->lines[0];
		free(k->errors);
		k->errors = j;
	}
	return k->errors;
}

pid_t cluster_kubeadm_pid(ClusterKubeadm *k) {
	return k ? cluster_child_pid(k->child) : 0;
}

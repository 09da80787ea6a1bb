/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* kiln's phases for the runner: the table, and the phases that do not talk to systemd
 * (those are in node-watch.c). Part of the phase runner's edge: problems found on the
 * node are logged here, once, with KILN_PHASE= and KILN_CHECK=. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "addons-phase.h"
#include "cluster-phase.h"
#include "config.h"
#include "containerd-images.h"
#include "diag.h"
#include "fd-util.h"
#include "fileio.h"
#include "identity.h"
#include "log.h"
#include "node-phases.h"
#include "preflight.h"
#include "runtime.h"
#include "seeded-images.h"
#include "strv.h"

int node_new(sd_event *e, SystemdClient *systemd, const char *root, Node **ret) {
	_cleanup_(node_freep) Node *n = NULL;

	if (!e || isempty(root) || !ret)
		return -EINVAL;
	n = calloc(1, sizeof *n);
	if (!n)
		return -ENOMEM;
	n->event = sd_event_ref(e);
	n->systemd = systemd;
	n->console_fd = STDOUT_FILENO;
	n->cmdline_path = "/proc/cmdline";
	n->root = strdup(root);
	if (!n->root)
		return -ENOMEM;
	*ret = TAKE_PTR(n);
	return 0;
}

Node *node_free(Node *n) {
	if (!n)
		return NULL;
	preflight_run_free(n->preflight);
	sd_event_source_disable_unref(n->cri_poll);
	for (size_t i = 0; i < n->n_watched; i++)
		sd_event_source_disable_unref(n->watched[i].retry);
	addons_free(n->addons);
	cluster_free(n->cluster);
	free(n->cluster_summary);
	audit_watch_free(n->audit);
	free(n->audit_summary);
	sd_event_unref(n->event);
	profile_free(n->profile);
	image_info_free(n->image);
	strv_free(n->ignore_checks);
	free(n->root);
	free(n);
	return NULL;
}

static int node_path(Node *n, const char *rel, char **ret) {
	size_t len = strlen(n->root);

	while (len > 0 && n->root[len - 1] == '/')
		len--;
	return asprintf(ret, "%.*s%s", (int) len, n->root, rel) < 0 ? -ENOMEM : 0;
}

int node_load_image(Node *n) {
	_cleanup_(image_info_freep) ImageInfo *image = NULL;
	_cleanup_(profile_freep) Profile *profile = NULL;
	_cleanup_(diag_list_done) DiagList diags = {};
	_cleanup_free_ char *ipath = NULL, *ppath = NULL;
	int r;

	if (n->image && n->profile)
		return 0;
	if ((r = node_path(n, IMAGE_INFO_PATH, &ipath)) < 0 || (r = node_path(n, IMAGE_PROFILE_PATH, &ppath)) < 0)
		return r;
	r = image_info_load(ipath, &image);
	if (r < 0)
		return r;
	r = profile_load_file(ppath, &profile, &diags);
	/* The only place the profile's problems can be told; the phase says the rest. */
	for (size_t i = 0; i < diags.n; i++) {
		_cleanup_free_ char *line = NULL;
		if (diag_format(&diags.items[i], &line) >= 0)
			log_error("%s", line);
	}
	if (r < 0)
		return r;
	n->image = TAKE_PTR(image);
	n->profile = TAKE_PTR(profile);
	return 0;
}

/* ---- preflight ---- */

/* "a" -> "a, b": lists of names for one-line messages. */
static int join_append(char **list, const char *item) {
	char *j;

	if (asprintf(&j, "%s%s%s", *list ?: "", *list ? ", " : "", item) < 0)
		return -ENOMEM;
	free(*list);
	*list = j;
	return 0;
}

const ProfileMachine *node_machine(Node *n) {
	_cleanup_free_ MacAddress *macs = NULL;
	_cleanup_close_ int fd = -EBADF;
	size_t n_macs = 0;

	if (n->profile->n_nodes == 0)
		return NULL;
	fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || identity_read_macs(fd, &macs, &n_macs) < 0)
		return NULL;
	for (size_t i = 0; i < n_macs; i++)
		for (size_t j = 0; j < n->profile->n_nodes; j++)
			if (memcmp(&macs[i], &n->profile->nodes[j].mac, sizeof macs[i]) == 0)
				return &n->profile->nodes[j];
	return NULL;
}

/* Swap units are masked in /run: the check runs again at every boot anyway. */
static int preflight_mask_unit(const char *unit, void *userdata) {
	Node *n = userdata;
	return n->systemd ? systemd_unit_mask_runtime(n->systemd, unit) : -ENOTCONN;
}

/* Swap goes off through systemd: see PreflightContext.stop_unit. */
static int preflight_stop_unit(const char *unit, void *userdata) {
	Node *n = userdata;
	return n->systemd ? systemd_unit_queue_stop(n->systemd, unit) : -ENOTCONN;
}

/* The checks' end, from the loop: each result logged once, then the phase ends. */
static void on_preflight_done(int result, PreflightReport *reports, size_t n_reports, void *userdata) {
	Node *n = userdata;
	PhaseRunner *r = n->runner;
	_cleanup_free_ char *failed = NULL, *detail = NULL;
	size_t count[_PREFLIGHT_RESULT_MAX] = {}, ignored = 0;
	int k = result;

	if (k < 0) {
		(void) phase_failed(r, k, "the checks could not run: %s", strerror(-k));
		return;
	}

	for (size_t i = 0; i < n_reports; i++) {
		PreflightReport *p = &reports[i];
		static const int level[_PREFLIGHT_RESULT_MAX] = {
			[PREFLIGHT_PASS] = LOG_DEBUG, [PREFLIGHT_FIXED] = LOG_NOTICE,
			[PREFLIGHT_WARN] = LOG_WARNING, [PREFLIGHT_FAIL] = LOG_ERR,
		};
		/* The operator's escape hatch (kubeadm's --ignore-preflight-errors): still
		 * logged, as a warning, and counted. */
		if (p->result == PREFLIGHT_FAIL && strv_contains(n->ignore_checks, p->name)) {
			p->result = PREFLIGHT_WARN;
			ignored++;
			k--;
			log_struct(LOG_WARNING, 0, LOG_FIELDS({ "KILN_PHASE", "preflight" }, { "KILN_CHECK", p->name }),
				   "Check %s failed, ignored as asked (--ignore-preflight).", p->name);
		}
		count[p->result]++;
		log_struct(level[p->result], 0,
			   LOG_FIELDS({ "KILN_PHASE", "preflight" }, { "KILN_CHECK", p->name },
				      { "KILN_CHECK_RESULT", preflight_result_to_string(p->result) },
				      { "KILN_HINT", p->hint }),
			   "Check %s: %s: %s%s%s", p->name, preflight_result_to_string(p->result),
			   p->message ?: "", p->hint && p->result == PREFLIGHT_FAIL ? " Hint: " : "",
			   p->hint && p->result == PREFLIGHT_FAIL ? p->hint : "");
		if (p->result == PREFLIGHT_FAIL)
			(void) join_append(&failed, p->name);
	}
	preflight_reports_free(reports, n_reports);

	if (k > 0) {
		(void) phase_failed(r, 0, "failed checks: %s", failed ?: "?");
		return;
	}
	if (asprintf(&detail, "%zu passed, %zu fixed, %zu warnings, %zu ignored", count[PREFLIGHT_PASS],
		     count[PREFLIGHT_FIXED], count[PREFLIGHT_WARN] - ignored, ignored) < 0)
		detail = NULL;   /* asprintf() leaves it undefined; the detail is optional */
	(void) phase_done(r, detail);
}

/* Starts the checks and returns: modprobe and the wait for swap to go off take seconds,
 * and run as children and timers on the loop (preflight_start()); the phase ends in
 * on_preflight_done(). */
static int phase_preflight(PhaseRunner *r, void *userdata) {
	Node *n = userdata;
	int k;

	k = node_load_image(n);
	if (k < 0)
		return phase_failed(r, k, "cannot load the image's files (%s, %s): %s",
				    IMAGE_INFO_PATH, IMAGE_PROFILE_PATH, strerror(-k));

	/* The checks look at this machine; --root only moves where the image's files are. */
	PreflightContext ctx = {
		.root = "/",
		.profile = n->profile,
		.build_epoch = n->image->build_epoch,
		.fix = true,
		.kubernetes = n->image->kubernetes_present,
		.machine = node_machine(n),
		.mask_unit = preflight_mask_unit,
		.stop_unit = preflight_stop_unit,
		.userdata = n,
	};
	/* A retry: the earlier run has ended (a phase runs once at a time). */
	n->preflight = preflight_run_free(n->preflight);
	k = preflight_start(n->event, &ctx, on_preflight_done, n, &n->preflight);
	if (k < 0)
		return phase_failed(r, k, "the checks could not run: %s", strerror(-k));
	return 0;
}

/* ---- images ---- */

/* > 0 with a detail when every image image.json lists is in containerd's k8s.io namespace
 * at its digest and pinned; 0 with the problems in *ret_problem; -errno when containerd
 * could not be asked. Reads containerd's image records (metadata only, one gRPC call):
 * the phase never pulls, it reports. */
static int images_present(Node *n, char **ret_detail, char **ret_problem) {
	_cleanup_free_ SeededImageResult *results = NULL;
	ContainerdImage *present = NULL;
	size_t n_present = 0;
	int k, wrong;

	k = node_load_image(n);
	if (k < 0)
		return k;
	if (n->image->n_images == 0)
		return asprintf(ret_detail, "0 expected") < 0 ? -ENOMEM : 1;

	k = containerd_list_images(RUNTIME_CONTAINERD_SOCKET, CONTAINERD_K8S_NAMESPACE, RUNTIME_CRI_TIMEOUT_USEC,
				   &present, &n_present);
	if (k < 0)
		return k;
	wrong = seeded_images_check(n->image->images, n->image->n_images, present, n_present, &results);
	if (wrong >= 0)
		k = seeded_images_describe(results, n->image->n_images, wrong > 0 ? ret_problem : ret_detail);
	containerd_images_free(present, n_present);
	if (wrong < 0)
		return wrong;
	if (k < 0)
		return k;
	return wrong == 0;
}

static int check_images(PhaseRunner *r, void *userdata, char **ret_detail) {
	_cleanup_free_ char *problem = NULL;
	return images_present(userdata, ret_detail, &problem);
}

static int phase_images(PhaseRunner *r, void *userdata) {
	_cleanup_free_ char *detail = NULL, *problem = NULL;
	int k = images_present(userdata, &detail, &problem);

	if (k > 0)
		return phase_done(r, detail);
	if (k == 0)
		return phase_failed(r, 0, "%s", problem);
	return phase_failed(r, k, "cannot list the images in containerd's %s namespace: %s", CONTAINERD_K8S_NAMESPACE,
			    strerror(-k));
}

/* ---- ready ---- */

/* One write(2) is one record of the kernel log (journald reads the stream by lines). */
static int console_write(int fd, const char *line) {
	size_t n = strlen(line);
	ssize_t w = write(fd, line, n);

	if (w < 0)
		return -errno;
	return (size_t) w == n ? 0 : -EIO;
}

int node_announce_booted(int fd, const char *cmdline_path) {
	_cleanup_free_ char *cmdline = NULL, *image = NULL, *line = NULL;

	/* No kiln.image= (a test machine, an old boot entry): the line still says we booted. */
	if (read_full_file(cmdline_path, &cmdline, NULL) < 0 || cmdline_get_value(cmdline, "kiln.image", &image) < 0)
		image = NULL;
	if (asprintf(&line, "<2>KILN-BOOTED %s %s\n", KILN_VERSION, image ?: "unknown") < 0)
		return -ENOMEM;
	return console_write(fd, line);
}

/* The cluster as the cluster phase last saw it, on the console next to KILN-BOOTED: what
 * an operator at the console (or a script reading it) wants to know first. */
int node_announce_cluster(Node *n) {
	const ClusterHealth *h = cluster_health(n->cluster);
	_cleanup_free_ char *line = NULL;

	if (!h || h->checked == 0)
		return 0;
	if (asprintf(&line, "<2>KILN-NODE node=%s ready=%s kubernetes=%s api=%s system-pods=%zu/%zu\n",
		     h->node_name ?: "unknown", h->node_ready > 0 ? "yes" : h->node_ready == 0 ? "no" : "unknown",
		     n->image && n->image->kubernetes_version ? n->image->kubernetes_version : "unknown",
		     h->api > 0 ? "ok" : h->api == 0 ? "failing" : "unknown",
		     h->pods_known ? h->n_pods_total - h->n_pods : 0, h->pods_known ? h->n_pods_total : 0) < 0)
		return -ENOMEM;
	return console_write(n->console_fd, line);
}

/* How long this process took to READY=1, and how much of it was containerd's: what the
 * supervisor itself costs a boot (bench/supervisor.sh reads these fields). */
static void node_log_ready_time(const Node *n) {
	char ready[32], wait[32];

	if (n->process_started == 0)
		return;
	usec_t total = now(CLOCK_MONOTONIC) - n->process_started, waited = MIN(n->containerd_wait, total);
	snprintf(ready, sizeof ready, "%llu", (unsigned long long) total);
	snprintf(wait, sizeof wait, "%llu", (unsigned long long) waited);
	log_struct(LOG_INFO, 0,
		   LOG_FIELDS({ "KILN_PHASE", "ready" }, { "KILN_READY_USEC", ready }, { "KILN_CONTAINERD_WAIT_USEC", wait }),
		   "Ready %.1f ms after the process started: %.1f ms waiting for containerd, %.1f ms the supervisor's own.",
		   total / 1000.0, waited / 1000.0, (total - waited) / 1000.0);
}

static int phase_ready(PhaseRunner *r, void *userdata) {
	Node *n = userdata;
	const PhaseState *cluster = node_state_find(phase_runner_state(r), "cluster");
	const PhaseState *self = phase_runner_running(r);
	const char *detail = cluster && cluster->status == PHASE_SKIPPED ? "Kubernetes not installed" : "cluster up";
	int k;

	/* Everything before this phase has just been re-checked by the runner. */
	k = sd_notifyf(false, "READY=1\nSTATUS=Ready (%s)", detail);
	if (k < 0)
		log_warning_errno(k, "Failed to notify systemd of readiness, ignoring: %m");
	node_log_ready_time(n);

	/* Once per boot, not at every restart of the supervisor in it. */
	if (self && !sd_id128_equal(self->boot_id, phase_runner_boot_id(r))) {
		k = node_announce_booted(n->console_fd, n->cmdline_path);
		if (k >= 0 && n->cluster)
			k = node_announce_cluster(n);
		if (k < 0)
			log_struct(LOG_WARNING, k, LOG_FIELDS({ "KILN_PHASE", "ready" }),
				   "Failed to write KILN-BOOTED to standard output (the kernel log), ignoring: %m");
	}
	return phase_done(r, detail);
}

const Phase node_phases[] = {
	{ "preflight", PHASE_SCOPE_BOOT,    false, phase_preflight,    NULL              },
	{ "runtime",   PHASE_SCOPE_BOOT,    false, node_phase_runtime, node_check_runtime },
	{ "images",    PHASE_SCOPE_NODE,    false, phase_images,       check_images      },
	{ "cluster",   PHASE_SCOPE_BOOT,    false, node_phase_cluster, node_check_cluster },
	{ "addons",    PHASE_SCOPE_BOOT,    false, node_phase_addons,  node_check_addons },
	{ "ready",     PHASE_SCOPE_PROCESS, true,  phase_ready,        NULL              },
	{ "watch",     PHASE_SCOPE_PROCESS, false, node_phase_watch,   NULL              },
};
const size_t node_phases_n = ELEMENTSOF(node_phases);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* kiln-supervisor: bring the node up unattended and keep it healthy. Everything happens on
 * one sd-event loop: the phases (phases.c, node-phases.c), systemd's job and unit signals
 * on the bus, the status socket, the watchdog pings and the stop signals. */
#include <getopt.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>

#include "addons-phase.h"
#include "cluster-phase.h"
#include "config.h"
#include "json-util.h"
#include "log.h"
#include "parse-util.h"
#include "node-phases.h"
#include "phases.h"
#include "state.h"
#include "status-client.h"
#include "status-server.h"
#include "strv.h"
#include "systemd-client.h"
#include "verbs.h"

static const char *arg_state_dir = KILN_STATE_DIR;
static const char *arg_root = "/";
static char **arg_ignore_checks = NULL;
static usec_t arg_addon_timeout = 0;
static usec_t arg_audit_interval = 0;

static int help(void) {
	printf("%s [OPTIONS...]\n"
	       "\n"
	       "Bring this node up unattended: preflight, container runtime, images, cluster,\n"
	       "addons; then watch the stack and repair what breaks. Started by systemd as\n"
	       "kiln-supervisor.service.\n"
	       "\n"
	       "Options:\n"
	       "  -h --help             Show this help\n"
	       "     --version          Show the version\n"
	       "     --state-dir=DIR    Keep the phase state in DIR (default: %s)\n"
	       "     --root=DIR         Read the image's profile and image.json below DIR\n"
	       "                        (default: /)\n"
	       "     --ignore-preflight=CHECK[,CHECK...]\n"
	       "                        Only warn when these preflight checks fail\n"
	       "     --addon-timeout=DURATION\n"
	       "                        Give each addon this long to become available\n"
	       "                        (\"90s\", \"15m\"; default: %llum)\n"
	       "     --audit-interval=DURATION\n"
	       "                        Run kilnctl audit this often once ready\n"
	       "                        (default: %llum)\n"
	       "\n"
	       "See kiln-supervisor(8).\n",
	       program_invocation_short_name, KILN_STATE_DIR, (unsigned long long) (ADDONS_WAIT_USEC / USEC_PER_MINUTE),
	       (unsigned long long) (AUDIT_WATCH_INTERVAL_USEC / USEC_PER_MINUTE));
	return 0;
}

static int parse_argv(int argc, char **argv) {
	enum { ARG_VERSION = 0x100, ARG_STATE_DIR, ARG_ROOT, ARG_IGNORE_PREFLIGHT, ARG_ADDON_TIMEOUT,
	       ARG_AUDIT_INTERVAL };
	static const struct option options[] = {
		{ "help",      no_argument,       NULL, 'h'           },
		{ "version",   no_argument,       NULL, ARG_VERSION   },
		{ "state-dir", required_argument, NULL, ARG_STATE_DIR },
		{ "root",      required_argument, NULL, ARG_ROOT      },
		{ "ignore-preflight", required_argument, NULL, ARG_IGNORE_PREFLIGHT },
		{ "addon-timeout", required_argument, NULL, ARG_ADDON_TIMEOUT },
		{ "audit-interval", required_argument, NULL, ARG_AUDIT_INTERVAL },
		{}
	};
	int c;

	while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
		switch (c) {
		case 'h':
			help();
			return 0;
		case ARG_VERSION:
			printf("kiln-supervisor %s\n", KILN_VERSION);
			return 0;
		case ARG_STATE_DIR:
		case ARG_ROOT:
			if (isempty(optarg)) {
				log_error("--%s= needs a directory.", c == ARG_ROOT ? "root" : "state-dir");
				return -EINVAL;
			}
			*(c == ARG_ROOT ? &arg_root : &arg_state_dir) = optarg;
			break;
		case ARG_IGNORE_PREFLIGHT: {
			char *save = NULL;
			for (char *w = strtok_r(optarg, ",", &save); w; w = strtok_r(NULL, ",", &save))
				if (strv_extend(&arg_ignore_checks, w) < 0)
					return log_oom();
			break;
		}
		case ARG_ADDON_TIMEOUT: {
			uint64_t sec = 0;
			if (parse_duration(optarg, &sec) < 0 || sec == 0 || sec > 24 * 3600) {
				log_error("--addon-timeout= needs a duration from 1s to 1d (\"90s\", \"15m\"), not \"%s\".", optarg);
				return -EINVAL;
			}
			arg_addon_timeout = (usec_t) sec * USEC_PER_SEC;
			break;
		}
		case ARG_AUDIT_INTERVAL: {
			uint64_t sec = 0;
			if (parse_duration(optarg, &sec) < 0 || sec == 0 || sec > 24 * 3600) {
				log_error("--audit-interval= needs a duration from 1s to 1d (\"30s\", \"5m\"), not \"%s\".", optarg);
				return -EINVAL;
			}
			arg_audit_interval = (usec_t) sec * USEC_PER_SEC;
			break;
		}
		case '?':
			return -EINVAL;
		default:
			abort();
		}
	if (optind < argc) {
		log_error("This program takes no positional arguments.");
		return -EINVAL;
	}
	return 1;
}

typedef struct Manager {
	sd_event *event;
	sd_bus *bus;
	SystemdClient *systemd;
	Node *node;
	PhaseRunner *runner;
	StatusServer *status;
} Manager;

static void manager_done(Manager *m) {
	/* Users before what they use: the runner's phases call into node and client. */
	m->status = status_server_free(m->status);
	m->runner = phase_runner_free(m->runner);
	m->node = node_free(m->node);
	m->systemd = systemd_client_free(m->systemd);
	m->bus = sd_bus_flush_close_unref(m->bus);
	m->event = sd_event_unref(m->event);
}

static int on_stop_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
	Manager *m = userdata;

	log_info("Received SIG%s, stopping.", sigabbrev_np((int) si->ssi_signo) ?: "?");
	(void) sd_notify(false, "STOPPING=1\nSTATUS=Stopping.");
	return sd_event_exit(m->event, 0);
}

static void on_phase_change(PhaseRunner *r, const char *status_text, void *userdata) {
	if (status_text)
		(void) sd_notifyf(false, "STATUS=%s", status_text);
}

static int build_status(void *userdata, char **ret) {
	Manager *m = userdata;
	_cleanup_json_ json_t *cluster = cluster_status_json(m->node->cluster), *addons = addons_status_json(m->node->addons);
	return status_document(m->runner, cluster, addons, now(CLOCK_REALTIME), ret);
}

/* The system bus, or PID 1's private socket when dbus-daemon is not (yet) there: systemd
 * answers on both, and the supervisor must not depend on more than it needs. */
static int bus_connect(sd_bus **ret) {
	sd_bus *bus = NULL;
	int r;

	r = sd_bus_open_system(ret);
	if (r >= 0)
		return r;
	log_warning_errno(r, "Cannot connect to the system bus, trying systemd's private socket: %m");
	if ((r = sd_bus_new(&bus)) < 0)
		return r;
	if ((r = sd_bus_set_address(bus, "unix:path=/run/systemd/private")) < 0 ||
	    (r = sd_bus_start(bus)) < 0) {
		sd_bus_unref(bus);
		return r;
	}
	*ret = bus;
	return 0;
}

/* Group "kiln" may read the status; without it, root only. */
static gid_t status_group(void) {
	struct group *g = getgrnam("kiln");
	return g ? g->gr_gid : 0;
}

static int manager_load(Manager *m) {
	const char *names[node_phases_n];
	_cleanup_free_ char *state_path = NULL;
	NodeState *state = NULL;
	StateOrigin origin;
	sd_id128_t boot;
	int r;

	for (size_t i = 0; i < node_phases_n; i++)
		names[i] = node_phases[i].name;
	if (asprintf(&state_path, "%s/%s", arg_state_dir, NODE_STATE_FILE) < 0)
		return log_oom();
	r = node_state_load(state_path, names, node_phases_n, &state, &origin);
	if (r < 0)
		return log_error_errno(r, "Failed to load the phase state %s: %m", state_path);
	if (origin == STATE_CORRUPT)
		log_warning("The phase state %s was empty or corrupt; moved it aside as %s.corrupt-*, "
			    "re-deriving the phases from the system.", state_path, state_path);
	else if (origin == STATE_MISSING)
		log_info("No phase state in %s yet; deriving the phases from the system.", state_path);

	r = sd_id128_get_boot(&boot);
	if (r < 0) {
		node_state_free(state);
		return log_error_errno(r, "Failed to read the boot ID: %m");
	}
	PhaseRunnerOptions opts = {
		.state_path = state_path,
		.boot_id = boot,
		.on_change = on_phase_change,
		.userdata = m->node,
	};
	r = phase_runner_new(m->event, node_phases, node_phases_n, state, origin, &opts, &m->runner);
	if (r < 0)
		return log_error_errno(r, "Failed to set up the phases: %m");
	m->node->runner = m->runner;
	return 0;
}

static int run(int argc, char **argv) {
	_cleanup_(manager_done) Manager m = {};
	usec_t started = now(CLOCK_MONOTONIC);
	int r;

	log_setup();
	r = parse_argv(argc, argv);
	if (r <= 0)
		return r < 0 ? EXIT_USAGE : EXIT_SUCCESS;

	/* sd-event takes the signals through a signalfd: they must be blocked first. The
	 * children of the loop (kubeadm's systemd-run, kubectl, modprobe) are watched through
	 * pidfds (lib/job-event.h), which need no signal. */
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return log_error_errno(-errno, "Failed to block SIGTERM and SIGINT: %m");

	if ((r = sd_event_default(&m.event)) < 0 ||
	    (r = sd_event_add_signal(m.event, NULL, SIGTERM, on_stop_signal, &m)) < 0 ||
	    (r = sd_event_add_signal(m.event, NULL, SIGINT, on_stop_signal, &m)) < 0)
		return log_error_errno(r, "Failed to set up the event loop: %m");
	/* Pings at half of WatchdogSec= from the loop itself: a stuck loop is a dead
	 * supervisor, and systemd restarts it. */
	r = sd_event_set_watchdog(m.event, true);
	if (r < 0)
		log_warning_errno(r, "Failed to enable the watchdog, continuing without: %m");

	r = bus_connect(&m.bus);
	if (r < 0)
		return log_error_errno(r, "Failed to connect to systemd: %m");
	if ((r = sd_bus_attach_event(m.bus, m.event, SD_EVENT_PRIORITY_NORMAL)) < 0 ||
	    (r = systemd_client_new(m.bus, &m.systemd)) < 0)
		return log_error_errno(r, "Failed to subscribe to systemd's signals: %m");

	r = node_new(m.event, m.systemd, arg_root, &m.node);
	if (r < 0)
		return log_oom();
	m.node->ignore_checks = TAKE_PTR(arg_ignore_checks);
	m.node->state_dir = arg_state_dir;
	m.node->addons_wait = arg_addon_timeout;
	m.node->audit_interval = arg_audit_interval;
	m.node->process_started = started;
	r = manager_load(&m);
	if (r < 0)
		return r;

	const char *socket_path = status_socket_path();
	r = status_server_new(m.event, socket_path, status_group(), build_status, &m, &m.status);
	if (r < 0)
		return log_error_errno(r, "Failed to listen on %s: %m", socket_path);

	log_info("kiln-supervisor %s: state in %s, image files below %s.", KILN_VERSION, arg_state_dir, arg_root);
	(void) sd_notify(false, "STATUS=Starting the phases.");
	r = phase_runner_start(m.runner);
	if (r < 0)
		return log_error_errno(r, "Failed to start the phases: %m");

	r = sd_event_loop(m.event);
	if (r < 0)
		return log_error_errno(r, "The event loop failed: %m");
	log_info("Stopped.");
	return EXIT_SUCCESS;
}

/* Exit statuses: 0 stopped by SIGTERM/SIGINT, 1 could not set up (logged), 2 usage. A
 * failing phase never ends the process: it is retried with a backoff. */
int main(int argc, char **argv) {
	int r = run(argc, argv);
	arg_ignore_checks = strv_free(arg_ignore_checks);
	return r < 0 ? EXIT_FAILURE : r;
}

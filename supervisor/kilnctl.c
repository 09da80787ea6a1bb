/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* kilnctl: the operator's window into what the node is doing and why. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "config.h"
#include "kilnctl-verbs.h"
#include "log.h"
#include "status-client.h"
#include "verbs.h"

static int help(void) {
	printf("%s [OPTIONS...] COMMAND\n"
	       "\n"
	       "Show what this kiln node is doing and why.\n"
	       "\n"
	       "Commands:\n"
	       "  status                Show each phase, its last error, and the cluster\n"
	       "  preflight             Run the host checks without fixing anything\n"
	       "  kubeconfig            Print the cluster's admin kubeconfig (root only)\n"
	       "  audit                 Check each process's confinement as the kernel shows it\n"
	       "\n"
	       "Options:\n"
	       "  -h --help             Show this help\n"
	       "     --version          Show the version\n"
	       "\n"
	       "Command options (see kilnctl COMMAND --help):\n"
	       "  status    --json      Print the supervisor's JSON document as it is\n"
	       "  preflight --json --tap --root=DIR\n"
	       "  audit     --json --tap --no-node --no-containers ...\n"
	       "\n"
	       "See kilnctl(1).\n",
	       program_invocation_short_name);
	return 0;
}

static int verb_help(int argc, char **argv) {
	return help();
}

static void status_help(void) {
	printf("%s status [--json]\n"
	       "\n"
	       "Show each phase of the node's supervisor with its timing, attempts, detail and\n"
	       "last error, and what it last saw of the cluster (API server, node Ready,\n"
	       "kube-system workloads and pods not running and ready), as the supervisor\n"
	       "reports them on its status socket.\n"
	       "\n"
	       "Options:\n"
	       "  -h --help             Show this help\n"
	       "     --json             Print the supervisor's JSON document as it is\n"
	       "\n"
	       "Exit status: 0 when the supervisor answered, 1 when it did not.\n",
	       program_invocation_short_name);
}

static int verb_status(int argc, char **argv) {
	enum { ARG_JSON = 0x100 };
	static const struct option options[] = {
		{ "help", no_argument, NULL, 'h'      },
		{ "json", no_argument, NULL, ARG_JSON },
		{}
	};
	_cleanup_free_ char *doc = NULL, *table = NULL;
	bool json = false;
	int c, r;

	/* main() ran getopt over the global options already: start over for ours. */
	optind = 0;
	while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
		switch (c) {
		case 'h':
			status_help();
			return EXIT_SUCCESS;
		case ARG_JSON:
			json = true;
			break;
		case '?':
			return EXIT_USAGE;
		default:
			abort();
		}
	if (optind < argc) {
		log_error("status takes no arguments.");
		return EXIT_USAGE;
	}

	const char *path = status_socket_path();
	r = status_fetch(path, STATUS_FETCH_TIMEOUT_USEC, &doc);
	if (r == -ENOENT || r == -ECONNREFUSED) {
		log_error_errno(r, "status: no supervisor answers on its status socket %s "
				"(is kiln-supervisor.service running?): %m", path);
		return EXIT_FAILURE;
	}
	if (r < 0) {
		log_error_errno(r, "status: cannot read the status socket %s: %m", path);
		return EXIT_FAILURE;
	}
	if (json) {
		fputs(doc, stdout);
		if (doc[0] && doc[strlen(doc) - 1] != '\n')
			putchar('\n');
		return fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
	}
	r = status_format_table(doc, &table);
	if (r < 0) {
		if (r == -EPROTO)
			log_error("status: the supervisor could not report its status: %s", doc);
		else
			log_error_errno(r, "status: the answer on %s is not a status document: %m", path);
		return EXIT_FAILURE;
	}
	fputs(table, stdout);
	return fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

static const Verb verbs[] = {
	{ "help",      VERB_ANY, VERB_ANY, verb_help      },
	{ "status",    VERB_ANY, VERB_ANY, verb_status    },
	{ "preflight", VERB_ANY, VERB_ANY, verb_preflight },
	{ "kubeconfig", VERB_ANY, VERB_ANY, verb_kubeconfig },
	{ "audit",     VERB_ANY, VERB_ANY, verb_audit     },
};

static int parse_argv(int argc, char **argv) {
	enum { ARG_VERSION = 0x100 };
	static const struct option options[] = {
		{ "help",    no_argument, NULL, 'h'         },
		{ "version", no_argument, NULL, ARG_VERSION },
		{}
	};
	int c;

	while ((c = getopt_long(argc, argv, "+h", options, NULL)) >= 0)
		switch (c) {
		case 'h':
			help();
			return 0;
		case ARG_VERSION:
			printf("kilnctl %s\n", KILN_VERSION);
			return 0;
		case '?':
			return -EINVAL;
		default:
			abort();
		}
	return 1;
}

int main(int argc, char **argv) {
	int r;

	log_setup();
	r = parse_argv(argc, argv);
	if (r <= 0)
		return r < 0 ? EXIT_USAGE : EXIT_SUCCESS;
	return dispatch_verb(argc - optind, argv + optind, verbs, ELEMENTSOF(verbs));
}

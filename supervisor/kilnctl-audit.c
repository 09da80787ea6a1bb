/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* kilnctl audit: what the kernel shows the node's processes may do, against what was
 * declared for them (audit.h). Reads /proc, the bus and containerd; changes nothing. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "audit.h"
#include "helper-security.h"
#include "kilnctl-verbs.h"
#include "log.h"
#include "verbs.h"

typedef enum AuditFormat { AUDIT_FORMAT_TABLE, AUDIT_FORMAT_JSON, AUDIT_FORMAT_TAP } AuditFormat;

#define SUPERVISOR_UNIT "kiln-supervisor.service"

static void help(void) {
	printf("%s audit [OPTIONS...]\n"
	       "\n"
	       "Compare what the kernel shows each process may do (/proc/PID/status: capability\n"
	       "sets, NoNewPrivs, Seccomp) with what was declared for it: the supervisor against\n"
	       "its unit's sandbox, each helper in its cgroup against its security profile, and\n"
	       "every process of every container containerd runs against the container's OCI\n"
	       "spec and the exceptions allowed to run unconfined. Changes nothing.\n"
	       "\n"
	       "Options:\n"
	       "  -h --help                 Show this help\n"
	       "     --json                 Print the audit as JSON\n"
	       "     --tap                  Print the audit as TAP\n"
	       "     --unit=NAME            The supervisor's unit (default " SUPERVISOR_UNIT ")\n"
	       "     --no-node              Do not audit the supervisor and its helpers\n"
	       "     --profile-dir=DIR      The helpers' security profiles (default " HELPER_SECURITY_DIR ")\n"
	       "     --containerd-socket=PATH\n"
	       "                            containerd's socket (default " AUDIT_CONTAINERD_SOCKET ")\n"
	       "     --no-containers        Do not audit containers\n"
	       "     --exceptions=FILE      Containers allowed to run unconfined\n"
	       "                            (default " AUDIT_EXCEPTIONS_FILE ")\n"
	       "\n"
	       "Exit status: 0 when every process is as declared, 1 on a violation or when a\n"
	       "source could not be audited, 2 for a usage error.\n",
	       program_invocation_short_name);
}

static int parse_argv(int argc, char **argv, AuditSources *s, AuditFormat *format) {
	enum {
		ARG_JSON = 0x100, ARG_TAP, ARG_UNIT, ARG_NO_NODE, ARG_PROFILE_DIR, ARG_SOCKET, ARG_NO_CONTAINERS,
		ARG_EXCEPTIONS,
	};
	static const struct option options[] = {
		{ "help",              no_argument,       NULL, 'h'               },
		{ "json",              no_argument,       NULL, ARG_JSON          },
		{ "tap",               no_argument,       NULL, ARG_TAP           },
		{ "unit",              required_argument, NULL, ARG_UNIT          },
		{ "no-node",           no_argument,       NULL, ARG_NO_NODE       },
		{ "profile-dir",       required_argument, NULL, ARG_PROFILE_DIR   },
		{ "containerd-socket", required_argument, NULL, ARG_SOCKET        },
		{ "no-containers",     no_argument,       NULL, ARG_NO_CONTAINERS },
		{ "exceptions",        required_argument, NULL, ARG_EXCEPTIONS    },
		{}
	};
	bool json = false, tap = false, no_node = false, no_containers = false;
	int c;

	/* kilnctl's main() parsed its own options with getopt already: start over. */
	optind = 0;
	while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
		if (optarg && isempty(optarg)) {
			log_error("%s needs a value.", argv[optind - 1]);
			return -EINVAL;
		}
		switch (c) {
		case 'h':
			help();
			return 0;
		case ARG_JSON:
			json = true;
			break;
		case ARG_TAP:
			tap = true;
			break;
		case ARG_UNIT:
			s->unit = optarg;
			break;
		case ARG_NO_NODE:
			no_node = true;
			break;
		case ARG_PROFILE_DIR:
			s->profile_dir = optarg;
			break;
		case ARG_SOCKET:
			s->containerd_socket = optarg;
			break;
		case ARG_NO_CONTAINERS:
			no_containers = true;
			break;
		case ARG_EXCEPTIONS:
			s->exceptions_file = optarg;
			break;
		case '?':
			return -EINVAL;
		default:
			abort();
		}
	}
	if (json && tap) {
		log_error("--json and --tap cannot be combined.");
		return -EINVAL;
	}
	if (no_node && no_containers) {
		log_error("--no-node and --no-containers leave nothing to audit.");
		return -EINVAL;
	}
	if (optind < argc) {
		log_error("audit takes no arguments.");
		return -EINVAL;
	}
	if (no_node)
		s->unit = NULL;
	if (no_containers)
		s->containerd_socket = NULL;
	*format = json ? AUDIT_FORMAT_JSON : tap ? AUDIT_FORMAT_TAP : AUDIT_FORMAT_TABLE;
	return 1;
}

int verb_audit(int argc, char **argv) {
	AuditSources sources = {
		.proc_root = "/proc",
		.unit = SUPERVISOR_UNIT,
		.profile_dir = HELPER_SECURITY_DIR,
		.containerd_socket = AUDIT_CONTAINERD_SOCKET,
		.exceptions_file = AUDIT_EXCEPTIONS_FILE,
	};
	_cleanup_(audit_done) Audit audit = {};
	_cleanup_free_ char *text = NULL;
	AuditFormat format;
	int r;

	r = parse_argv(argc, argv, &sources, &format);
	if (r <= 0)
		return r < 0 ? EXIT_USAGE : EXIT_SUCCESS;

	r = audit_run(&audit, &sources);
	if (r < 0) {
		log_error_errno(r, "Failed to audit the node: %m");
		return EXIT_FAILURE;
	}
	r = format == AUDIT_FORMAT_JSON ? audit_format_json(&audit, &text) :
	    format == AUDIT_FORMAT_TAP  ? audit_format_tap(&audit, &text) :
					  audit_format_table(&audit, &text);
	if (r < 0) {
		log_error_errno(r, "Failed to format the audit: %m");
		return EXIT_FAILURE;
	}
	fputs(text, stdout);
	if (fflush(stdout) != 0) {
		log_error_errno(negative_errno(), "Failed to write the audit: %m");
		return EXIT_FAILURE;
	}
	return audit.n_violations > 0 || audit.errors ? EXIT_FAILURE : EXIT_SUCCESS;
}

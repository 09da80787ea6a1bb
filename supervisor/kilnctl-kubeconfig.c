/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* kilnctl kubeconfig: the cluster's admin credentials, for root only. kubeadm writes
 * /etc/kubernetes/admin.conf mode 0600, but the check is made here too, by name, so that
 * a user who is not root is told why instead of seeing EACCES, and so that a file whose
 * mode was loosened by mistake is still not handed out through kiln. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cluster-kubectl.h"
#include "fd-util.h"
#include "fileio.h"
#include "kilnctl-verbs.h"
#include "log.h"
#include "verbs.h"

/* For the tests, which cannot write /etc/kubernetes on the host. */
#define KUBECONFIG_ENV "KILN_ADMIN_CONF"

static void help(void) {
	printf("%s kubeconfig\n"
	       "\n"
	       "Print the cluster's admin kubeconfig (%s, written by kubeadm\n"
	       "init): full control of the cluster. Root only.\n"
	       "\n"
	       "Options:\n"
	       "  -h --help             Show this help\n"
	       "\n"
	       "Exit status: 0 when printed, 1 when not root or the node has no cluster yet,\n"
	       "2 for a usage error.\n",
	       program_invocation_short_name, CLUSTER_ADMIN_CONF);
}

int verb_kubeconfig(int argc, char **argv) {
	static const struct option options[] = {
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	_cleanup_free_ char *text = NULL;
	size_t size = 0;
	int c, r;

	/* kilnctl's main() parsed its own options with getopt already: start over. */
	optind = 0;
	while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
		switch (c) {
		case 'h':
			help();
			return EXIT_SUCCESS;
		case '?':
			return EXIT_USAGE;
		default:
			abort();
		}
	if (optind < argc) {
		log_error("kubeconfig takes no arguments.");
		return EXIT_USAGE;
	}
	if (geteuid() != 0) {
		log_error("kubeconfig: the cluster's admin credentials are for root only; run it as root.");
		return EXIT_FAILURE;
	}

	const char *path = getenv(KUBECONFIG_ENV);
	if (isempty(path))
		path = CLUSTER_ADMIN_CONF;
	r = read_full_file(path, &text, &size);
	if (r == -ENOENT) {
		log_error("kubeconfig: %s does not exist: this node has no cluster yet (see kilnctl status).", path);
		return EXIT_FAILURE;
	}
	if (r < 0) {
		log_error_errno(r, "kubeconfig: cannot read %s: %m", path);
		return EXIT_FAILURE;
	}
	if (fwrite(text, 1, size, stdout) != size || fflush(stdout) != 0) {
		log_error_errno(-EIO, "kubeconfig: cannot write to standard output: %m");
		return EXIT_FAILURE;
	}
	return EXIT_SUCCESS;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* kilnctl preflight: the supervisor's host checks, for an operator to run at any time. It
 * only reports: fixing is the supervisor's job, at boot, where it is logged. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "diag.h"
#include "fd-util.h"
#include "identity.h"
#include "image-info.h"
#include "kilnctl-verbs.h"
#include "log.h"
#include "preflight.h"
#include "profile.h"
#include "verbs.h"

#define PROFILE_PATH "usr/lib/kiln/profile.yaml"

typedef struct PreflightArgs {
	PreflightFormat format;
	const char *root;
} PreflightArgs;

static void help(void) {
	printf("%s preflight [OPTIONS...]\n"
	       "\n"
	       "Check that this machine can run its node: kernel modules, sysctls, swap, cgroups,\n"
	       "host name, clock, CPUs, memory, disk, programs and ports. Changes nothing.\n"
	       "\n"
	       "Options:\n"
	       "  -h --help             Show this help\n"
	       "     --json             Print the results as JSON\n"
	       "     --tap              Print the results as TAP\n"
	       "     --root=DIR         Check the system image in DIR instead of / (the ports are\n"
	       "                        still this machine's)\n"
	       "\n"
	       "Exit status: 0 when no check fails, 1 when one does, 2 for a usage error.\n",
	       program_invocation_short_name);
}

static int parse_argv(int argc, char **argv, PreflightArgs *args) {
	enum { ARG_JSON = 0x100, ARG_TAP, ARG_ROOT };
	static const struct option options[] = {
		{ "help", no_argument,       NULL, 'h'      },
		{ "json", no_argument,       NULL, ARG_JSON },
		{ "tap",  no_argument,       NULL, ARG_TAP  },
		{ "root", required_argument, NULL, ARG_ROOT },
		{}
	};
	bool json = false, tap = false;
	int c;

	/* kilnctl's main() parsed its own options with getopt already: start over. */
	optind = 0;
	while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
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
		case ARG_ROOT:
			if (isempty(optarg)) {
				log_error("--root= needs a directory.");
				return -EINVAL;
			}
			args->root = optarg;
			break;
		case '?':
			return -EINVAL;
		default:
			abort();
		}
	if (json && tap) {
		log_error("--json and --tap cannot be combined.");
		return -EINVAL;
	}
	if (optind < argc) {
		log_error("preflight takes no arguments.");
		return -EINVAL;
	}
	args->format = json ? PREFLIGHT_FORMAT_JSON : tap ? PREFLIGHT_FORMAT_TAP : PREFLIGHT_FORMAT_TABLE;
	return 1;
}

static int load_profile(int root_fd, const char *root, Profile **ret) {
	_cleanup_(diag_list_done) DiagList diags = {};
	_cleanup_close_ int fd = openat(root_fd, PROFILE_PATH, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	int r;

	if (fd < 0)
		return log_error_errno(negative_errno(), "Failed to open the image's profile %s/%s: %m",
				       streq(root, "/") ? "" : root, PROFILE_PATH);
	r = profile_load_fd(fd, PROFILE_PATH, ret, &diags);
	if (r == -EBADMSG) {
		for (size_t i = 0; i < diags.n; i++) {
			_cleanup_free_ char *line = NULL;
			if (diag_format(&diags.items[i], &line) < 0)
				return log_oom();
			log_error("%s", line);
		}
		return log_error_errno(r, "The image's profile is not valid, cannot check the node against it.");
	}
	if (r < 0)
		return log_error_errno(r, "Failed to load the image's profile: %m");
	return 0;
}

/* What the image builder recorded (image-info.h): whether Kubernetes is installed, and
 * when the image was built (0 for images from before sourceDateEpoch was recorded).
 * Missing or unreadable: assume Kubernetes is there, so its programs are checked rather
 * than not. */
static void load_image_info(const char *root, bool *ret_kubernetes, uint64_t *ret_epoch) {
	_cleanup_(image_info_freep) ImageInfo *info = NULL;
	_cleanup_free_ char *path = NULL;
	int r;

	*ret_kubernetes = true;
	*ret_epoch = 0;
	if (asprintf(&path, "%s%s", streq(root, "/") ? "" : root, IMAGE_INFO_PATH) < 0) {
		log_oom();
		return;
	}
	r = image_info_load(path, &info);
	if (r < 0) {
		log_warning_errno(r, "Failed to read %s, assuming Kubernetes is installed: %m", path);
		return;
	}
	*ret_kubernetes = info->kubernetes_present;
	*ret_epoch = info->build_epoch;
}

/* This machine's nodes[] entry, found by MAC as kiln-firstboot does; NULL when it has none. */
static const ProfileMachine *find_machine(int root_fd, const Profile *p) {
	_cleanup_free_ MacAddress *macs = NULL;
	size_t n = 0;
	Identity id;

	if (identity_read_macs(root_fd, &macs, &n) < 0 || identity_pick(p, macs, n, NULL, &id) < 0 ||
	    id.source != IDENTITY_FROM_NODES)
		return NULL;
	for (size_t i = 0; i < p->n_nodes; i++)
		if (memcmp(&p->nodes[i].mac, &id.mac, sizeof id.mac) == 0)
			return &p->nodes[i];
	return NULL;
}

int verb_preflight(int argc, char **argv) {
	PreflightArgs args = { .root = "/" };
	_cleanup_(profile_freep) Profile *profile = NULL;
	_cleanup_close_ int root_fd = -EBADF;
	_cleanup_free_ char *text = NULL;
	PreflightReport *reports = NULL;
	size_t n = 0;
	int r;

	r = parse_argv(argc, argv, &args);
	if (r <= 0)
		return r < 0 ? EXIT_USAGE : EXIT_SUCCESS;

	root_fd = open(args.root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root_fd < 0) {
		log_error_errno(negative_errno(), "Failed to open root directory %s: %m", args.root);
		return EXIT_FAILURE;
	}
	if (load_profile(root_fd, args.root, &profile) < 0)
		return EXIT_FAILURE;

	PreflightContext ctx = {
		.root = args.root,
		.profile = profile,
		.machine = find_machine(root_fd, profile),
		.fix = false,
	};
	load_image_info(args.root, &ctx.kubernetes, &ctx.build_epoch);

	r = preflight_run(&ctx, &reports, &n);
	if (r < 0) {
		log_error_errno(r, "Failed to run the preflight checks: %m");
		return EXIT_FAILURE;
	}
	int n_fail = r;
	r = preflight_format(reports, n, args.format, &text);
	preflight_reports_free(reports, n);
	if (r < 0) {
		log_error_errno(r, "Failed to format the preflight results: %m");
		return EXIT_FAILURE;
	}
	fputs(text, stdout);
	if (fflush(stdout) != 0) {
		log_error_errno(negative_errno(), "Failed to write the results: %m");
		return EXIT_FAILURE;
	}
	return n_fail > 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}

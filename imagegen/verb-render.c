/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* kiln-imagegen render [PROFILE] [--node NAME] WHAT: print a file the build bakes, from
 * the same inputs the build takes (the profile, the kubeadm that ships, the images the
 * bundle seeds), with the same refusals. Nothing is written. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build.h"
#include "bundle.h"
#include "imagegen.h"
#include "log.h"
#include "render.h"
#include "strv.h"
#include "verbs.h"

typedef enum RenderWhat { RENDER_KUBEADM, RENDER_ADMISSION, RENDER_COREFILE, RENDER_CNI, _RENDER_WHAT_MAX } RenderWhat;
static const char *const what_words[_RENDER_WHAT_MAX] = {
	[RENDER_KUBEADM] = "kubeadm", [RENDER_ADMISSION] = "admission", [RENDER_COREFILE] = "corefile", [RENDER_CNI] = "cni",
};

static int help(void) {
	printf("%s render [PROFILE] [OPTIONS...] kubeadm|admission|corefile|cni\n"
	       "\n"
	       "Print what the build bakes into PROFILE's image (default: the embedded profile):\n"
	       "  kubeadm   a machine's kubeadm configuration (" RENDER_DIR "/NAME.yaml)\n"
	       "  admission the API server's admission configuration (" RENDER_ADMISSION_PATH ")\n"
	       "  corefile  CoreDNS's Corefile (" RENDER_DIR "/Corefile)\n"
	       "  cni       the one-machine pod network (/etc/cni/net.d/10-kiln-bridge.conflist)\n"
	       "\n"
	       "     --node=NAME          The machine: a hostname of the profile's nodes\n"
	       "                          (\"" RENDER_NODE_DEFAULT "\" when it lists none)\n"
	       "     --lock=FILE          The lock file (default: kiln.lock next to PROFILE)\n"
	       "     --cache=DIR          Build cache (default: ~/.cache/kiln)\n"
	       "     --artifacts=DIR      Ask DIR/kubeadm instead of the one the lock pins\n"
	       "  -h --help               Show this help\n",
	       program_invocation_short_name);
	return 0;
}

static int parse_argv(int argc, char **argv, BuildOptions *o, const char **ret_node, RenderWhat *ret_what) {
	enum { ARG_NODE = 0x100, ARG_LOCK, ARG_CACHE, ARG_ARTIFACTS };
	static const struct option options[] = {
		{ "help",      no_argument,       NULL, 'h'           },
		{ "node",      required_argument, NULL, ARG_NODE      },
		{ "lock",      required_argument, NULL, ARG_LOCK      },
		{ "cache",     required_argument, NULL, ARG_CACHE     },
		{ "artifacts", required_argument, NULL, ARG_ARTIFACTS },
		{}
	};
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
		switch (c) {
		case 'h':
			help();
			return 0;
		case ARG_NODE:
			*ret_node = optarg;
			break;
		case ARG_LOCK:
			o->lock_path = optarg;
			break;
		case ARG_CACHE:
			o->cache_dir = optarg;
			break;
		case ARG_ARTIFACTS:
			o->artifacts_dir = optarg;
			break;
		case '?':
			return -EINVAL;
		default:
			abort();
		}
	int left = argc - optind;
	if (left < 1 || left > 2) {
		log_error("%s; see render --help.", left < 1 ? "Say what to render: kubeadm, admission, corefile or cni" : "Too many arguments");
		return -EINVAL;
	}
	if (left == 2)
		o->profile_path = argv[optind];
	const char *what = argv[argc - 1];
	for (RenderWhat w = 0; w < _RENDER_WHAT_MAX; w++)
		if (streq(what, what_words[w])) {
			*ret_what = w;
			return 1;
		}
	log_error("Unknown thing to render \"%s\": kubeadm, admission, corefile or cni.", what);
	return -EINVAL;
}

/* The machine asked for; with several and none asked for, the names to choose from. */
static int pick_node(const Profile *p, const char *name, RenderNode *ret) {
	_cleanup_free_ RenderNode *nodes = NULL;
	_cleanup_free_ char *names = NULL;
	size_t n;
	int r;

	if (name) {
		r = render_node_find(p, name, ret);
		if (r != -ENOENT)
			return r < 0 ? log_oom() : 0;
	}
	if ((r = render_nodes(p, &nodes, &n)) < 0)
		return log_oom();
	if (!name && n == 1) {
		*ret = nodes[0];
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		char *more = NULL;
		if (asprintf(&more, "%s%s%s", names ?: "", names ? ", " : "", nodes[i].name) < 0)
			return log_oom();
		free(names);
		names = more;
	}
	if (name)
		log_error("The profile has no machine \"%s\"; its machines: %s.", name, names);
	else
		log_error("The profile lists %zu machines: pick one with --node (%s).", n, names);
	return -EINVAL;
}

/* The images the node is seeded with, computed as the bundle step does; the lock (if
 * there is one) for the kubeadm that ships and the addons' downloaded manifests. */
static int seeded_images(Build *b, char ***ret) {
	_cleanup_(diag_list_done) DiagList diags = {};
	_cleanup_free_ char *error = NULL, *profile_dir = NULL;
	int r;

	if (plan_cache_dir(b) < 0)
		return -EINVAL;
	if (bundle_lock_path(b->opts.lock_path, b->opts.profile_path, &b->lock_path) < 0 ||
	    bundle_profile_dir(b->opts.profile_path, &profile_dir) < 0)
		return log_oom();
	r = lock_file_load(b->lock_path, &b->lock, &error);
	if (r == -ENOENT && !b->opts.artifacts_dir)
		return log_error_errno(r, "No lock file %s: run \"kiln-imagegen lock\" (and fetch), or give --artifacts=DIR with a kubeadm.",
				       b->lock_path);
	if (r < 0 && r != -ENOENT)
		return log_error_errno(r, "Cannot read the lock file %s: %s", b->lock_path, error ?: strerror(-r));
	if ((r = bundle_find_kubeadm(b)) < 0)
		return r;
	error = mfree_str(error);
	r = bundle_ask_kubeadm(b->kubeadm_path, b->profile, &diags, NULL, &b->kubeadm_images, &error);
	if (r == -EBADMSG && diags.n > 0) {
		(void) print_diagnostics(&diags);
		return r;
	}
	if (r < 0)
		return log_error_errno(r, "Cannot ask kubeadm for its images: %s", error ?: strerror(-r));
	r = bundle_images(b->profile, profile_dir, b->lock, b->cache_dir, b->kubeadm_images, ret, &error);
	if (r < 0)
		return log_error_errno(r, "Cannot compute the image list: %s", error ?: strerror(-r));
	return 0;
}

static int render_kubeadm_of(Build *b, const RenderNode *node, char **ret_text) {
	_cleanup_(diag_list_done) DiagList diags = {};
	_cleanup_strv_free_ char **seeded = NULL;
	int r;

	if ((r = seeded_images(b, &seeded)) < 0)
		return r;
	RenderInput in = { .profile = b->profile, .kubeadm_images = b->kubeadm_images, .seeded = seeded };
	if ((r = render_check_images(&in, &diags)) < 0)
		return log_oom();
	if (diags.n > 0) {
		(void) print_diagnostics(&diags);
		return -EBADMSG;
	}
	r = render_kubeadm(&in, node, ret_text);
	if (r < 0)
		return log_error_errno(r, "Cannot render the kubeadm configuration of %s: %m", node->name);
	return 0;
}

int verb_render(int argc, char **argv) {
	_cleanup_(build_freep) Build *b = NULL;
	_cleanup_free_ char *text = NULL;
	const char *node_name = NULL;
	RenderWhat what = RENDER_KUBEADM;
	RenderNode node;
	int r;

	if (build_new(&b) < 0)
		return log_oom();
	r = parse_argv(argc, argv, &b->opts, &node_name, &what);
	if (r <= 0)
		return r < 0 ? EXIT_USAGE : EXIT_SUCCESS;
	r = build_load_profile(b);
	if (r != 0)
		return r;

	switch (what) {
	case RENDER_KUBEADM:
		if (pick_node(b->profile, node_name, &node) < 0)
			return EXIT_USAGE;
		r = render_kubeadm_of(b, &node, &text);
		if (r == -EBADMSG)
			return EXIT_USAGE;
		break;
	case RENDER_ADMISSION:
		r = render_admission(&text) < 0 ? log_oom() : 0;
		break;
	case RENDER_COREFILE:
		r = render_corefile(b->profile, &text) < 0 ? log_oom() : 0;
		break;
	case RENDER_CNI:
		if (!render_wants_bridge(b->profile)) {
			log_error("Only a one-machine cluster (role single) has kiln's bridge pod network; this profile's has none.");
			return EXIT_USAGE;
		}
		r = render_cni_bridge(b->profile, &text) < 0 ? log_oom() : 0;
		break;
	default:
		abort();
	}
	if (r < 0)
		return EXIT_FAILURE;
	fputs(text, stdout);
	return fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

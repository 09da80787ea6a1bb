/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* kiln-imagegen build: the steps in order, in a staging directory next to OUTDIR that
 * is renamed into place only when everything succeeded. An interrupted or failed build
 * leaves no partial output, and says which step failed and why. */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build.h"
#include "build-lock.h"
#include "build-space.h"
#include "cache.h"
#include "job.h"
#include "default-profile.h"
#include "diag.h"
#include "fd-util.h"
#include "fileio.h"
#include "hash.h"
#include "imagegen.h"
#include "log.h"
#include "process-util.h"
#include "progress.h"
#include "rm-rf.h"
#include "strv.h"
#include "verbs.h"

static int step_workdir(Build *b);

static const struct BuildStep {
	const char *name;
	const char *title;
	int (*run)(Build *b);
} steps[] = {
	{ "plan",        "Plan",                                   step_plan },
	{ "bundle",      "Bundle (lock file, binaries, images)",   step_bundle },
	{ "render",      "Kubeadm configuration (rendered, validated)", step_render },
	{ "tools",       "Tools tree (Debian 13 file system tools)", step_tools },
	{ "rootfs",      "Debian root file system (mmdebstrap)",   step_rootfs },
	{ "workdir",     "Work directory",                         step_workdir },
	{ "tree",        "Image tree",                             step_tree },
	{ "store",       "Containerd store (images seeded)",       step_store },
	{ "root-image",  "Root file system image (erofs)",         step_root_image },
	{ "var-image",   "Var file system image (ext4)",           step_var_image },
	{ "esp",         "EFI system partition (FAT)",             step_esp },
	{ "disk",        "GPT disk image",                         step_disk },
	{ "install-payload", "Install payload (from disk.raw)",    step_install_payload },
	{ "iso",         "Installer ISO (from disk.raw)",          step_iso },
	{ "pxe",         "PXE set (network boot)",                 step_pxe },
	{ "qcow2",       "qcow2 image (from disk.raw)",            step_qcow2 },
	{ "box",         "Vagrant box (its own root and ESP)",     step_box },
	{ "outputs",     "Outputs (disk.raw only if asked for)",   step_outputs },
	{ "manifest",    "Manifest",                               step_manifest },
};

Build *build_free(Build *b) {
	if (!b)
		return NULL;
	if (b->tools_job > 0)
		(void) job_kill(b->tools_job);
	cache_scratch_remove(b->work_dir, b->work_lock);
	cache_scratch_remove(b->scratch_dir, b->scratch_lock);
	build_output_release(b);
	safe_close(b->log_fd);
	safe_close(b->tools_lock);
	safe_close(b->rootfs_lock);
	profile_free(b->profile);
	free(b->profile_text);
	free(b->mirror);
	strv_free(b->apt_sources);
	strv_free(b->packages);
	free(b->box_rootfs_tree);
	free(b->self_dir);
	free(b->data_dir);
	free(b->payload_dir);
	free(b->cache_dir);
	free(b->tools_dir);
	free(b->tools_key);
	free(b->tools_job_tar);
	free(b->work_dir);
	free(b->work_in_tools);
	free(b->staging_dir);
	free(b->scratch_dir);
	free(b->output_dir);
	free(b->output_parent);
	free(b->output_lock_path);
	free(b->rootfs_key);
	free(b->log_path);
	free(b->rootfs_tar);
	free(b->rootfs_tree);
	free(b->tree_dir);
	free(b->var_tree_dir);
	free(b->esp_tree_dir);
	free(b->kernel_version);
	free(b->root_image);
	free(b->var_image);
	free(b->esp_image);
	free(b->install_payload_dir);
	strv_free(b->install_payload_files);
	json_decref(b->files);
	json_decref(b->artifacts);
	json_decref(b->partitions);
	json_decref(b->images);
	json_decref(b->image_addons);
	free(b->lock_path);
	lock_file_free(b->lock);
	for (size_t i = 0; b->bundle_blobs && i < strv_length(b->bundle_images); i++)
		strv_free(b->bundle_blobs[i]);
	free(b->bundle_blobs);
	strv_free(b->bundle_images);
	if (b->kubeadm)
		(void) unlink(b->kubeadm);
	free(b->kubeadm);
	free(b->kubeadm_path);
	strv_free(b->kubeadm_images);
	strv_free(b->render_paths);
	strv_free(b->render_texts);
	strv_free(b->opts.extra_trees);
	free(b);
	return NULL;
}

/* The per-build directory inside the tools tree: the tree and the images are made there,
 * so that the tools (run chrooted) see them. A scratch directory: what a killed build
 * leaves there is swept by the next one. */
static int step_workdir(Build *b) {
	_cleanup_free_ char *parent = NULL;
	int r;

	if (asprintf(&parent, "%s/work", b->tools_dir) < 0)
		return log_oom();
	r = cache_scratch_new(parent, "build-", &b->work_dir, &b->work_lock);
	if (r < 0)
		return log_error_errno(r, "Cannot create a work directory in %s: %m", parent);
	if (asprintf(&b->work_in_tools, "/work/%s", strrchr(b->work_dir, '/') + 1) < 0)
		return log_oom();
	return 0;
}

int build_load_profile(Build *b) {
	_cleanup_(diag_list_done) DiagList diags = {};
	const char *name = b->opts.profile_path ?: "<default profile>";
	uint8_t md[HASH_SIZE_MAX];
	size_t len;
	int r;

	if (b->opts.profile_path) {
		r = read_full_file(b->opts.profile_path, &b->profile_text, &b->profile_size);
		if (r < 0) {
			log_error_errno(r, "Cannot read the profile %s: %m", b->opts.profile_path);
			return EXIT_USAGE;
		}
	} else {
		b->profile_text = malloc(kiln_default_profile_size + 1);
		if (!b->profile_text)
			return log_oom();
		memcpy(b->profile_text, kiln_default_profile, kiln_default_profile_size + 1);
		b->profile_size = kiln_default_profile_size;
	}

	r = profile_load_buffer(name, b->profile_text, b->profile_size, &b->profile, &diags);
	if (r == -EBADMSG) {
		print_diagnostics(&diags);
		return EXIT_USAGE;
	}
	if (r < 0)
		return log_error_errno(r, "Cannot load the profile %s: %m", name);

	if ((r = hash_buffer(HASH_SHA256, b->profile_text, b->profile_size, md, &len)) < 0 ||
	    (r = hexmem_buf(md, len, b->profile_sha256, sizeof b->profile_sha256)) < 0)
		return log_error_errno(r, "Cannot hash the profile: %m");
	return 0;
}

/* build --offline: a network namespace of our own, with only a loopback interface that
 * is down. Every command the build runs inherits it, so any attempt to reach a network
 * fails at once (ENETUNREACH) instead of depending on what the host can reach. */
static int enter_offline(void) {
	if (unshare(CLONE_NEWNET) < 0)
		return log_error_errno(-errno, "Cannot enter a network namespace without network for --offline: %m");
	log_debug("Offline: running in a network namespace with no interface up.");
	return 0;
}

static int help(void) {
	printf("%s build [PROFILE] -o OUTDIR [OPTIONS...]\n"
	       "\n"
	       "Bake PROFILE (default: the embedded single-node profile) into OUTDIR: disk.raw,\n"
	       "disk.qcow2, kiln.iso, pxe/, kiln.box (as the formats say) and manifest.json.\n"
	       "\n"
	       "  -o --output=DIR         Where the image goes (created or replaced at the end)\n"
	       "     --format=LIST        raw, iso, pxe, qcow2, box, comma-separated (default: the profile's\n"
	       "                          outputs.formats)\n"
	       "     --cache=DIR          Build cache (default: ~/.cache/kiln)\n"
	       "     --artifacts=DIR      kubeadm, kubelet, kubectl and crictl to install\n"
	       "     --without-kubernetes Bake the base appliance without Kubernetes\n"
	       "     --lock=FILE          The lock file (default: kiln.lock next to PROFILE)\n"
	       "     --offline            Use no network at all: everything from the cache\n"
	       "     --extra-tree=DIR     Lay DIR over the image's root last (repeatable)\n"
	       "     --data=DIR           kiln's data (units/, rootfs/), if not the built-in\n"
	       "     --payload=DIR        Where the node programs are built, if not next to us\n"
	       "  -h --help               Show this help\n",
	       program_invocation_short_name);
	return 0;
}

/* --format: refused here, before any work, if it names no format. raw is made in any case (qcow2 is converted from it); it stays in OUTDIR only if
 * asked for. */
static int parse_formats(const char *list, OutputFormatSet *ret) {
	_cleanup_free_ char *word = NULL, *words = output_formats_text(output_format_cli_word, "and");
	if (!words)
		return log_oom();
	int r = output_formats_parse(list, ret, &word);
	if (r == -EINVAL)
		log_error("--format %s: %s%s%s; the formats are %s, comma-separated.",
			  list, isempty(word) ? "an empty format" : "unknown format \"", word ?: "", isempty(word) ? "" : "\"",
			  words);
	else if (r < 0)
		return log_oom();
	return r;
}

static int parse_build_argv(int argc, char **argv, BuildOptions *o) {
	enum { ARG_CACHE = 0x100, ARG_ARTIFACTS, ARG_WITHOUT_K8S, ARG_EXTRA_TREE, ARG_DATA, ARG_PAYLOAD, ARG_LOCK, ARG_OFFLINE,
	       ARG_FORMAT };
	static const struct option options[] = {
		{ "help",               no_argument,       NULL, 'h'             },
		{ "output",             required_argument, NULL, 'o'             },
		{ "cache",              required_argument, NULL, ARG_CACHE       },
		{ "artifacts",          required_argument, NULL, ARG_ARTIFACTS   },
		{ "without-kubernetes", no_argument,       NULL, ARG_WITHOUT_K8S },
		{ "extra-tree",         required_argument, NULL, ARG_EXTRA_TREE  },
		{ "data",               required_argument, NULL, ARG_DATA        },
		{ "payload",            required_argument, NULL, ARG_PAYLOAD     },
		{ "lock",               required_argument, NULL, ARG_LOCK        },
		{ "offline",            no_argument,       NULL, ARG_OFFLINE     },
		{ "format",             required_argument, NULL, ARG_FORMAT      },
		{}
	};
	int c, r;

	optind = 0;
	while ((c = getopt_long(argc, argv, "ho:", options, NULL)) >= 0)
		switch (c) {
		case 'h':
			help();
			return 0;
		case 'o':
			o->output_dir = optarg;
			break;
		case ARG_CACHE:
			o->cache_dir = optarg;
			break;
		case ARG_ARTIFACTS:
			o->artifacts_dir = optarg;
			break;
		case ARG_WITHOUT_K8S:
			o->without_kubernetes = true;
			break;
		case ARG_EXTRA_TREE:
			if (strv_extend(&o->extra_trees, optarg) < 0)
				return log_oom();
			break;
		case ARG_DATA:
			o->data_dir = optarg;
			break;
		case ARG_PAYLOAD:
			o->payload_dir = optarg;
			break;
		case ARG_LOCK:
			o->lock_path = optarg;
			break;
		case ARG_OFFLINE:
			o->offline = true;
			break;
		case ARG_FORMAT:
			r = parse_formats(optarg, &o->formats);
			if (r < 0)
				return r;
			break;
		case '?':
			return -EINVAL;
		default:
			abort();
		}
	if (optind < argc)
		o->profile_path = argv[optind++];
	if (optind < argc) {
		log_error("Too many arguments; see build --help.");
		return -EINVAL;
	}
	if (!o->output_dir) {
		log_error("No output directory: pass -o OUTDIR.");
		return -EINVAL;
	}
	if (o->artifacts_dir && o->without_kubernetes) {
		log_error("--artifacts and --without-kubernetes contradict each other.");
		return -EINVAL;
	}
	return 1;
}

int build_new(Build **ret) {
	Build *b = calloc(1, sizeof(Build));
	if (!b)
		return -ENOMEM;
	b->log_fd = b->tools_lock = b->rootfs_lock = b->output_lock = b->scratch_lock = b->work_lock = -EBADF;
	b->files = json_object();
	b->artifacts = json_object();
	b->images = json_object();
	if (!b->files || !b->artifacts || !b->images) {
		build_free(b);
		return -ENOMEM;
	}
	*ret = b;
	return 0;
}

static ssize_t step_index(const char *name) {
	for (size_t i = 0; i < ELEMENTSOF(steps); i++)
		if (streq(steps[i].name, name))
			return (ssize_t) i;
	return -1;
}

/* For the tests of interrupted builds: KILN_IMAGEGEN_TEST_STOP_BEFORE=STEP stops the
 * process (SIGSTOP) right before STEP runs, so that a test can fill a file system, kill
 * the build or damage the cache at exactly that point, then let it go on (SIGCONT). */
static void test_stop_before(const char *step) {
	const char *at = getenv("KILN_IMAGEGEN_TEST_STOP_BEFORE");
	if (!at || !streq(at, step))
		return;
	log_info("Test hook: stopping before step \"%s\".", step);
	(void) raise(SIGSTOP);
}

/* Returns 0, or the exit status to end with (a failure was logged). */
int build_run_steps(Build *b, const char *first, const char *last) {
	ssize_t from = step_index(first), to = step_index(last);
	int r;

	assert(from >= 0 && to >= from);
	build_install_signal_handlers();
	for (size_t i = from; i <= (size_t) to; i++) {
		b->step = steps[i].name;
		test_stop_before(steps[i].name);
		progress_begin((unsigned) (i - from) + 1, (unsigned) (to - from) + 1, steps[i].title);
		r = build_interrupted ? -EINTR : steps[i].run(b);
		if (r >= 0 && build_interrupted)
			r = -EINTR;
		progress_end(r);
		if (r == -EINTR) {
			log_error("Interrupted during step \"%s\" (signal %d)%s%s.", steps[i].name, (int) build_interrupted,
				  b->output_dir ? "; nothing was written to " : "", b->output_dir ?: "");
			return 128 + (build_interrupted ?: SIGINT);
		}
		if (r == -ENOSPC)
			build_space_report(b, steps[i].name);
		if (r < 0) {
			log_error("Step \"%s\" failed%s%s.", steps[i].name,
				  b->output_dir ? "; nothing was written to " : "", b->output_dir ?: "");
			if (b->log_path)
				log_error("The build log is %s.", b->log_path);
			return EXIT_FAILURE;
		}
	}
	return 0;
}

int verb_build(int argc, char **argv) {
	_cleanup_(build_freep) Build *b = NULL;
	int r;

	if (build_new(&b) < 0)
		return log_oom();
	r = parse_build_argv(argc, argv, &b->opts);
	if (r <= 0)
		return r < 0 ? EXIT_USAGE : EXIT_SUCCESS;
	if (geteuid() != 0) {
		log_error("Building an image needs root (mmdebstrap, file ownership in the image).");
		return EXIT_FAILURE;
	}
	if (b->opts.offline && (r = enter_offline()) < 0)
		return EXIT_FAILURE;
	r = build_load_profile(b);
	if (r != 0)
		return r;
	b->formats = b->opts.formats ?: output_formats_of_profile(b->profile) ?: OUTPUT_FORMAT_BIT(OUTPUT_FORMAT_RAW);
	build_install_signal_handlers();
	if (build_lock_set_holder("build", b->opts.output_dir) < 0 || build_output_prepare(b) < 0)
		return build_interrupted ? 128 + build_interrupted : EXIT_FAILURE;

	usec_t start = now(CLOCK_MONOTONIC);
	r = build_run_steps(b, steps[0].name, steps[ELEMENTSOF(steps) - 1].name);
	if (r != 0)
		return r;
	r = build_output_publish(b);
	if (r < 0)
		return EXIT_FAILURE;
	(void) unlink(b->log_path);
	char made[64] = "";
	for (OutputFormat f = 0; f < _OUTPUT_FORMAT_MAX; f++)
		if ((b->formats & OUTPUT_FORMAT_BIT(f)) && output_format_file(f))
			snprintf(made + strlen(made), sizeof made - strlen(made), "%s%s", made[0] ? ", " : "",
				 output_format_file(f));
	log_info("Built %s (%s) in %.1f s (root %s).", b->output_dir, made,
		 (double) (now(CLOCK_MONOTONIC) - start) / USEC_PER_SEC, b->root_sha256);
	return EXIT_SUCCESS;
}

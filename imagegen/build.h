/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* One image build: the options it was started with, what the plan derived from the
 * profile, and the paths each step leaves for the next. The steps run in the order of
 * the table in verb-build.c; each reads what the earlier ones set. */

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "lockfile.h"
#include "profile.h"
#include "uuid-util.h"

typedef struct BuildOptions {
	const char *profile_path;       /* NULL: the embedded default profile */
	const char *output_dir;
	const char *cache_dir;          /* NULL: $XDG_CACHE_HOME/kiln, else ~/.cache/kiln */
	const char *artifacts_dir;      /* kubeadm, kubelet, kubectl, crictl */
	const char *data_dir;           /* units/, rootfs/ (NULL: found next to the program) */
	const char *payload_dir;        /* the node programs (NULL: found next to the program) */
	char **extra_trees;             /* laid over the root last (test fixtures) */
	const char *lock_path;          /* NULL: kiln.lock next to the profile */
	bool without_kubernetes;
	bool offline;                   /* no network at all: everything from the cache */
} BuildOptions;

/* Every identifier of the image is derived from the profile's name (uuid_derive()), so
 * two builds of one profile agree bit for bit and an A/B update keeps the disk's GUIDs. */
typedef struct ImageIds {
	Uuid disk, esp, root_a, root_b, var;    /* GPT disk and partition GUIDs */
	Uuid root_fs, var_fs, var_hash_seed;    /* file system UUIDs, ext4 directory hash seed */
	uint32_t esp_serial;                    /* FAT volume serial */
} ImageIds;

/* The disk layout in bytes, every start aligned to 1 MiB. */
typedef struct DiskLayout {
	uint64_t disk_size;
	uint64_t esp_start, esp_size;
	uint64_t root_a_start, root_b_start, root_size;
	uint64_t var_start, var_size;
} DiskLayout;

typedef struct Build {
	BuildOptions opts;
	Profile *profile;
	char *profile_text;             /* as read: installed as /usr/lib/kiln/profile.yaml */
	size_t profile_size;
	char profile_sha256[65];

	uint64_t epoch;                 /* SOURCE_DATE_EPOCH, or the start of the build */
	bool epoch_from_env;
	char *mirror;
	char **packages;                /* sorted, unique: what mmdebstrap installs */
	ImageIds ids;
	DiskLayout layout;

	char *self_dir;                 /* where kiln-imagegen lives */
	char *data_dir, *payload_dir;
	char *cache_dir;
	char *tools_dir;                /* the cached tools tree the file system tools run in */
	char *work_dir;                 /* per build, inside the tools tree */
	char *work_in_tools;            /* the same directory as seen from inside the chroot */
	char *staging_dir;              /* OUTDIR.partial-XXXXXX, renamed to OUTDIR at the end */
	char *log_path;                 /* every command's output, for the error report */
	int log_fd;

	char *rootfs_tar;               /* cached mmdebstrap output */
	char *rootfs_tree;              /* the same, unpacked once, shared by hard links */
	char *tree_dir, *var_tree_dir, *esp_tree_dir;
	char *kernel_version;
	bool kubernetes_present;
	char *root_image, *var_image, *esp_image;
	char root_sha256[65];           /* the image's identity: printed by the node as it boots */

	json_t *files;                  /* manifest: files kiln added, path -> {sha256, size, mode} */
	json_t *artifacts;              /* manifest: Kubernetes binaries */
	json_t *partitions;             /* manifest: the partition table */
	json_t *images;                 /* manifest: the seeded images, name -> {digest, ...} */

	/* The bundle (step-bundle.c): what the lock pins and the profile needs. */
	char *lock_path;
	LockFile *lock;
	char **bundle_images;           /* sorted references the store is seeded with */
	char ***bundle_blobs;           /* [i]: the blobs bundle_images[i] needs (registry_image_blobs()) */
	char *kubeadm;                  /* the kubeadm that is shipped, as a runnable copy */
	/* The tools tree's mmdebstrap runs in the background, next to the root file system's. */
	pid_t tools_job;
	char *tools_job_tar;
	char *tools_key;
	int tools_lock;
} Build;

Build *build_free(Build *b);
DEFINE_TRIVIAL_CLEANUP_FUNC(Build *, build_free);

/* build-exec.c: every external command runs through these. Output goes to the build log;
 * on failure the last lines of it are shown. Commands are killed when the build is
 * interrupted (SIGINT, SIGTERM, SIGHUP). */
extern volatile int build_interrupted;
void build_install_signal_handlers(void);
int build_exec(Build *b, const char *what, const char *const *argv, const char *const *env);
int build_exec_capture(Build *b, const char *what, const char *const *argv, const char *const *env,
		       char **ret_output);
/* Start a command in the background (output to the build log) and wait for it. */
int build_exec_start(Build *b, const char *const *argv, const char *const *env, pid_t *ret_pid);
int build_exec_wait(Build *b, const char *what, pid_t pid);
/* Run argv chrooted into the tools tree, with the reproducibility environment set. */
int build_exec_tools(Build *b, const char *what, const char *const *argv);
void build_show_log_tail(Build *b, unsigned lines);
/* The host path of a path inside the work directory, and its name inside the chroot. */
char *build_work_path(Build *b, const char *name);
char *build_tools_path(Build *b, const char *name);

/* verb-build.c: shared by the verbs that run some of the steps (lock, fetch). */
int build_new(Build **ret);
int build_load_profile(Build *b);
/* Run the steps named first..last of the table, in order, with progress. */
int build_run_steps(Build *b, const char *first, const char *last);

/* The steps. */
int step_plan(Build *b);
int step_bundle(Build *b);
int step_store(Build *b);
int step_tools(Build *b);
int step_rootfs(Build *b);
int step_tree(Build *b);
int step_root_image(Build *b);
int step_var_image(Build *b);
int step_esp(Build *b);
int step_disk(Build *b);
int step_manifest(Build *b);

/* tree-files.c: add a file kiln owns to the tree, clamp its time and record its digest. */
int tree_add_file(Build *b, const char *rel, const void *data, size_t size, mode_t mode);
/* Record a file put into the tree otherwise (rel: its path in the image). */
int tree_record_file(Build *b, const char *rel, const char *sha256, uint64_t size, mode_t mode);
int tree_copy_file(Build *b, const char *src, const char *rel, mode_t mode);
int tree_copy_dir(Build *b, const char *src_dir, const char *rel_dir);
int tree_clamp_mtimes(const char *dir, uint64_t epoch);
int tree_link_copy(const char *src, const char *dst);

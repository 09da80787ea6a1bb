/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* One image build: the options it was started with, what the plan derived from the
 * profile, and the paths each step leaves for the next. The steps run in the order of
 * the table in verb-build.c; each reads what the earlier ones set. */

#include <jansson.h>
#include <stdbool.h>
#include <signal.h>
#include <stdint.h>
#include <sys/types.h>

#include "lockfile.h"
#include "package-pins.h"
#include "output-formats.h"
#include "profile.h"
#include "time-util.h"
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
	OutputFormatSet formats;        /* --format; 0: the profile's outputs.formats */
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

	OutputFormatSet formats;        /* what OUTDIR gets (disk.raw is made in any case) */
	uint64_t epoch;                 /* SOURCE_DATE_EPOCH, or the start of the build */
	bool epoch_from_env;
	char *mirror;                   /* the main archive */
	char **apt_sources;             /* "deb URI SUITE main" lines: main, updates, security */
	char **packages;                /* sorted, unique: what mmdebstrap installs */
	ImageIds ids;
	DiskLayout layout;

	char *self_dir;                 /* where kiln-imagegen lives */
	char *data_dir, *payload_dir;
	char *cache_dir;
	char *tools_dir;                /* the cached tools tree the file system tools run in */
	char *box_rootfs_tree;          /* the box's cached root file system, when the box is wanted */
	bool box_rootfs_cached;         /* it exists (not yet checked: the rootfs step does) */
	char *work_dir;                 /* per build, inside the tools tree */
	char *work_in_tools;            /* the same directory as seen from inside the chroot */
	char *output_dir;               /* -o, without trailing slashes */
	char *output_parent;            /* the directory OUTDIR is (to be) in */
	int output_lock;                /* held from the first step to the end: one build per OUTDIR */
	char *output_lock_path;
	char *staging_dir;              /* OUTDIR.partial-XXXXXX, renamed to OUTDIR at the end */
	char *scratch_dir;              /* <cache>/tmp/build-XXXXXX: this build's temporary files */
	int scratch_lock;
	int work_lock;                  /* the work directory's, held while it is in use */
	const char *step;               /* the step running, for messages */
	const char *full_path;          /* the file system a command filled (build_exec_wait) */
	uint64_t images_bytes;          /* the seeded images' blobs, compressed (step-bundle.c) */
	bool tools_cached, rootfs_cached;       /* the trees exist (not yet checked: steps do) */
	uint64_t root_tree_bytes;       /* the cached root file system's size, 0 if not cached */
	char *rootfs_key;
	char *log_path;                 /* every command's output, for the error report */
	int log_fd;

	char *rootfs_tar;               /* cached mmdebstrap output */
	char *rootfs_tree;              /* the same, unpacked once, shared by hard links */
	char *tree_dir, *var_tree_dir, *esp_tree_dir;
	char *kernel_version;
	bool kubernetes_present;
	char *root_image, *var_image, *esp_image;
	char root_sha256[65];           /* the image's identity: printed by the node as it boots */
	char *install_payload_dir;      /* what the installer writes (install-payload.h): iso, pxe */
	char **install_payload_files;   /* its files' names */
	char install_list_sha256[65];   /* its install.list's digest */

	json_t *files;                  /* manifest: files kiln added, path -> {sha256, size, mode} */
	json_t *artifacts;              /* manifest: Kubernetes binaries */
	json_t *partitions;             /* manifest: the partition table */
	json_t *images;                 /* manifest: the seeded images, name -> {digest, ...} */
	json_t *image_addons;           /* image.json: the baked addons, in order (tree-addons.c) */

	/* The bundle (step-bundle.c): what the lock pins and the profile needs. */
	char *lock_path;
	LockFile *lock;
	char **bundle_images;           /* sorted references the store is seeded with */
	char ***bundle_blobs;           /* [i]: the blobs bundle_images[i] needs (registry_image_blobs()) */
	char *kubeadm;                  /* the kubeadm that is shipped, as a runnable copy */
	char *kubeadm_path;             /* the kubeadm to ask: b->kubeadm, or --artifacts' */
	char **kubeadm_images;          /* its control-plane images for the profile (its defaults) */
	/* The cluster's files (step-render.c): paths in the image and their text, in step. */
	char **render_paths;
	char **render_texts;
	/* The tools tree's mmdebstrap runs in the background, next to the root file system's. */
	pid_t tools_job;
	char *tools_job_tar;
	char *tools_key;
	int tools_lock;                 /* the cached trees' locks, shared while the build uses them */
	int rootfs_lock;
} Build;

Build *build_free(Build *b);
DEFINE_TRIVIAL_CLEANUP_FUNC(Build *, build_free);

/* build-exec.c: every external command runs through these, in a session and a PID and
 * mount namespace of its own, under a deadline (see there). Output goes to the build
 * log; on failure the relevant lines of it are shown. Commands are killed when the build
 * is interrupted (SIGINT, SIGTERM, SIGHUP), when their deadline passes (-ETIMEDOUT) and
 * when a file system the build writes stays full (-ENOSPC, b->full_path says which). */
extern volatile sig_atomic_t build_interrupted;
void build_install_signal_handlers(void);

/* Deadlines: far above what each command takes on a slow machine (mmdebstrap from a slow
 * mirror: minutes; mkfs of gigabytes of images: a minute), far below "forever". */
#define BUILD_TIMEOUT_QUICK      (2 * USEC_PER_MINUTE)    /* sfdisk, mmd, mcopy, --version */
#define BUILD_TIMEOUT_MKFS       (20 * USEC_PER_MINUTE)   /* mkfs.erofs, mkfs.ext4, mkfs.vfat */
#define BUILD_TIMEOUT_SEED       (30 * USEC_PER_MINUTE)   /* containerd importing every image */
#define BUILD_TIMEOUT_CONVERT    (20 * USEC_PER_MINUTE)   /* qemu-img convert of the disk */
#define BUILD_TIMEOUT_MMDEBSTRAP (60 * USEC_PER_MINUTE)   /* download and install Debian */

int build_exec(Build *b, const char *what, const char *const *argv, const char *const *env, usec_t timeout);
int build_exec_capture(Build *b, const char *what, const char *const *argv, const char *const *env,
		       char **ret_output);
/* Start a command in the background (output to the build log) and wait for it. */
int build_exec_start(Build *b, const char *const *argv, const char *const *env, usec_t timeout, pid_t *ret_pid);
int build_exec_wait(Build *b, const char *what, pid_t pid);
/* Run argv chrooted into the tools tree, with the reproducibility environment set. */
int build_exec_tools(Build *b, const char *what, const char *const *argv, usec_t timeout);
/* After a tool exited 0: path must exist and not be empty, else the tool is named. */
int build_expect_output(Build *b, const char *tool, const char *path);
void build_show_log_tail(Build *b, unsigned lines);
/* The host path of a path inside the work directory, and its name inside the chroot. */
char *build_work_path(Build *b, const char *name);
char *build_tools_path(Build *b, const char *name);

/* build-output.c: OUTDIR checked and locked before the first step (refused there when it
 * is not kiln's to replace), the staging directory made; moved into place at the end;
 * the lock released and anything unpublished removed when the build ends. */
int build_output_prepare(Build *b);
int build_output_publish(Build *b);
void build_output_release(Build *b);

/* verb-build.c: shared by the verbs that run some of the steps (lock, fetch). */
int build_new(Build **ret);
int build_load_profile(Build *b);
/* Run the steps named first..last of the table, in order, with progress. */
int build_run_steps(Build *b, const char *first, const char *last);

/* step-bundle.c: the kubeadm that ships, runnable (b->kubeadm_path): from --artifacts, else
 * a copy of the one the lock pins out of the cache. */
int bundle_find_kubeadm(Build *b);
/* step-plan.c: the cache directory (--cache, else $XDG_CACHE_HOME/kiln, ~/.cache/kiln),
 * created. */
int plan_cache_dir(Build *b);

/* step-rootfs.c: the cache keys and paths of the tools tree and the root file system, and
 * whether they are cached (for the plan's space check). */
int cached_trees_locate(Build *b);
/* The Vagrant box's root file system (b->box_rootfs_tree): the node's packages and
 * box_packages, cached under its own key, made if missing (0) or found (1); its lock held shared in
 * *ret_lock. */
int rootfs_box_make(Build *b, int *ret_lock);
/* What mmdebstrap would install today for a set (package-pins.h), simulated: sorted
 * "NAME VERSION" strings, for kiln.lock. */
int rootfs_resolve(Build *b, PackageSet set, char ***ret);

/* step-images.c: the profile's kernel.cmdline, each argument preceded by a space ("" if none). */
int build_profile_cmdline(Build *b, char **ret);
/* build-output.c: move a finished output file from the work directory into OUTDIR's
 * staging directory as name (a rename, or a sparse copy across file systems), synced. */
int build_output_move_in(Build *b, const char *src, const char *name);

/* The steps. */
int step_plan(Build *b);
int step_bundle(Build *b);
int step_render(Build *b);
int step_store(Build *b);
int step_tools(Build *b);
int step_rootfs(Build *b);
int step_tree(Build *b);
int step_root_image(Build *b);
int step_var_image(Build *b);
int step_esp(Build *b);
int step_disk(Build *b);
int step_install_payload(Build *b);
int step_iso(Build *b);
int step_pxe(Build *b);
int step_qcow2(Build *b);
int step_box(Build *b);
int step_outputs(Build *b);
int step_manifest(Build *b);

/* manifest-outputs.c: manifest.json's "outputs": every file of OUTDIR the formats made,
 * name -> {format, sha256, size} (and virtualSize for qcow2). */
int manifest_outputs(Build *b, json_t **ret);

/* tree-files.c: add a file kiln owns to the tree, clamp its time and record its digest. */
int tree_add_file(Build *b, const char *rel, const void *data, size_t size, mode_t mode);
/* Record a file put into the tree otherwise (rel: its path in the image). */
int tree_record_file(Build *b, const char *rel, const char *sha256, uint64_t size, mode_t mode);
int tree_copy_file(Build *b, const char *src, const char *rel, mode_t mode);
/* The same, returning the SHA-256 of what was copied. */
int tree_copy_file_digest(Build *b, const char *src, const char *rel, mode_t mode, char ret_sha256[static 65]);
int tree_copy_dir(Build *b, const char *src_dir, const char *rel_dir);
int tree_clamp_mtimes(const char *dir, uint64_t epoch);
/* Enable a unit of the tree as "systemctl enable" would, from its [Install] section
 * (unit_path: where to read it; unit_name: its name under /usr/lib/systemd/system). */
int tree_enable_unit(Build *b, const char *unit_path, const char *unit_name);
/* initrd-confine.c: append a static kiln-confine and the installer's security profiles to
 * the initrd at path, as a second cpio archive (replacing the file, never writing into it). */
int initrd_append_confinement(Build *b, const char *initrd);
/* tree-network.c: the node's network configuration (systemd-networkd, systemd-resolved). */
int tree_network(Build *b);
int tree_link_copy(const char *src, const char *dst);
/* tree-addons.c: each addon's manifests under /usr/lib/kiln/addons, b->image_addons for
 * image.json. */
int tree_addons(Build *b);
/* tree-pod-seccomp.c: the pods' Localhost seccomp profiles, as OCI JSON. */
int tree_pod_seccomp(Build *b);
/* The width of the numbers that order count entries: 2, or more past 99. */
int tree_addon_number_width(size_t count);
/* The file name manifest index (from 0) of count gets in its addon's directory:
 * "<NN>-<base name of the path or URL>", with ".yaml" added unless it ends in .yaml,
 * .yml or .json (kubectl apply -f DIR reads no other), other characters than letters,
 * digits, '.', '_' and '-' made '-'. */
int tree_addon_file_name(const char *source, size_t index, size_t count, char **ret);
/* What kubectl apply -n namespace -f would refuse in one manifest (source names it in
 * messages): not a manifest, an object without metadata.name, an object in another
 * namespace. -EBADMSG with "SOURCE:LINE: what" in *ret_error. */
int tree_addon_check(const char *namespace, const char *source, const char *text, size_t size, char **ret_error);

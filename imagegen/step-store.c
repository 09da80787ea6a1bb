/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The store step: seed the image's /var/lib/containerd with every image of the bundle,
 * so that the first boot imports nothing. The image's own containerd and ctr do the work
 * (chrooted into the tree, in a private mount and PID namespace), so the store is in the
 * exact format the node's containerd expects: images in namespace k8s.io under the names
 * the CRI looks up, pinned, unpacked for the overlayfs snapshotter.
 *
 * Then the two bbolt databases containerd wrote are rewritten (lib/bolt.c): compact, in
 * key order, with creation and update times clamped to the build's epoch, so that the
 * seeded store is as reproducible as the rest of the image. A byte copy of them goes into
 * the read-only root, for kiln-store-check to restore from if the node's copy is lost. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bolt.h"
#include "build.h"
#include "bundle.h"
#include "fd-util.h"
#include "fileio.h"
#include "hash.h"
#include "log.h"
#include "oci-archive.h"
#include "strv.h"

/* The databases under /var/lib/containerd, and the keys whose values are times. */
static const char *const store_databases[] = {
	"io.containerd.metadata.v1.bolt/meta.db",
	"io.containerd.snapshotter.v1.overlayfs/metadata.db",
};
static char *const store_time_keys[] = { "createdat", "updatedat", NULL };

#define STORE_SEED_DIR "/usr/lib/kiln/containerd-seed"
#define STORE_ARCHIVE_DIR "/usr/lib/kiln/images"

/* Run as: sh -c SCRIPT sh TREE VAR WORK PLATFORM INDEX NAME... (INDEX: the archive's
 * index.json digest, as oci_archive_index_digest() computes it)
 * containerd gets its own configuration: the CRI plugin off (it would want cgroups and
 * networking, and writes state of its own), the rest as on the node. The socket is
 * polled for at most 30 s. */
static const char seed_script[] =
	"set -eu\n"
	"tree=$1 var=$2 work=$3 platform=$4 index=${5#sha256:}; shift 5\n"
	"mount --bind \"$var\" \"$tree/var\"\n"
	"mount -t proc proc \"$tree/proc\"\n"
	"mount -t tmpfs -o mode=0755 tmpfs \"$tree/run\"\n"
	"mount -t tmpfs -o mode=1777 tmpfs \"$tree/tmp\"\n"
	"mkdir \"$tree/run/kiln-seed\"\n"
	"mount --bind \"$work\" \"$tree/run/kiln-seed\"\n"
	"cat >\"$tree/run/kiln-seed.toml\" <<EOF\n"
	"version = 2\n"
	"root = \"/var/lib/containerd\"\n"
	"state = \"/run/containerd\"\n"
	"disabled_plugins = [\"io.containerd.grpc.v1.cri\"]\n"
	"[grpc]\n"
	"  address = \"/run/containerd/containerd.sock\"\n"
	"EOF\n"
	"chroot \"$tree\" /usr/bin/containerd --config /run/kiln-seed.toml --log-level warn &\n"
	"pid=$!\n"
	"trap 'kill $pid 2>/dev/null || :' EXIT\n"
	"i=0\n"
	"until chroot \"$tree\" ctr version >/dev/null 2>&1; do\n"
	"  i=$((i + 1)); [ $i -lt 300 ] || { echo 'containerd did not start within 30 s' >&2; exit 1; }\n"
	"  kill -0 $pid || { echo 'containerd exited' >&2; exit 1; }\n"
	"  sleep 0.1\n"
	"done\n"
	/* --local: ctr unpacks one image after the other, one layer after the other, so the
	 * snapshot sequence numbers (in the databases and the snapshot directories' names)
	 * are the same in every build; the transfer service may unpack concurrently. */
	"chroot \"$tree\" ctr -n k8s.io images import --local --platform \"$platform\" --snapshotter overlayfs \\\n"
	"  /run/kiln-seed/images.tar\n"
	"for name; do\n"
	"  chroot \"$tree\" ctr -n k8s.io images label \"$name\" io.cri-containerd.pinned=pinned >/dev/null\n"
	"done\n"
	/* The import keeps the archive's index.json as a blob no image refers to, until the
	 * garbage collector gets to it, or not, before containerd stops: remove its record
	 * now and its file after the stop, so the store is the same in every build. */
	"chroot \"$tree\" ctr -n k8s.io content rm \"sha256:$index\" >/dev/null 2>&1 || :\n"
	"chroot \"$tree\" ctr -n k8s.io images ls\n"
	"kill $pid; wait $pid || :\n"
	"trap - EXIT\n"
	/* containerd's instance UUID (introspection): random, and each node's own. */
	"rm -f \"$var/lib/containerd/io.containerd.grpc.v1.introspection/uuid\"\n"
	"rm -f \"$var/lib/containerd/io.containerd.content.v1.content/blobs/sha256/$index\"\n";

typedef struct StoreImage {
	char *reference;
	char *name;
	char **blobs;
} StoreImage;

static void store_images_free(StoreImage *images, size_t n) {
	for (size_t i = 0; i < n; i++) {
		free(images[i].reference);
		free(images[i].name);
		strv_free(images[i].blobs);
	}
	free(images);
}

static int store_write_archive(Build *b, StoreImage *images, size_t n, const char *path, char **ret_index_digest) {
	_cleanup_free_ OciArchiveImage *entries = calloc(n, sizeof(OciArchiveImage));
	_cleanup_free_ char *error = NULL;
	_cleanup_close_ int fd = -EBADF;
	int r;

	if (!entries)
		return log_oom();
	for (size_t i = 0; i < n; i++) {
		const LockEntry *e = lock_file_find(b->lock, LOCK_IMAGE, images[i].reference);
		entries[i] = (OciArchiveImage) {
			.name = images[i].name, .digest = e->digest, .media_type = e->media_type,
			.size = e->size, .blobs = images[i].blobs,
		};
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return log_error_errno(-errno, "Cannot create %s: %m", path);
	r = oci_archive_write(fd, b->cache_dir, entries, n, b->epoch, &error);
	if (r < 0)
		return log_error_errno(r, "Cannot write the image archive: %s", error ?: strerror(-r));
	r = oci_archive_index_digest(entries, n, ret_index_digest);
	if (r < 0)
		return log_error_errno(r, "Cannot compute the archive's index digest: %m");
	return 0;
}

/* Rewrite one database in place (through a temporary file) and put a copy into the
 * root's seed directory. */
static int store_rewrite_database(Build *b, const char *rel) {
	_cleanup_free_ char *path = NULL, *tmp = NULL, *error = NULL, *seed = NULL;
	_cleanup_close_ int in = -EBADF, out = -EBADF;
	const BoltRewriteOptions o = { .time_keys = store_time_keys, .clamp_seconds = (int64_t) b->epoch };
	int r;

	if (asprintf(&path, "%s/lib/containerd/%s", b->var_tree_dir, rel) < 0 || asprintf(&tmp, "%s.kiln-new", path) < 0 ||
	    asprintf(&seed, STORE_SEED_DIR "/%s", rel) < 0)
		return log_oom();
	in = open(path, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return log_error_errno(-errno, "containerd left no %s: %m", path);
	out = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (out < 0)
		return log_error_errno(-errno, "Cannot create %s: %m", tmp);
	r = bolt_rewrite(in, out, &o, &error);
	if (r >= 0 && fsync(out) < 0)
		r = -errno;
	if (r >= 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0) {
		(void) unlink(tmp);
		return log_error_errno(r, "Cannot rewrite %s: %s", path, error ?: strerror(-r));
	}
	r = tree_copy_file(b, path, seed, 0600);
	if (r < 0)
		return log_error_errno(r, "Cannot copy %s into the root: %m", path);
	return 0;
}

/* containerd.importAtFirstBoot: no seeded store, the archive itself goes into the root
 * for kiln-images-import.service, with the names to pin. */
static int store_ship_archive(Build *b, StoreImage *images, size_t n, const char *archive) {
	_cleanup_free_ char *names = NULL, *dst = NULL, *digest = NULL;
	size_t size = 0;
	struct stat st;
	int r;

	FILE *f = open_memstream(&names, &size);
	if (!f)
		return log_oom();
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s\n", images[i].name);
	if (fclose(f) != 0)
		return log_oom();
	r = tree_add_file(b, STORE_ARCHIVE_DIR "/names", names, size, 0644);
	if (r < 0)
		return log_error_errno(r, "Cannot write the image names: %m");
	if (asprintf(&dst, "%s" STORE_ARCHIVE_DIR "/images.tar", b->tree_dir) < 0)
		return log_oom();
	/* Moved, not read into memory: image archives are large. */
	if (rename(archive, dst) < 0 || chmod(dst, 0644) < 0 || stat(dst, &st) < 0)
		return log_error_errno(-errno, "Cannot move the image archive into the tree: %m");
	r = hash_file(HASH_SHA256, dst, &digest);
	if (r < 0)
		return log_error_errno(r, "Cannot hash %s: %m", dst);
	r = tree_record_file(b, STORE_ARCHIVE_DIR "/images.tar", digest, (uint64_t) st.st_size, 0644);
	if (r < 0)
		return log_oom();
	log_info("Containerd store: not seeded (containerd.importAtFirstBoot); %zu images in %s, imported once at the first boot.",
		 n, STORE_ARCHIVE_DIR "/images.tar");
	return tree_clamp_mtimes(b->tree_dir, b->epoch);
}

int step_store(Build *b) {
	const char *platform = bundle_platform(b->profile);
	_cleanup_free_ char *archive = NULL, *index_digest = NULL;
	_cleanup_free_ const char **argv = NULL;
	StoreImage *images = NULL;
	size_t n = strv_length(b->bundle_images);
	int r = 0;

	if (n == 0) {
		log_info("Containerd store: nothing to seed.");
		return 0;
	}
	images = calloc(n, sizeof(StoreImage));
	if (!images)
		return log_oom();
	for (size_t i = 0; i < n && r >= 0; i++) {
		const LockEntry *e = lock_file_find(b->lock, LOCK_IMAGE, b->bundle_images[i]);
		/* The bundle step listed each image's blobs when it checked they are cached. */
		images[i].blobs = TAKE_PTR(b->bundle_blobs[i]);
		if (!(images[i].reference = strdup(b->bundle_images[i])) || bundle_seed_name(images[i].reference, &images[i].name) < 0)
			r = log_oom();
		else if (json_object_set_new(b->images, images[i].name,
					     json_pack("{s:s, s:s, s:s}", "digest", e->digest, "platformDigest",
						       e->platform_digest, "reference", images[i].reference)) < 0)
			r = log_oom();
	}
	if (r >= 0 && !(archive = build_work_path(b, "images.tar")))
		r = log_oom();
	if (r >= 0)
		r = store_write_archive(b, images, n, archive, &index_digest);
	if (r < 0)
		goto finish;

	/* sh -c SCRIPT sh TREE VAR WORK PLATFORM INDEX NAME..., in a mount and PID namespace
	 * of its own (build_exec()): its mounts and containerd end with it. */
	size_t k = 0;
	argv = calloc(n + 16, sizeof(char *));
	if (!argv) {
		r = log_oom();
		goto finish;
	}
	argv[k++] = "sh";
	argv[k++] = "-c";
	argv[k++] = seed_script;
	argv[k++] = "sh";
	argv[k++] = b->tree_dir;
	argv[k++] = b->var_tree_dir;
	argv[k++] = b->work_dir;
	argv[k++] = platform;
	argv[k++] = index_digest;
	for (size_t i = 0; i < n; i++)
		argv[k++] = images[i].name;
	argv[k] = NULL;
	if (b->profile->containerd.import_at_first_boot) {
		r = store_ship_archive(b, images, n, archive);
		goto finish;
	}
	r = build_exec(b, "containerd (seeding the image store)", argv, NULL, BUILD_TIMEOUT_SEED);
	(void) unlink(archive);
	if (r < 0)
		goto finish;

	for (size_t i = 0; i < ELEMENTSOF(store_databases) && r >= 0; i++)
		r = store_rewrite_database(b, store_databases[i]);
	if (r >= 0 && ((r = tree_clamp_mtimes(b->var_tree_dir, b->epoch)) < 0 || (r = tree_clamp_mtimes(b->tree_dir, b->epoch)) < 0))
		log_error_errno(r, "Cannot clamp the store's times: %m");
	if (r >= 0)
		log_info("Containerd store: %zu images seeded, pinned and unpacked.", n);
finish:
	store_images_free(images, n);
	return r;
}

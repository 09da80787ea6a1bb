/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <jansson.h>   /* also json_decrefp(), for the cleanup attribute */

#include "archive-cleanup.h"
#include "fd-util.h"
#include "blob-cache.h"
#include "hash.h"
#include "macro.h"
#include "oci-archive.h"
#include "strv.h"

#define COPY_BUFFER_SIZE (64U * 1024U)

#define OCI_INDEX_MEDIA_TYPE "application/vnd.oci.image.index.v1+json"
#define OCI_LAYOUT_CONTENT "{\"imageLayoutVersion\":\"1.0.0\"}"
#define ANNOTATION_IMAGE_NAME "io.containerd.image.name"
#define ANNOTATION_REF_NAME "org.opencontainers.image.ref.name"


/* Where the tar goes. Once something failed, nothing more reaches the fd: libarchive
 * would otherwise pad the entry in progress and end the archive when it is closed, and a
 * broken archive would look whole. (archive_write_fail() would do that too, but then
 * libarchive 3.6 leaks its output buffer.) */
typedef struct Output {
	int fd;
	bool discard;
} Output;

static la_ssize_t output_write(struct archive *a, void *userdata, const void *buf, size_t n) {
	Output *o = userdata;

	if (o->discard) {
		archive_set_error(a, ECANCELED, "output discarded");
		return -1;
	}
	for (;;) {
		ssize_t k = write(o->fd, buf, n);

		if (k >= 0)
			return k;   /* libarchive calls again for the rest of a short write */
		if (errno != EINTR) {
			archive_set_error(a, errno, "write");
			return -1;
		}
	}
}

/* The digest algorithms the OCI image spec registers (descriptor.md). */
typedef struct DigestAlgorithm {
	const char *name;
	HashType type;
} DigestAlgorithm;

static const DigestAlgorithm digest_algorithms[] = {
	{ "sha256", HASH_SHA256 },
	{ "sha512", HASH_SHA512 },
};

/* What goes into the tar, sorted by path before anything is written. */
typedef enum EntryKind {
	ENTRY_DIRECTORY,
	ENTRY_BLOB,
	ENTRY_INDEX,
	ENTRY_LAYOUT,
} EntryKind;

typedef struct Entry {
	char *path;                      /* for blobs also the path below the cache directory */
	EntryKind kind;
	const char *digest;              /* ENTRY_BLOB */
	const DigestAlgorithm *algo;     /* ENTRY_BLOB */
} Entry;

typedef struct Writer {
	struct archive *archive;
	int cache_fd;
	time_t mtime;
	const OciArchiveImage *images;
	size_t n_images;
	const char *index_json;
	char **error;                    /* the caller's ret_error, may be NULL */
} Writer;

_printf_(3, 4) static int fail(char **ret_error, int r, const char *fmt, ...) {
	va_list ap;
	char *msg;

	if (!ret_error)
		return r;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) >= 0)   /* out of memory: the errno alone */
		*ret_error = msg;
	va_end(ap);
	return r;
}

static int archive_error(struct archive *a) {
	int e = archive_errno(a);
	return e > 0 ? -e : -EIO;
}

static const DigestAlgorithm *parse_digest(const char *digest) {
	if (!digest)
		return NULL;
	for (size_t i = 0; i < ELEMENTSOF(digest_algorithms); i++) {
		const DigestAlgorithm *d = &digest_algorithms[i];
		size_t len = strlen(d->name);
		const char *hex = digest + len + 1;

		if (!strneq(digest, d->name, len) || digest[len] != ':')
			continue;
		if (strlen(hex) != 2 * hash_size(d->type) || strspn(hex, "0123456789abcdef") != strlen(hex))
			return NULL;
		return d;
	}
	return NULL;
}

/* The tag of a reference, NULL if it has none; *ret_empty when it ends in ':'. */
static char *reference_tag(const char *name, bool *ret_empty) {
	size_t n = strcspn(name, "@");
	const char *slash = memrchr(name, '/', n), *colon = memrchr(name, ':', n);

	*ret_empty = false;
	if (!colon || (slash && colon < slash))
		return NULL;
	*ret_empty = colon + 1 == name + n;
	return strndup(colon + 1, n - (size_t) (colon + 1 - name));
}

static int compare_image_names(const void *a, const void *b) {
	return strcmp((*(const OciArchiveImage *const *) a)->name, (*(const OciArchiveImage *const *) b)->name);
}

static int compare_entries(const void *a, const void *b) {
	return strcmp(((const Entry *) a)->path, ((const Entry *) b)->path);
}

/* Everything is checked before a byte is written. */
static int validate(const OciArchiveImage *const *sorted, size_t n, char **ret_error) {
	if (n == 0)
		return fail(ret_error, -EINVAL, "no images to write");
	for (size_t i = 0; i < n; i++) {
		const OciArchiveImage *img = sorted[i];
		_cleanup_free_ char *tag = NULL;
		bool empty_tag;

		if (isempty(img->name))
			return fail(ret_error, -EINVAL, "an image without a name");
		if (i > 0 && streq(img->name, sorted[i - 1]->name))
			return fail(ret_error, -EINVAL, "image %s is listed twice", img->name);
		tag = reference_tag(img->name, &empty_tag);
		if (empty_tag)
			return fail(ret_error, -EINVAL, "image %s: the reference ends in ':'", img->name);
		if (isempty(img->media_type))
			return fail(ret_error, -EINVAL, "image %s: no media type", img->name);
		if (img->size > INT64_MAX)
			return fail(ret_error, -EINVAL, "image %s: size %llu is too large", img->name,
				    (unsigned long long) img->size);
		if (!parse_digest(img->digest))
			return fail(ret_error, -EINVAL, "image %s: malformed digest \"%s\"", img->name,
				    img->digest ?: "");
		if (!strv_contains(img->blobs, img->digest))
			return fail(ret_error, -EINVAL, "image %s: its top digest %s is not among its blobs",
				    img->name, img->digest);
		STRV_FOREACH(b, img->blobs)
			if (!parse_digest(*b))
				return fail(ret_error, -EINVAL, "image %s: malformed blob digest \"%s\"", img->name, *b);
	}
	return 0;
}

static int json_set_new(json_t *o, const char *key, json_t *v) {
	/* json_object_set_new() takes v even on failure; NULL means an allocation failed. */
	return v && json_object_set_new(o, key, v) == 0 ? 0 : -ENOMEM;
}

static int image_descriptor(const OciArchiveImage *img, json_t **ret) {
	_cleanup_(json_decrefp) json_t *d = json_object(), *annotations = json_object();
	_cleanup_free_ char *tag = NULL;
	bool empty_tag;
	int r;

	if (!d || !annotations)
		return -ENOMEM;
	tag = reference_tag(img->name, &empty_tag);
	if ((r = json_set_new(annotations, ANNOTATION_IMAGE_NAME, json_string(img->name))) < 0 ||
	    (tag && (r = json_set_new(annotations, ANNOTATION_REF_NAME, json_string(tag))) < 0) ||
	    (r = json_set_new(d, "mediaType", json_string(img->media_type))) < 0 ||
	    (r = json_set_new(d, "digest", json_string(img->digest))) < 0 ||
	    (r = json_set_new(d, "size", json_integer((json_int_t) img->size))) < 0 ||
	    (r = json_set_new(d, "annotations", TAKE_PTR(annotations))) < 0)
		return r;
	*ret = TAKE_PTR(d);
	return 0;
}

/* index.json: compact, keys sorted, descriptors in the (sorted) order given. */
static int index_json(const OciArchiveImage *const *sorted, size_t n, char **ret) {
	_cleanup_(json_decrefp) json_t *index = json_object(), *manifests = json_array();
	char *text;
	int r;

	if (!index || !manifests)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		json_t *d = NULL;

		r = image_descriptor(sorted[i], &d);
		if (r < 0)
			return r;
		if (json_array_append_new(manifests, d) < 0)
			return -ENOMEM;
	}
	if ((r = json_set_new(index, "schemaVersion", json_integer(2))) < 0 ||
	    (r = json_set_new(index, "mediaType", json_string(OCI_INDEX_MEDIA_TYPE))) < 0 ||
	    (r = json_set_new(index, "manifests", TAKE_PTR(manifests))) < 0)
		return r;
	text = json_dumps(index, JSON_COMPACT | JSON_SORT_KEYS);
	if (!text)
		return -ENOMEM;
	*ret = text;
	return 0;
}

static void entries_free(Entry *e, size_t n) {
	for (size_t i = 0; i < n; i++)
		free(e[i].path);
	free(e);
}

static int entry_add(Entry *e, size_t *n, EntryKind kind, const char *path, const char *digest,
		     const DigestAlgorithm *algo) {
	char *p = strdup(path);

	if (!p)
		return -ENOMEM;
	e[(*n)++] = (Entry) { .path = p, .kind = kind, .digest = digest, .algo = algo };
	return 0;
}

/* Every entry of the archive, sorted by path. The digests are borrowed from blobs. */
static int collect_entries(char **blobs, Entry **ret, size_t *ret_n) {
	size_t n_blobs = strv_length(blobs), n = 0;
	Entry *e;
	int r = 0;

	/* "blobs/", one directory per algorithm, the blobs, index.json, oci-layout. */
	e = calloc(n_blobs + 1 + ELEMENTSOF(digest_algorithms) + 2, sizeof(Entry));
	if (!e)
		return -ENOMEM;
	if ((r = entry_add(e, &n, ENTRY_DIRECTORY, "blobs/", NULL, NULL)) < 0 ||
	    (r = entry_add(e, &n, ENTRY_INDEX, "index.json", NULL, NULL)) < 0 ||
	    (r = entry_add(e, &n, ENTRY_LAYOUT, "oci-layout", NULL, NULL)) < 0)
		goto fail;
	for (size_t i = 0; i < ELEMENTSOF(digest_algorithms); i++) {
		const DigestAlgorithm *d = &digest_algorithms[i];
		bool used = false;
		char dir[32];

		STRV_FOREACH(b, blobs) {
			_cleanup_free_ char *path = NULL;

			if (parse_digest(*b) != d)
				continue;
			used = true;
			if (asprintf(&path, "blobs/%s/%s", d->name, *b + strlen(d->name) + 1) < 0) {
				path = NULL;
				r = -ENOMEM;
				goto fail;
			}
			if ((r = entry_add(e, &n, ENTRY_BLOB, path, *b, d)) < 0)
				goto fail;
		}
		(void) snprintf(dir, sizeof dir, "blobs/%s/", d->name);
		if (used && (r = entry_add(e, &n, ENTRY_DIRECTORY, dir, NULL, NULL)) < 0)
			goto fail;
	}
	qsort(e, n, sizeof(Entry), compare_entries);
	*ret = e;
	*ret_n = n;
	return 0;
fail:
	entries_free(e, n);
	return r;
}

static int write_header(Writer *w, const char *path, mode_t type, uint64_t size) {
	_cleanup_(archive_entry_freep) struct archive_entry *e = archive_entry_new();

	if (!e)
		return -ENOMEM;
	/* Only what is set here is stored: no atime, ctime, user or group names. */
	archive_entry_set_pathname(e, path);
	archive_entry_set_filetype(e, type);
	archive_entry_set_perm(e, type == AE_IFDIR ? 0755 : 0644);
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	archive_entry_set_size(e, (la_int64_t) size);
	archive_entry_set_mtime(e, w->mtime, 0);
	return archive_write_header(w->archive, e) == ARCHIVE_OK ? 0 : archive_error(w->archive);
}

static int write_text(Writer *w, const char *path, const char *text) {
	size_t len = strlen(text);
	int r;

	r = write_header(w, path, AE_IFREG, len);
	if (r < 0)
		return r;
	if (archive_write_data(w->archive, text, len) != (la_ssize_t) len)
		return archive_error(w->archive);
	return 0;
}

/* The size an image's descriptor gives the blob, if it is an image's top blob. */
static const OciArchiveImage *top_of(const Writer *w, const char *digest) {
	for (size_t i = 0; i < w->n_images; i++)
		if (streq(w->images[i].digest, digest))
			return &w->images[i];
	return NULL;
}

static int copy_blob(Writer *w, const Entry *b) {
	_cleanup_(hash_context_freep) HashContext *ctx = NULL;
	_cleanup_free_ uint8_t *buf = NULL;
	_cleanup_free_ char *hex = NULL;
	_cleanup_close_ int fd = -EBADF;
	const OciArchiveImage *top;
	uint8_t md[HASH_SIZE_MAX];
	size_t md_len = 0;
	uint64_t left;
	struct stat st;
	int r;

	fd = openat(w->cache_fd, b->path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 || fstat(fd, &st) < 0)
		return fail(w->error, negative_errno(), "blob %s: cannot open %s in the cache: %m", b->digest, b->path);
	if (!S_ISREG(st.st_mode))
		return fail(w->error, S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL,
			    "blob %s: %s in the cache is not a regular file", b->digest, b->path);
	top = top_of(w, b->digest);
	if (top && (uint64_t) st.st_size != top->size)
		return fail(w->error, -EBADMSG, "image %s: its top blob %s is %llu bytes in the cache, its descriptor says %llu",
			    top->name, b->digest, (unsigned long long) st.st_size, (unsigned long long) top->size);

	buf = malloc(COPY_BUFFER_SIZE);
	if (!buf)
		return -ENOMEM;
	r = hash_context_new(b->algo->type, &ctx);
	if (r < 0)
		return r;

	r = write_header(w, b->path, AE_IFREG, (uint64_t) st.st_size);
	if (r < 0)
		return r;
	for (left = (uint64_t) st.st_size; left > 0; ) {
		ssize_t k = read(fd, buf, MIN(left, (uint64_t) COPY_BUFFER_SIZE));

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return fail(w->error, negative_errno(), "blob %s: cannot read %s in the cache: %m", b->digest, b->path);
		if (k == 0)
			return fail(w->error, -EBADMSG, "blob %s: %s in the cache shrank while it was copied", b->digest, b->path);
		if ((r = hash_context_update(ctx, buf, (size_t) k)) < 0)
			return r;
		if (archive_write_data(w->archive, buf, (size_t) k) != k)
			return archive_error(w->archive);
		left -= (uint64_t) k;
	}
	r = hash_context_final(ctx, md, &md_len);
	if (r < 0)
		return r;
	r = hexmem(md, md_len, &hex);
	if (r < 0)
		return r;
	if (!streq(hex, b->digest + strlen(b->algo->name) + 1))
		return fail(w->error, -EBADMSG, "blob %s: %s in the cache hashes to %s:%s", b->digest, b->path,
			    b->algo->name, hex);
	return 0;
}

static int write_entry(Writer *w, const Entry *e) {
	switch (e->kind) {
	case ENTRY_DIRECTORY:
		return write_header(w, e->path, AE_IFDIR, 0);
	case ENTRY_BLOB:
		return copy_blob(w, e);
	case ENTRY_INDEX:
		return write_text(w, e->path, w->index_json);
	case ENTRY_LAYOUT:
		return write_text(w, e->path, OCI_LAYOUT_CONTENT);
	}
	return -EINVAL;
}

static int write_entries(Writer *w, const Entry *entries, size_t n) {
	for (size_t i = 0; i < n; i++) {
		int r = write_entry(w, &entries[i]);
		if (r < 0)
			return r;
	}
	return archive_write_close(w->archive) == ARCHIVE_OK ? 0 : archive_error(w->archive);
}

static int write_archive(Writer *w, int out_fd, const Entry *entries, size_t n) {
	Output out = { .fd = out_fd };
	struct archive *a = archive_write_new();
	int r;

	if (!a)
		return -ENOMEM;
	/* pax_restricted writes plain ustar headers unless an entry needs more (a path over
	 * 100 bytes such as a sha512 blob, an mtime past 2242); no padding after the two
	 * end-of-archive blocks, so a pipe and a file get the same bytes. */
	if (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK)
		r = -ENOMEM;
	else if (archive_write_open2(a, &out, NULL, output_write, NULL, NULL) != ARCHIVE_OK)
		r = archive_error(a);
	else {
		w->archive = a;
		r = write_entries(w, entries, n);
	}
	if (r < 0) {
		/* Closing frees libarchive's buffers; with the output discarded it writes
		 * nothing more. */
		out.discard = true;
		(void) archive_write_close(a);
	}
	(void) archive_write_free(a);
	w->archive = NULL;
	return r;
}

/* The images by name: the order of index.json. */
static int sort_images(const OciArchiveImage *images, size_t n, const OciArchiveImage ***ret) {
	const OciArchiveImage **sorted = calloc(MAX(n, (size_t) 1), sizeof(*sorted));
	if (!sorted)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		sorted[i] = &images[i];
	qsort(sorted, n, sizeof(*sorted), compare_image_names);
	*ret = sorted;
	return 0;
}

int oci_archive_index_digest(const OciArchiveImage *images, size_t n_images, char **ret_digest) {
	_cleanup_free_ const OciArchiveImage **sorted = NULL;
	_cleanup_free_ char *index = NULL;
	int r;

	if (!images && n_images > 0)
		return -EINVAL;
	if ((r = sort_images(images, n_images, &sorted)) < 0 || (r = index_json(sorted, n_images, &index)) < 0)
		return r;
	return blob_digest_buffer(HASH_SHA256, index, strlen(index), ret_digest);
}

int oci_archive_write(int out_fd, const char *cache_dir, const OciArchiveImage *images,
		      size_t n_images, uint64_t epoch, char **ret_error) {
	_cleanup_free_ const OciArchiveImage **sorted = NULL;
	_cleanup_strv_free_ char **blobs = NULL;
	_cleanup_free_ char *index = NULL;
	_cleanup_close_ int cache_fd = -EBADF;
	Entry *entries = NULL;
	size_t n_entries = 0;
	int r;

	if (out_fd < 0 || !cache_dir || (!images && n_images > 0) || epoch > INT64_MAX)
		return -EINVAL;

	r = sort_images(images, n_images, &sorted);
	if (r < 0)
		return r;
	r = validate(sorted, n_images, ret_error);
	if (r < 0)
		return r;

	for (size_t i = 0; i < n_images; i++)
		STRV_FOREACH(b, images[i].blobs)
			if (strv_extend(&blobs, *b) < 0)
				return -ENOMEM;
	strv_sort_unique(blobs);

	r = index_json(sorted, n_images, &index);
	if (r < 0)
		return r;

	cache_fd = open(cache_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cache_fd < 0)
		return fail(ret_error, negative_errno(), "cannot open the blob cache %s: %m", cache_dir);

	r = collect_entries(blobs, &entries, &n_entries);
	if (r < 0)
		return r;
	Writer w = {
		.cache_fd = cache_fd,
		.mtime = (time_t) epoch,
		.images = images,
		.n_images = n_images,
		.index_json = index,
		.error = ret_error,
	};
	r = write_archive(&w, out_fd, entries, n_entries);
	entries_free(entries, n_entries);
	return r;
}

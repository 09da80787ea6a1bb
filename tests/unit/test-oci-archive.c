/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* oci_archive_write(): a blob cache in a temporary directory, the archive written to a
 * memfd and read back with libarchive (entries, order, metadata, bytes, index.json), the
 * raw tar headers inspected for anything beyond plain ustar, the same bytes on a second
 * run, in another image order and through a pipe; then corrupt, missing and mismatched
 * blobs and bad arguments. The real "ctr images import" of such an archive is
 * tests/integration/test-oci-archive.sh. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "fd-util.h"
#include "hash.h"
#include "blob-cache.h"
#include "oci-archive.h"
#include "tap.h"

#define EPOCH UINT64_C(1700000000)
#define SHA256_ABC "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

static char *tmp, *cache;

/* The blobs of the test cache: content, and digest once written. */
typedef struct Blob {
	HashType type;
	const char *content;
	char digest[8 + 2 * HASH_SIZE_MAX];
} Blob;

static Blob blobs[] = {
	{ HASH_SHA256, "abc" },                                  /* 0: a layer, known vector */
	{ HASH_SHA256, "{\"architecture\":\"amd64\"}" },         /* 1: pause config */
	{ HASH_SHA256, "{\"schemaVersion\":2,\"pause\":1}" },     /* 2: pause manifest */
	{ HASH_SHA256, "second layer" },                         /* 3 */
	{ HASH_SHA256, "{\"schemaVersion\":2,\"coredns\":1}" },   /* 4: coredns index */
	{ HASH_SHA512, "a blob under a long sha512 path" },      /* 5 */
};

static int write_blob(Blob *b) {
	uint8_t md[HASH_SIZE_MAX];
	char hex[2 * HASH_SIZE_MAX + 1], path[4096];
	size_t len;

	if (hash_buffer(b->type, b->content, strlen(b->content), md, &len) < 0 ||
	    hexmem_buf(md, len, hex, sizeof hex) < 0)
		return -1;
	snprintf(b->digest, sizeof b->digest, "%s:%s", hash_type_to_string(b->type), hex);
	snprintf(path, sizeof path, "%s/blobs/%s", cache, hash_type_to_string(b->type));
	(void) mkdir(path, 0755);
	snprintf(path, sizeof path, "%s/blobs/%s/%s", cache, hash_type_to_string(b->type), hex);
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	return fd >= 0 && write(fd, b->content, strlen(b->content)) == (ssize_t) strlen(b->content) ? 0 : -1;
}

static char *blob_path(const Blob *b) {
	static char p[4096];
	snprintf(p, sizeof p, "%s/blobs/%s/%s", cache, hash_type_to_string(b->type), strchr(b->digest, ':') + 1);
	return p;
}

static char *pause_blobs[4], *coredns_blobs[4];
static OciArchiveImage images[2];

static void setup_images(void) {
	pause_blobs[0] = blobs[2].digest, pause_blobs[1] = blobs[1].digest, pause_blobs[2] = blobs[0].digest;
	coredns_blobs[0] = blobs[4].digest, coredns_blobs[1] = blobs[0].digest, coredns_blobs[2] = blobs[3].digest;
	coredns_blobs[3] = NULL;
	/* Given out of name order, sharing blob 0. */
	images[0] = (OciArchiveImage) {
		.name = "127.0.0.1:5000/k8s/pause:3.10",
		.digest = blobs[2].digest,
		.media_type = "application/vnd.oci.image.manifest.v1+json",
		.size = strlen(blobs[2].content),
		.blobs = pause_blobs,
	};
	images[1] = (OciArchiveImage) {
		.name = "127.0.0.1:5000/coredns/coredns:v1.12.0",
		.digest = blobs[4].digest,
		.media_type = "application/vnd.oci.image.index.v1+json",
		.size = strlen(blobs[4].content),
		.blobs = coredns_blobs,
	};
}

/* The whole content of fd, from offset 0, in a malloc'd buffer. */
static char *slurp(int fd, size_t *ret_size) {
	struct stat st;
	char *buf;

	if (fstat(fd, &st) < 0 || !(buf = malloc((size_t) st.st_size + 1)))
		return NULL;
	if (pread(fd, buf, (size_t) st.st_size, 0) != st.st_size) {
		free(buf);
		return NULL;
	}
	*ret_size = (size_t) st.st_size;
	return buf;
}

static char *write_to_memory(const OciArchiveImage *imgs, size_t n, size_t *ret_size, int *ret_r, char **ret_error) {
	_cleanup_close_ int fd = memfd_create("oci-archive", MFD_CLOEXEC);
	*ret_r = fd < 0 ? -errno : oci_archive_write(fd, cache, imgs, n, EPOCH, ret_error);
	return *ret_r == 0 ? slurp(fd, ret_size) : NULL;
}

/* index.json for the two images, coredns first (name order): digest and size of each. */
#define INDEX_FORMAT \
	"{\"manifests\":[" \
	"{\"annotations\":{\"io.containerd.image.name\":\"127.0.0.1:5000/coredns/coredns:v1.12.0\"," \
	"\"org.opencontainers.image.ref.name\":\"v1.12.0\"}," \
	"\"digest\":\"%s\",\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"size\":%zu}," \
	"{\"annotations\":{\"io.containerd.image.name\":\"127.0.0.1:5000/k8s/pause:3.10\"," \
	"\"org.opencontainers.image.ref.name\":\"3.10\"}," \
	"\"digest\":\"%s\",\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"size\":%zu}]," \
	"\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"schemaVersion\":2}"

/* What the archive must hold, in this order. */
typedef struct Want {
	const char *path;
	mode_t type;
	const char *content;   /* NULL for directories; for blobs filled in at run time */
} Want;

static void test_contents(const char *arc, size_t size) {
	char paths[6][256];
	char want_index[2048];
	Want want[10];
	size_t n_want = 0, order[5] = { 0, 1, 2, 3, 4 };

	snprintf(want_index, sizeof want_index, INDEX_FORMAT, blobs[4].digest, strlen(blobs[4].content),
		 blobs[2].digest, strlen(blobs[2].content));
	/* The five sha256 blobs sorted by digest: a tiny insertion sort. */
	for (size_t i = 1; i < 5; i++)
		for (size_t j = i; j > 0 && strcmp(blobs[order[j - 1]].digest, blobs[order[j]].digest) > 0; j--) {
			size_t t = order[j];
			order[j] = order[j - 1], order[j - 1] = t;
		}
	want[n_want++] = (Want) { "blobs/", AE_IFDIR, NULL };
	want[n_want++] = (Want) { "blobs/sha256/", AE_IFDIR, NULL };
	for (size_t i = 0; i < 5; i++) {
		snprintf(paths[i], sizeof paths[i], "blobs/sha256/%s", blobs[order[i]].digest + 7);
		want[n_want++] = (Want) { paths[i], AE_IFREG, blobs[order[i]].content };
	}
	want[n_want++] = (Want) { "index.json", AE_IFREG, want_index };
	want[n_want++] = (Want) { "oci-layout", AE_IFREG, "{\"imageLayoutVersion\":\"1.0.0\"}" };

	struct archive *a = archive_read_new();
	struct archive_entry *e;
	size_t i = 0;
	bool meta_ok = true;

	ok(a && archive_read_support_format_tar(a) == ARCHIVE_OK &&
	   archive_read_open_memory(a, arc, size) == ARCHIVE_OK, "libarchive reads the archive back");
	while (a && archive_read_next_header(a, &e) == ARCHIVE_OK) {
		char data[2048] = {};
		la_ssize_t k = archive_read_data(a, data, sizeof data - 1);

		if (i >= n_want) {
			ok(false, "unexpected entry %s", archive_entry_pathname(e));
			i++;
			continue;
		}
		is_str(archive_entry_pathname(e), want[i].path, "entry in sorted order");
		if (archive_entry_filetype(e) != want[i].type ||
		    (archive_entry_perm(e) & 07777) != (want[i].type == AE_IFDIR ? 0755 : 0644) ||
		    archive_entry_uid(e) != 0 || archive_entry_gid(e) != 0 || !isempty(archive_entry_uname(e)) ||
		    !isempty(archive_entry_gname(e)) || archive_entry_mtime(e) != (time_t) EPOCH ||
		    archive_entry_mtime_nsec(e) != 0 || archive_entry_atime_is_set(e) ||
		    archive_entry_ctime_is_set(e) || archive_entry_birthtime_is_set(e)) {
			meta_ok = false;
			diag("metadata of %s: type %o mode %o uid %lld gid %lld uname %s gname %s mtime %lld.%ld, times set: a%d c%d b%d",
			     want[i].path, (unsigned) archive_entry_filetype(e), (unsigned) archive_entry_perm(e),
			     (long long) archive_entry_uid(e), (long long) archive_entry_gid(e),
			     archive_entry_uname(e) ?: "(none)", archive_entry_gname(e) ?: "(none)",
			     (long long) archive_entry_mtime(e), archive_entry_mtime_nsec(e),
			     archive_entry_atime_is_set(e), archive_entry_ctime_is_set(e),
			     archive_entry_birthtime_is_set(e));
		}
		if (want[i].content)
			ok(k == (la_ssize_t) strlen(want[i].content) && streq(data, want[i].content),
			   "%s holds the expected bytes", want[i].path);
		i++;
	}
	is_int(i, n_want, "as many entries as expected");
	ok(meta_ok, "every entry: mode 0644/0755, uid/gid 0, no user or group names, mtime = epoch, no atime/ctime");
	archive_read_free(a);
}

static unsigned long octal(const char *p, size_t n) {
	char buf[16] = {};
	memcpy(buf, p, MIN(n, sizeof buf - 1));
	return strtoul(buf, NULL, 8);
}

/* Walk the raw headers: plain ustar only (no pax 'x'/'g' records), and the archive ends
 * right after the two zero blocks. */
static void test_raw_headers(const char *arc, size_t size) {
	size_t off = 0, n = 0;
	bool plain = true;

	while (off + 512 <= size && arc[off]) {
		const char *h = arc + off;
		if (!memchr("05", h[156], 2) || memcmp(h + 257, "ustar\0" "00", 8) != 0 || h[265] || h[297])
			plain = false;
		off += 512 + (octal(h + 124, 12) + 511) / 512 * 512;
		n++;
	}
	ok(plain, "all %zu headers are plain ustar files/directories without user or group names", n);
	is_int(size, off + 1024, "the archive ends with the two end-of-archive blocks, no padding");
}

/* The archive written into a pipe, read by the parent. */
static char *write_to_pipe(size_t *ret_size) {
	int p[2], st = -1;
	char *buf = malloc(1 << 20);
	size_t n = 0;
	pid_t pid;

	if (!buf || pipe2(p, O_CLOEXEC) < 0)
		return NULL;
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		_exit(oci_archive_write(p[1], cache, images, 2, EPOCH, NULL) == 0 ? 0 : 1);
	}
	close(p[1]);
	for (ssize_t k; (k = read(p[0], buf + n, (1 << 20) - n)) > 0; )
		n += (size_t) k;
	close(p[0]);
	if (waitpid(pid, &st, 0) != pid || st != 0) {
		free(buf);
		return NULL;
	}
	*ret_size = n;
	return buf;
}

static void test_write(void) {
	_cleanup_free_ char *one = NULL, *two = NULL, *swapped = NULL, *piped = NULL;
	char *untouched = (char *) "sentinel";
	size_t n1 = 0, n2 = 0, n3 = 0, n4 = 0;
	OciArchiveImage reversed[2] = { images[1], images[0] };
	int r;

	one = write_to_memory(images, 2, &n1, &r, &untouched);
	is_int(r, 0, "two images written");
	is_str(untouched, "sentinel", "ret_error untouched on success");
	if (!one)
		return;
	test_contents(one, n1);
	test_raw_headers(one, n1);

	two = write_to_memory(images, 2, &n2, &r, NULL);
	ok(two && n1 == n2 && memcmp(one, two, n1) == 0, "a second run gives the same %zu bytes", n1);
	swapped = write_to_memory(reversed, 2, &n3, &r, NULL);
	ok(swapped && n1 == n3 && memcmp(one, swapped, n1) == 0, "the images in another order give the same bytes");
	piped = write_to_pipe(&n4);
	ok(piped && n1 == n4 && memcmp(one, piped, n1) == 0, "written into a pipe: the same bytes");
}

static void test_sha512_and_tags(void) {
	_cleanup_free_ char *arc = NULL;
	char *b512[] = { blobs[5].digest, NULL };
	char name[256];
	OciArchiveImage img[2] = {
		{ .name = name, .digest = blobs[5].digest, .media_type = "application/vnd.oci.image.manifest.v1+json",
		  .size = strlen(blobs[5].content), .blobs = b512 },
		{ .name = "127.0.0.1:5000/k8s/pause:3.10@" SHA256_ABC, .digest = blobs[0].digest,
		  .media_type = "application/vnd.oci.image.manifest.v1+json", .size = 3,
		  .blobs = (char *[]) { blobs[0].digest, NULL } },
	};
	size_t n = 0;
	int r;

	/* A port but no tag, and a digest: no ref.name. */
	snprintf(name, sizeof name, "127.0.0.1:5000/k8s/untagged@%s", blobs[5].digest);
	arc = write_to_memory(img, 2, &n, &r, NULL);
	is_int(r, 0, "a sha512 blob and a tagless reference");
	if (!arc)
		return;

	struct archive *a = archive_read_new();
	struct archive_entry *e;
	char path512[256], index[2048] = {};
	bool found = false;

	snprintf(path512, sizeof path512, "blobs/sha512/%s", blobs[5].digest + 7);
	archive_read_support_format_tar(a);
	archive_read_open_memory(a, arc, n);
	while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
		if (streq(archive_entry_pathname(e), path512))
			found = true;
		if (streq(archive_entry_pathname(e), "index.json"))
			(void) archive_read_data(a, index, sizeof index - 1);
	}
	archive_read_free(a);
	ok(found, "the sha512 blob is stored under its full 141-byte path");
	ok(!strstr(index, "\"org.opencontainers.image.ref.name\":\"untagged") &&
	   strstr(index, "\"io.containerd.image.name\":\"127.0.0.1:5000/k8s/untagged@sha512:"),
	   "no ref.name for a reference without a tag");
	ok(strstr(index, "\"org.opencontainers.image.ref.name\":\"3.10\"") != NULL,
	   "the tag of NAME:TAG@DIGEST is TAG");
	ok(strchr(index, '\n') == NULL && strstr(index, ": ") == NULL, "index.json is compact");

	/* What ctr import stores index.json as: known without reading the archive back. */
	_cleanup_free_ char *digest = NULL, *want = NULL;
	is_int(oci_archive_index_digest(img, 2, &digest), 0, "oci_archive_index_digest");
	is_int(blob_digest_buffer(HASH_SHA256, index, strlen(index), &want), 0, "hash of the archive's index.json");
	is_str(digest, want, "the index digest is that of the index.json in the archive");
}

static void expect_failure(const OciArchiveImage *imgs, size_t n, int want_r, const char *want_prefix, const char *what) {
	_cleanup_free_ char *error = NULL;
	_cleanup_free_ char *arc = NULL;
	size_t size = 0;
	int r;

	arc = write_to_memory(imgs, n, &size, &r, &error);
	is_int(r, want_r, what);
	ok(error && strneq(error, want_prefix, strlen(want_prefix)), "  error text: %s", error ?: "(null)");
}

static void test_failures(void) {
	char *bad_digest[] = { (char *) "sha256:XYZ", NULL };
	char *no_top[] = { blobs[0].digest, NULL };
	char *missing[] = { (char *) SHA256_ABC, NULL };
	OciArchiveImage img;
	char want[2048];
	int fd;

	/* A flipped byte in a blob: "abc" becomes "abd". */
	fd = open(blob_path(&blobs[0]), O_WRONLY | O_TRUNC | O_CLOEXEC);
	ok(fd >= 0 && write(fd, "abd", 3) == 3, "corrupt blob 0 in the cache");
	safe_close(fd);
	snprintf(want, sizeof want, "blob %s: blobs/sha256/%s in the cache hashes to sha256:a52d159f", blobs[0].digest,
		 blobs[0].digest + 7);
	expect_failure(images, 2, -EBADMSG, want, "a corrupt blob: -EBADMSG");

	/* The partial output is no complete archive: libarchive did not end it. */
	{
		_cleanup_close_ int out = memfd_create("partial", MFD_CLOEXEC);
		_cleanup_free_ char *buf = NULL;
		size_t size = 0;
		struct archive *a = archive_read_new();
		struct archive_entry *e;
		int k = ARCHIVE_OK;

		ok(oci_archive_write(out, cache, images, 2, EPOCH, NULL) == -EBADMSG && (buf = slurp(out, &size)),
		   "written again without ret_error: -EBADMSG");
		archive_read_support_format_tar(a);
		if (buf && archive_read_open_memory(a, buf, size) == ARCHIVE_OK)
			while ((k = archive_read_next_header(a, &e)) == ARCHIVE_OK)
				;
		ok(k != ARCHIVE_EOF, "reading the partial output fails (%s)", archive_error_string(a) ?: "?");
		archive_read_free(a);
	}

	/* Size of the top blob differs from the descriptor. */
	img = images[0];
	img.size++;
	snprintf(want, sizeof want, "image 127.0.0.1:5000/k8s/pause:3.10: its top blob %s is %zu bytes in the cache, its descriptor says %zu",
		 blobs[2].digest, strlen(blobs[2].content), strlen(blobs[2].content) + 1);
	expect_failure(&img, 1, -EBADMSG, want, "top blob size differs from the descriptor: -EBADMSG");

	/* A blob that is not in the cache. */
	img = (OciArchiveImage) { .name = "x:1", .digest = SHA256_ABC, .media_type = "m", .size = 3, .blobs = missing };
	ok(unlink(blob_path(&blobs[0])) == 0, "remove blob 0 from the cache");
	expect_failure(&img, 1, -ENOENT, "blob " SHA256_ABC ": cannot open blobs/sha256/ba7816bf", "a missing blob: -ENOENT");

	/* Arguments. */
	expect_failure(images, 0, -EINVAL, "no images to write", "no images: -EINVAL");
	img = images[0];
	img.blobs = bad_digest;
	expect_failure(&img, 1, -EINVAL, "image 127.0.0.1:5000/k8s/pause:3.10: its top digest", "top digest not among the blobs: -EINVAL");
	img.blobs = (char *[]) { blobs[2].digest, (char *) "sha256:XYZ", NULL };
	expect_failure(&img, 1, -EINVAL, "image 127.0.0.1:5000/k8s/pause:3.10: malformed blob digest \"sha256:XYZ\"", "malformed blob digest: -EINVAL");
	img = images[0];
	img.digest = "md5:0123";
	expect_failure(&img, 1, -EINVAL, "image 127.0.0.1:5000/k8s/pause:3.10: malformed digest \"md5:0123\"", "unknown algorithm: -EINVAL");
	img = images[0];
	img.digest = blobs[0].digest;
	img.blobs = (char *[]) { (char *) "SHA256:BA7816BF", NULL };
	expect_failure(&img, 1, -EINVAL, "image 127.0.0.1:5000/k8s/pause:3.10: its top digest", "top digest missing: -EINVAL");
	img = images[0];
	img.blobs = no_top;
	expect_failure(&img, 1, -EINVAL, "image 127.0.0.1:5000/k8s/pause:3.10: its top digest", "blobs without the top digest: -EINVAL");
	OciArchiveImage twice[2] = { images[0], images[0] };
	expect_failure(twice, 2, -EINVAL, "image 127.0.0.1:5000/k8s/pause:3.10 is listed twice", "the same name twice: -EINVAL");
	img = images[0];
	img.name = "127.0.0.1:5000/k8s/pause:";
	expect_failure(&img, 1, -EINVAL, "image 127.0.0.1:5000/k8s/pause:: the reference ends in ':'", "empty tag: -EINVAL");
	img = images[0];
	img.media_type = "";
	expect_failure(&img, 1, -EINVAL, "image 127.0.0.1:5000/k8s/pause:3.10: no media type", "no media type: -EINVAL");
}

int main(void) {
	char path[4096];

	tmp = tap_mkdtemp();
	if (!tmp)
		skip_all("cannot create a temporary directory");
	snprintf(path, sizeof path, "%s/cache", tmp);
	cache = strdup(path);
	snprintf(path, sizeof path, "%s/cache/blobs", tmp);
	ok(cache && mkdir(cache, 0755) == 0 && mkdir(path, 0755) == 0, "cache directory %s", cache);
	for (size_t i = 0; i < ELEMENTSOF(blobs); i++)
		if (write_blob(&blobs[i]) < 0)
			diag("could not write blob %zu", i);
	is_str(blobs[0].digest, SHA256_ABC, "blob 0 is stored under the FIPS 180-2 digest of \"abc\"");
	setup_images();

	test_write();
	test_sha512_and_tags();
	test_failures();

	(void) rm_rf(tmp);
	free(tmp);
	free(cache);
	return done_testing();
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bolt_verify(), meta pages only: a stand-in until the full checker (pages, freelist,
 * bucket tree) is merged. What it checks is what bbolt checks when it opens a file
 * (db.go: getPageSize(), mmap(); internal/common/meta.go: Validate()):
 *
 *   page header (16 bytes): id u64, flags u16, count u16, overflow u32
 *   meta, right after it:   magic u32, version u32, pageSize u32, flags u32,
 *                           root {pgid u64, sequence u64}, freelist u64, pgid u64,
 *                           txid u64, checksum u64
 *
 * The checksum is FNV-1a 64 of the meta's bytes before it. Pages 0 and 1 each hold a
 * meta; bbolt writes them alternately, so one torn write leaves the other valid, and bbolt
 * opens a file while either is. Fields are in the machine's byte order; every
 * architecture kiln targets is little-endian. */
#include <endian.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bolt.h"
#include "macro.h"

#define BOLT_MAGIC            0xED0CDAEDU
#define BOLT_VERSION          2U
#define BOLT_PAGE_HEADER      16
#define BOLT_META_SIZE        64
#define BOLT_META_CHECKSUMMED 56   /* offsetof(meta, checksum) */
#define BOLT_NO_FREELIST      UINT64_MAX
/* bbolt's search for page 1 when page 0 cannot say the page size: 1 KiB << 0..14. */
#define BOLT_PAGE_SIZE_MIN    1024U
#define BOLT_PAGE_SIZE_SHIFTS 14

typedef struct BoltMeta {
	uint32_t page_size;
	uint64_t root, freelist, pgid;
} BoltMeta;

static uint32_t get32(const uint8_t *p) {
	uint32_t v;
	memcpy(&v, p, sizeof v);
	return le32toh(v);
}

static uint64_t get64(const uint8_t *p) {
	uint64_t v;
	memcpy(&v, p, sizeof v);
	return le64toh(v);
}

static uint64_t fnv1a64(const uint8_t *p, size_t n) {
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* The meta of the page at offset in fd: 0, or -EBADMSG with why in reason. */
static int read_meta(int fd, uint64_t offset, uint64_t file_size, BoltMeta *ret, char reason[static 128]) {
	uint8_t m[BOLT_META_SIZE];
	ssize_t k;

	if (offset + BOLT_PAGE_HEADER + BOLT_META_SIZE > file_size) {
		snprintf(reason, 128, "cut off (the file ends at %llu bytes)", (unsigned long long) file_size);
		return -EBADMSG;
	}
	do
		k = pread(fd, m, sizeof m, (off_t) (offset + BOLT_PAGE_HEADER));
	while (k < 0 && errno == EINTR);
	if (k < 0)
		return negative_errno();
	if ((size_t) k < sizeof m) {
		snprintf(reason, 128, "cut off");
		return -EBADMSG;
	}

	uint32_t magic = get32(m), version = get32(m + 4);
	uint64_t sum = get64(m + BOLT_META_CHECKSUMMED), want = fnv1a64(m, BOLT_META_CHECKSUMMED);
	BoltMeta meta = {
		.page_size = get32(m + 8),
		.root = get64(m + 16),
		.freelist = get64(m + 32),
		.pgid = get64(m + 40),
	};
	if (magic != BOLT_MAGIC)
		snprintf(reason, 128, "no bbolt magic (0x%08x)", magic);
	else if (version != BOLT_VERSION)
		snprintf(reason, 128, "format version %u, not %u", version, BOLT_VERSION);
	else if (sum != want)
		snprintf(reason, 128, "checksum 0x%016llx, computed 0x%016llx", (unsigned long long) sum,
			 (unsigned long long) want);
	/* Valid by its checksum, and still impossible: a file cut short after it was written
	 * (a copy that ran out of space), or a page size nobody writes. */
	else if (meta.page_size < BOLT_PAGE_SIZE_MIN || (meta.page_size & (meta.page_size - 1)) != 0)
		snprintf(reason, 128, "page size %u", meta.page_size);
	else if (meta.pgid > file_size / meta.page_size)
		snprintf(reason, 128, "%llu pages in use, the file holds %llu", (unsigned long long) meta.pgid,
			 (unsigned long long) (file_size / meta.page_size));
	else if (meta.root >= meta.pgid || (meta.freelist >= meta.pgid && meta.freelist != BOLT_NO_FREELIST))
		snprintf(reason, 128, "root page %llu or freelist page %llu past the %llu pages in use",
			 (unsigned long long) meta.root, (unsigned long long) meta.freelist, (unsigned long long) meta.pgid);
	else {
		*ret = meta;
		return 0;
	}
	return -EBADMSG;
}

int bolt_verify(int fd, char **ret_error) {
	char reason0[128] = "", reason1[128] = "";
	BoltMeta meta0, meta1;
	struct stat st;
	int r0;

	if (fd < 0)
		return -EBADF;
	if (fstat(fd, &st) < 0)
		return negative_errno();

	const char *why = NULL;
	if (!S_ISREG(st.st_mode))
		why = "not a regular file";
	else if (st.st_size == 0)
		why = "empty (bbolt would start a new database in it)";
	if (why) {
		if (ret_error) {
			*ret_error = strdup(why);
			if (!*ret_error)
				return -ENOMEM;
		}
		return -EBADMSG;
	}
	uint64_t size = (uint64_t) st.st_size;

	r0 = read_meta(fd, 0, size, &meta0, reason0);
	if (r0 < 0 && r0 != -EBADMSG)
		return r0;
	if (r0 >= 0) {
		/* One valid meta is enough for bbolt: the other may be a torn write. */
		if (size >= 2ULL * meta0.page_size)
			return 0;
		snprintf(reason1, sizeof reason1, "the file is shorter than two %u-byte pages", meta0.page_size);
	} else {
		/* Page 0 cannot say the page size: look for page 1 where bbolt does. */
		snprintf(reason1, sizeof reason1, "not found at any page size");
		for (unsigned i = 0; i <= BOLT_PAGE_SIZE_SHIFTS; i++) {
			uint64_t pos = (uint64_t) BOLT_PAGE_SIZE_MIN << i;
			char why1[128];
			if (pos + BOLT_PAGE_SIZE_MIN >= size)
				break;
			int r1 = read_meta(fd, pos, size, &meta1, why1);
			if (r1 < 0 && r1 != -EBADMSG)
				return r1;
			if (r1 >= 0 && meta1.page_size == pos)
				return 0;
			/* The page size a default build uses: the reason worth reporting. */
			if (pos == 4096)
				snprintf(reason1, sizeof reason1, "%s", why1);
		}
	}

	if (ret_error && asprintf(ret_error, "meta page 0: %s; meta page 1: %s", reason0[0] ? reason0 : "valid",
				  reason1) < 0)
		return -ENOMEM;
	return -EBADMSG;
}

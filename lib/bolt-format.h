/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* bbolt's on-disk layout (go.etcd.io/bbolt: page.go, internal/common/meta.go, inode.go,
 * bucket.go, freelist.go), shared by the reader and the writer. Internal to lib/.
 *
 * A database is an array of pages of one size. Every page starts with a 16-byte header:
 *	id u64 | flags u16 | count u16 | overflow u32
 * and a node larger than one page takes `overflow` more pages right after it.
 *
 *   pages 0, 1  meta: header, then magic u32 | version u32 | page size u32 | flags u32 |
 *               root bucket {root pgid u64, sequence u64} | freelist pgid u64 |
 *               high-water mark u64 (pages in use) | txid u64 | checksum u64, the
 *               checksum being FNV-1a 64 of the 56 bytes before it. The valid meta with
 *               the higher txid is the current one (a tie goes to page 0); a writer
 *               puts transaction t in page t % 2, so a torn write leaves the other.
 *   branch      count elements {pos u32, ksize u32, pgid u64}; pos is counted from the
 *               element itself; the key is the first key of the child.
 *   leaf        count elements {flags u32, pos u32, ksize u32, vsize u32}, key then value
 *               at element + pos. Flag 0x01: the value is a nested bucket
 *               {root pgid u64, sequence u64}, followed, when root is 0, by the bucket's
 *               only (leaf) page "inline": a header (id 0) and its elements.
 *   freelist    count page ids u64; count 0xFFFF means the first u64 is the count.
 *
 * All integers are little-endian on the machines kiln runs on (amd64, arm64), and values
 * inside a page are not aligned: read and write them byte by byte. */

#include <stdint.h>
#include <string.h>

#define BOLT_MAGIC            UINT32_C(0xED0CDAED)
#define BOLT_VERSION          UINT32_C(2)

#define BOLT_PAGE_BRANCH      UINT16_C(0x01)
#define BOLT_PAGE_LEAF        UINT16_C(0x02)
#define BOLT_PAGE_META        UINT16_C(0x04)
#define BOLT_PAGE_FREELIST    UINT16_C(0x10)

#define BOLT_ELEMENT_BUCKET   UINT32_C(0x01)

#define BOLT_PAGE_HEADER_SIZE 16u
#define BOLT_ELEMENT_SIZE     16u   /* branch and leaf elements alike */
#define BOLT_BUCKET_HEADER_SIZE 16u
#define BOLT_META_SIZE        64u
#define BOLT_META_CHECKSUM_AT 56u   /* offset of the checksum inside the meta */

/* A meta whose freelist is not stored (bbolt's NoFreelistSync): readers rebuild it. */
#define BOLT_PGID_NO_FREELIST UINT64_MAX

/* Page sizes bbolt can find: it looks for the second meta at 1 KiB << 0..14. We also
 * accept 512, which bbolt opens through the first meta. */
#define BOLT_PAGE_SIZE_MIN    512u
#define BOLT_PAGE_SIZE_MAX    (1u << 24)

/* The page header's count is 16 bits. */
#define BOLT_COUNT_MAX        UINT16_C(0xFFFF)
#define BOLT_FREELIST_COUNT_IN_DATA UINT16_C(0xFFFF)

static inline uint16_t bolt_get16(const uint8_t *p) {
	return (uint16_t) (p[0] | p[1] << 8);
}
static inline uint32_t bolt_get32(const uint8_t *p) {
	return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 | (uint32_t) p[3] << 24;
}
static inline uint64_t bolt_get64(const uint8_t *p) {
	return (uint64_t) bolt_get32(p) | (uint64_t) bolt_get32(p + 4) << 32;
}
static inline void bolt_put16(uint8_t *p, uint16_t v) {
	p[0] = (uint8_t) v;
	p[1] = (uint8_t) (v >> 8);
}
static inline void bolt_put32(uint8_t *p, uint32_t v) {
	for (unsigned i = 0; i < 4; i++)
		p[i] = (uint8_t) (v >> (8 * i));
}
static inline void bolt_put64(uint8_t *p, uint64_t v) {
	for (unsigned i = 0; i < 8; i++)
		p[i] = (uint8_t) (v >> (8 * i));
}

/* FNV-1a, 64 bits (Go's hash/fnv New64a), the meta checksum. */
static inline uint64_t bolt_fnv1a64(const uint8_t *p, size_t n) {
	uint64_t h = UINT64_C(14695981039346656037);
	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= UINT64_C(1099511628211);
	}
	return h;
}

/* The page header, decoded. */
typedef struct BoltPageHeader {
	uint64_t id;
	uint16_t flags, count;
	uint32_t overflow;
} BoltPageHeader;

static inline BoltPageHeader bolt_page_header(const uint8_t *p) {
	return (BoltPageHeader) {
		.id = bolt_get64(p),
		.flags = bolt_get16(p + 8),
		.count = bolt_get16(p + 10),
		.overflow = bolt_get32(p + 12),
	};
}

static inline void bolt_put_page_header(uint8_t *p, uint64_t id, uint16_t flags, uint16_t count, uint32_t overflow) {
	bolt_put64(p, id);
	bolt_put16(p + 8, flags);
	bolt_put16(p + 10, count);
	bolt_put32(p + 12, overflow);
}

/* Bytewise order of keys, shorter first on a common prefix (Go's bytes.Compare). */
static inline int bolt_key_compare(const uint8_t *a, size_t na, const uint8_t *b, size_t nb) {
	size_t n = na < nb ? na : nb;
	int c = n > 0 ? memcmp(a, b, n) : 0;
	if (c != 0)
		return c;
	return na < nb ? -1 : na > nb;
}

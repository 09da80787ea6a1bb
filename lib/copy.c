/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "copy.h"
#include "fd-util.h"
#include "macro.h"

/* The unit of the pread/pwrite path and of its zero detection: big enough to keep the
 * syscall count low, small enough that a block of real data next to zeros wastes little. */
#define COPY_BLOCK_SIZE (64U * 1024U)

/* One copy_file_range(2) call at most: the kernel caps a call near 2 GiB anyway, and a
 * bounded call keeps EINTR (and so a pending signal) from waiting on a huge extent. */
#define COPY_CHUNK_MAX ((size_t) 1U << 30)

static bool use_copy_file_range = true;

void copy_set_copy_file_range(bool enabled) {
	use_copy_file_range = enabled;
}

typedef struct CopyState {
	int src_fd, dst_fd;
	bool cfr;          /* copy_file_range() is still worth trying */
	uint8_t *buf;      /* COPY_BLOCK_SIZE, allocated when the pread/pwrite path starts */
} CopyState;

static void copy_state_done(CopyState *s) {
	free(s->buf);
}

/* The errors with which copy_file_range() says "not here" rather than "failed": an old
 * kernel, a seccomp filter, a cross-filesystem copy, a filesystem without support.
 * EINVAL also covers misuse, but that was ruled out up front, and the pread/pwrite path
 * reports any real error again. (EOPNOTSUPP and ENOTSUP are one value on Linux.) */
static bool copy_file_range_unsupported(int err) {
	return err == EXDEV || err == EINVAL || err == ENOSYS || err == EOPNOTSUPP;
}

static bool is_all_zero(const uint8_t *p, size_t n) {
	/* The first byte is zero and every byte equals its successor. */
	return n == 0 || (p[0] == 0 && memcmp(p, p + 1, n - 1) == 0);
}

static int pwrite_all(int fd, const uint8_t *p, size_t n, off_t off) {
	while (n > 0) {
		ssize_t k = pwrite(fd, p, n, off);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return negative_errno();
		}
		if (k == 0 || (size_t) k > n)
			return -EIO;
		p += k;
		n -= (size_t) k;
		off += k;
	}
	return 0;
}

static int copy_extent_rw(CopyState *s, off_t src_off, off_t dst_off, uint64_t len) {
	if (!s->buf) {
		s->buf = malloc(COPY_BLOCK_SIZE);
		if (!s->buf)
			return -ENOMEM;
	}

	while (len > 0) {
		ssize_t k = pread(s->src_fd, s->buf, MIN(len, (uint64_t) COPY_BLOCK_SIZE), src_off);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return negative_errno();
		}
		if (k == 0)
			return -EIO;   /* the source shrank under us */

		/* The destination range reads as zeros already (see copy_file_to_offset()), so
		 * a zero block written would only allocate disk space. */
		if (!is_all_zero(s->buf, (size_t) k)) {
			int r = pwrite_all(s->dst_fd, s->buf, (size_t) k, dst_off);
			if (r < 0)
				return r;
		}
		src_off += k;
		dst_off += k;
		len -= (uint64_t) k;
	}
	return 0;
}

static int copy_extent(CopyState *s, off_t src_off, off_t dst_off, uint64_t len) {
	while (len > 0 && s->cfr) {
		loff_t in = src_off, out = dst_off;
		ssize_t k = copy_file_range(s->src_fd, &in, s->dst_fd, &out, MIN(len, (uint64_t) COPY_CHUNK_MAX), 0);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			if (!copy_file_range_unsupported(errno))
				return negative_errno();
			s->cfr = false;
			break;
		}
		if (k == 0)
			return -EIO;   /* the source shrank under us */
		src_off += k;
		dst_off += k;
		len -= (uint64_t) k;
	}

	return len > 0 ? copy_extent_rw(s, src_off, dst_off, len) : 0;
}

/* Make [off, off + len) of fd read as zeros, as holes where the filesystem can punch. */
static int empty_range(int fd, off_t off, off_t len) {
	static const uint8_t zeros[COPY_BLOCK_SIZE];

	for (;;) {
		if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, len) >= 0)
			return 0;
		if (errno != EINTR)
			break;
	}
	if (errno != EOPNOTSUPP && errno != ENOSYS)
		return negative_errno();

	while (len > 0) {
		size_t n = (size_t) MIN(len, (off_t) sizeof(zeros));
		int r = pwrite_all(fd, zeros, n, off);
		if (r < 0)
			return r;
		off += (off_t) n;
		len -= (off_t) n;
	}
	return 0;
}

static int ftruncate_retry(int fd, off_t size) {
	for (;;) {
		if (ftruncate(fd, size) >= 0)
			return 0;
		if (errno != EINTR)
			return negative_errno();
	}
}

/* Rule out what copy_file_range() and pwrite() would get wrong or report inconsistently:
 * wrong access modes, O_APPEND (pwrite() would append wherever we point it), anything but
 * two distinct regular files. */
static int check_fds(int src_fd, int dst_fd, struct stat *ret_src, struct stat *ret_dst) {
	int src_fl, dst_fl;

	src_fl = fcntl(src_fd, F_GETFL);
	if (src_fl < 0)
		return negative_errno();
	dst_fl = fcntl(dst_fd, F_GETFL);
	if (dst_fl < 0)
		return negative_errno();
	if ((src_fl & O_PATH) || (src_fl & O_ACCMODE) == O_WRONLY)
		return -EBADF;
	if ((dst_fl & O_PATH) || (dst_fl & O_ACCMODE) == O_RDONLY)
		return -EBADF;
	if (dst_fl & O_APPEND)
		return -EINVAL;

	if (fstat(src_fd, ret_src) < 0 || fstat(dst_fd, ret_dst) < 0)
		return negative_errno();
	if (S_ISDIR(ret_src->st_mode) || S_ISDIR(ret_dst->st_mode))
		return -EISDIR;
	if (!S_ISREG(ret_src->st_mode) || !S_ISREG(ret_dst->st_mode))
		return -EINVAL;
	if (ret_src->st_dev == ret_dst->st_dev && ret_src->st_ino == ret_dst->st_ino)
		return -EINVAL;
	return 0;
}

int copy_file_to_offset(int src_fd, int dst_fd, uint64_t dst_offset, uint64_t *ret_bytes) {
	_cleanup_(copy_state_done) CopyState s = {
		.src_fd = src_fd,
		.dst_fd = dst_fd,
		.cfr = use_copy_file_range,
	};
	struct stat st_src, st_dst;
	off_t size, start, end;
	int r;

	if (src_fd < 0 || dst_fd < 0)
		return -EBADF;
	r = check_fds(src_fd, dst_fd, &st_src, &st_dst);
	if (r < 0)
		return r;

	size = st_src.st_size;
	if (dst_offset > (uint64_t) INT64_MAX - (uint64_t) size)
		return -EFBIG;
	start = (off_t) dst_offset;
	end = start + size;

	/* Only data gets written below, so the range has to read as zeros first. Past the
	 * old end of dst it does by definition; inside, old content has to go. */
	if (size > 0 && start < st_dst.st_size) {
		r = empty_range(dst_fd, start, MIN(end, st_dst.st_size) - start);
		if (r < 0)
			return r;
	}
	/* Extend before copying, so that a hole at the end of the source still counts. */
	if (st_dst.st_size < end) {
		r = ftruncate_retry(dst_fd, end);
		if (r < 0)
			return r;
	}

	for (off_t off = 0; off < size;) {
		off_t data, hole;

		data = lseek(src_fd, off, SEEK_DATA);
		if (data < 0) {
			if (errno == ENXIO)   /* nothing but a hole from off to the end */
				break;
			return negative_errno();
		}
		if (data >= size)
			break;
		hole = lseek(src_fd, data, SEEK_HOLE);
		if (hole < 0)
			return negative_errno();
		if (hole <= data)     /* cannot happen for data < EOF; never loop forever */
			return -EIO;
		hole = MIN(hole, size);

		r = copy_extent(&s, data, start + data, (uint64_t) (hole - data));
		if (r < 0)
			return r;
		off = hole;
	}

	if (ret_bytes)
		*ret_bytes = (uint64_t) size;
	return 0;
}

int copy_file_sparse(const char *src, const char *dst, mode_t mode) {
	_cleanup_close_ int src_fd = -EBADF, tmp_fd = -EBADF;
	_cleanup_free_ char *tmp = NULL;
	const char *slash;
	int r;

	if (!src || !dst || (mode & ~(mode_t) 07777))
		return -EINVAL;
	if (isempty(dst))
		return -ENOENT;
	if (dst[strlen(dst) - 1] == '/')
		return -EISDIR;

	src_fd = open(src, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (src_fd < 0)
		return negative_errno();

	/* ".#<name>XXXXXX" next to dst: same filesystem, so rename(2) works. */
	slash = strrchr(dst, '/');
	if (asprintf(&tmp, "%.*s.#%sXXXXXX",
		     slash ? (int) (slash - dst + 1) : 0, dst, slash ? slash + 1 : dst) < 0) {
		tmp = NULL;
		return -ENOMEM;
	}
	tmp_fd = mkostemp(tmp, O_CLOEXEC);
	if (tmp_fd < 0)
		return negative_errno();

	r = fchmod(tmp_fd, mode) < 0 ? negative_errno() : 0;
	if (r >= 0)
		r = copy_file_to_offset(src_fd, tmp_fd, 0, NULL);
	if (r >= 0 && rename(tmp, dst) < 0)
		r = negative_errno();
	if (r < 0)
		(void) unlink(tmp);
	return r;
}

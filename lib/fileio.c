/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fd-util.h"
#include "fileio.h"
#include "io-util.h"

static bool use_o_tmpfile = true;

void fileio_set_o_tmpfile(bool enabled) {
	use_o_tmpfile = enabled;
}

/* ".#<base>.<16 hex>". The name only has to be unlikely to exist: it is always created
 * with O_EXCL (or linkat, which never replaces), so a guessed name costs a retry, nothing
 * more. That is why a weak fallback is fine when early boot has no entropy yet. */
static void make_temp_name(char name[static NAME_MAX + 1], const char *base) {
	static uint64_t counter;
	uint64_t r;

	if (getrandom(&r, sizeof r, GRND_NONBLOCK) != (ssize_t) sizeof r) {
		struct timespec ts;
		(void) clock_gettime(CLOCK_MONOTONIC, &ts);
		r = ((uint64_t) ts.tv_nsec << 24) ^ (uint64_t) ts.tv_sec ^
		    ((uint64_t) getpid() << 40) ^
		    (__atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED) * UINT64_C(0x9e3779b97f4a7c15));
	}
	/* 2 + 200 + 1 + 16 characters stay below NAME_MAX however long base is. */
	(void) snprintf(name, NAME_MAX + 1, ".#%.200s.%016" PRIx64, base, r);
}

static int open_named_temp(int dfd, const char *base, char name[static NAME_MAX + 1]) {
	for (unsigned i = 0; i < 64; i++) {
		make_temp_name(name, base);
		int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC,
				0600);
		if (fd >= 0)
			return fd;
		if (errno != EEXIST)
			return negative_errno();
	}
	return -EEXIST;
}

/* Give an O_TMPFILE a (temporary) name: linkat() cannot replace the target, so the final
 * step is still a rename(). */
static int link_tmpfile(int fd, int dfd, const char *base, char name[static NAME_MAX + 1]) {
	char proc[STRLEN("/proc/self/fd/") + 12];
	(void) snprintf(proc, sizeof proc, "/proc/self/fd/%i", fd);

	for (unsigned i = 0; i < 64; i++) {
		make_temp_name(name, base);
		/* AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH before Linux 6.10, the /proc route needs
		 * /proc mounted (image builds may have neither): try both. */
		if (linkat(fd, "", dfd, name, AT_EMPTY_PATH) >= 0)
			return 0;
		if (errno == EEXIST)
			continue;
		if (linkat(AT_FDCWD, proc, dfd, name, AT_SYMLINK_FOLLOW) >= 0)
			return 0;
		if (errno != EEXIST)
			return negative_errno();
	}
	return -EEXIST;
}

static int write_and_sync(int fd, const void *data, size_t size, mode_t mode) {
	/* fchmod() rather than the open() mode: the umask must not decide who can read state. */
	if (fchmod(fd, mode) < 0)
		return negative_errno();
	int r = loop_write(fd, data, size);
	if (r < 0)
		return r;
	return io_fsync(fd);
}

/* Write the data to a durable temp file in dfd; on success its name is in name. On failure
 * nothing is left behind. */
static int write_temp(int dfd, const char *base, const void *data, size_t size, mode_t mode,
		      char name[static NAME_MAX + 1]) {
	int r;

	if (use_o_tmpfile) {
		_cleanup_close_ int fd = openat(dfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
		if (fd >= 0) {
			/* Errors of the write itself are real (ENOSPC, EIO); report them. */
			r = write_and_sync(fd, data, size, mode);
			if (r < 0)
				return r;
			if (link_tmpfile(fd, dfd, base, name) >= 0)
				return 0;
		}
		/* No O_TMPFILE on this filesystem, or no way to link it: use a named temp file,
		 * which reports any real error (ENOSPC, EROFS, ...) once more. */
	}

	_cleanup_close_ int fd = open_named_temp(dfd, base, name);
	if (fd < 0)
		return fd;
	r = write_and_sync(fd, data, size, mode);
	if (r < 0) {
		(void) unlinkat(dfd, name, 0);
		return r;
	}
	return 0;
}

int write_file_atomic_at(int dir_fd, const char *name, const void *data, size_t size,
			 mode_t mode, WriteFileFlags flags) {
	char tmp[NAME_MAX + 1];
	int r;

	if (isempty(name) || (!data && size > 0) || (mode & ~(mode_t) 07777))
		return -EINVAL;

	const char *slash = strrchr(name, '/');
	const char *base = slash ? slash + 1 : name;
	if (isempty(base) || streq(base, ".") || streq(base, ".."))
		return -EISDIR;

	if (flags & WRITE_FILE_MKDIR_PARENTS) {
		r = mkdir_parents_at(dir_fd, name, 0755);
		if (r < 0)
			return r;
	}

	/* Our own fd on the directory: the caller's dir_fd may be O_PATH, and fsync needs a
	 * real one. */
	_cleanup_free_ char *dir = slash ? strndup(name, (size_t) (slash - name)) : NULL;
	if (slash && !dir)
		return -ENOMEM;
	_cleanup_close_ int dfd = openat(dir_fd, !dir ? "." : isempty(dir) ? "/" : dir,
					 O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return negative_errno();

	r = write_temp(dfd, base, data, size, mode, tmp);
	if (r < 0)
		return r;

	if (renameat(dfd, tmp, dfd, base) < 0) {
		r = negative_errno();
		(void) unlinkat(dfd, tmp, 0);
		return r;
	}

	return io_fsync(dfd);
}

int write_file_atomic(const char *path, const void *data, size_t size, mode_t mode,
		      WriteFileFlags flags) {
	return write_file_atomic_at(AT_FDCWD, path, data, size, mode, flags);
}

int read_full_fd_max(int fd, size_t max_size, char **ret_data, size_t *ret_size) {
	_cleanup_free_ char *buf = NULL;
	struct stat st;
	size_t len = 0, cap = 4096;

	if (!ret_data || max_size >= SIZE_MAX / 2)
		return -EINVAL;
	if (fstat(fd, &st) < 0)
		return negative_errno();
	if (S_ISDIR(st.st_mode))
		return -EISDIR;

	if (S_ISREG(st.st_mode) && st.st_size > 0) {
		off_t pos = lseek(fd, 0, SEEK_CUR);
		uintmax_t left = (uintmax_t) st.st_size - (uintmax_t) (pos > 0 ? MIN(pos, st.st_size) : 0);
		/* Refuse a file that is too large before allocating anything for it. */
		if (left > max_size)
			return -EFBIG;
		/* One spare byte so that reading a file of the expected size takes one pass
		 * and still sees EOF. */
		cap = (size_t) left + 1;
	}
	/* Never ask for more than max_size + 1: the extra byte is how we notice "too big". */
	cap = MIN(cap, max_size + 1);

	for (;;) {
		char *n = realloc(buf, cap + 1);
		if (!n)
			return -ENOMEM;
		buf = n;

		ssize_t k = loop_read(fd, buf + len, cap - len);
		if (k < 0)
			return (int) k;
		len += (size_t) k;
		if (len < cap)
			break;   /* EOF */
		if (len > max_size)
			return -EFBIG;
		/* Here len == cap <= max_size, so the buffer always grows. */
		cap = MIN(cap * 2, max_size + 1);
	}

	buf[len] = '\0';
	*ret_data = TAKE_PTR(buf);
	if (ret_size)
		*ret_size = len;
	return 0;
}

int read_full_fd(int fd, char **ret_data, size_t *ret_size) {
	return read_full_fd_max(fd, READ_FULL_MAX, ret_data, ret_size);
}

int read_full_file_max(const char *path, size_t max_size, char **ret_data, size_t *ret_size) {
	if (isempty(path))
		return -EINVAL;
	_cleanup_close_ int fd = open(path, O_RDONLY | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return negative_errno();
	return read_full_fd_max(fd, max_size, ret_data, ret_size);
}

int read_full_file(const char *path, char **ret_data, size_t *ret_size) {
	return read_full_file_max(path, READ_FULL_MAX, ret_data, ret_size);
}

static int mkdir_one(int dir_fd, const char *path, mode_t mode) {
	struct stat st;

	if (mkdirat(dir_fd, path, mode) >= 0)
		return 0;
	if (errno != EEXIST)
		return negative_errno();
	/* Follow symlinks: a symlink to a directory is as good as the directory. */
	if (fstatat(dir_fd, path, &st, 0) < 0)
		return negative_errno();
	return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

static int mkdir_components(int dir_fd, const char *path, mode_t mode, bool include_last) {
	if (isempty(path))
		return -EINVAL;
	_cleanup_free_ char *p = strdup(path);
	if (!p)
		return -ENOMEM;

	/* "a/b/" names the same directory as "a/b". */
	size_t n = strlen(p);
	while (n > 1 && p[n - 1] == '/')
		p[--n] = '\0';

	if (!include_last) {
		char *slash = strrchr(p, '/');
		if (!slash)
			return 0;   /* a bare name: its parent is dir_fd itself */
		*slash = '\0';
	}

	/* Create each prefix in turn, from the top, cutting the string at each '/'. */
	for (char *e = p;;) {
		e += strspn(e, "/");
		if (!*e)
			break;
		e += strcspn(e, "/");
		char saved = *e;
		*e = '\0';
		int r = mkdir_one(dir_fd, p, mode);
		*e = saved;
		if (r < 0)
			return r;
	}
	return 0;
}

int mkdir_parents_at(int dir_fd, const char *path, mode_t mode) {
	return mkdir_components(dir_fd, path, mode, false);
}

int mkdir_parents(const char *path, mode_t mode) {
	return mkdir_components(AT_FDCWD, path, mode, false);
}

int mkdir_p_at(int dir_fd, const char *path, mode_t mode) {
	return mkdir_components(dir_fd, path, mode, true);
}

int mkdir_p(const char *path, mode_t mode) {
	return mkdir_components(AT_FDCWD, path, mode, true);
}

int fsync_directory_of(const char *path) {
	if (isempty(path))
		return -EINVAL;
	_cleanup_close_ int fd = open_parent_dir(path);
	if (fd < 0)
		return fd;
	return io_fsync(fd);
}

/* Rename a corrupt state file to "<path>.corrupt-<usec>" for a human to inspect. */
static int move_aside(const char *path) {
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) < 0)
		return negative_errno();
	uint64_t usec = (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;

	for (unsigned i = 0; i < 16; i++, usec++) {
		_cleanup_free_ char *aside = NULL;
		if (asprintf(&aside, "%s.corrupt-%" PRIu64, path, usec) < 0)
			return -ENOMEM;
		/* NOREPLACE: a second corruption in the same microsecond must not destroy the
		 * evidence of the first. */
		if (renameat2(AT_FDCWD, path, AT_FDCWD, aside, RENAME_NOREPLACE) >= 0)
			return 0;
		if (errno == EINVAL)   /* a filesystem without RENAME_NOREPLACE */
			return rename(path, aside) < 0 ? negative_errno() : 0;
		if (errno != EEXIST)
			return negative_errno();
	}
	return -EEXIST;
}

static int read_regular_file(const char *path, char **ret_data, size_t *ret_size) {
	struct stat st;

	/* Check the type first: opening a FIFO would block and a device node may have side
	 * effects. O_NONBLOCK covers a swap between the stat() and the open(). */
	if (stat(path, &st) < 0)
		return negative_errno();
	if (!S_ISREG(st.st_mode))
		return -EBADMSG;
	_cleanup_close_ int fd = open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return negative_errno();
	if (fstat(fd, &st) < 0)
		return negative_errno();
	if (!S_ISREG(st.st_mode))
		return -EBADMSG;
	return read_full_fd(fd, ret_data, ret_size);
}

int read_state_file(const char *path, state_validate_fn validate, void *userdata,
		    char **ret_data, size_t *ret_size) {
	_cleanup_free_ char *data = NULL;
	size_t size = 0;

	if (isempty(path) || !ret_data)
		return -EINVAL;

	int r = read_regular_file(path, &data, &size);
	/* Too big or unreadable blocks: the content is bad, not the environment. */
	if (r == -EFBIG || r == -EIO)
		r = -EBADMSG;
	if (r >= 0 && size == 0)
		r = -EBADMSG;
	if (r >= 0 && validate) {
		int v = validate(data, size, userdata);
		if (v == -ENOMEM)
			return v;
		if (v < 0)
			r = -EBADMSG;
	}
	if (r == -EBADMSG) {
		(void) move_aside(path);
		return r;
	}
	if (r < 0)
		return r;

	*ret_data = TAKE_PTR(data);
	if (ret_size)
		*ret_size = size;
	return 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "build.h"
#include "build-lock.h"
#include "fd-util.h"
#include "log.h"

/* How often a waiting build tries again, and how often it says it still waits. */
#define LOCK_RETRY (200 * USEC_PER_MSEC)
#define LOCK_REMIND (30 * USEC_PER_SEC)

static char holder[512];

int build_lock_set_holder(const char *verb, const char *output) {
	struct tm tm;
	time_t t = time(NULL);
	char when[32];

	if (!gmtime_r(&t, &tm) || strftime(when, sizeof when, "%H:%M:%S UTC", &tm) == 0)
		snprintf(when, sizeof when, "%lld", (long long) t);
	int n = snprintf(holder, sizeof holder, "kiln-imagegen %s (PID %d, since %s)%s%s\n", verb, (int) getpid(), when,
			 output ? " writing " : "", output ?: "");
	return n < 0 || (size_t) n >= sizeof holder ? -ENAMETOOLONG : 0;
}

/* What the holder wrote, without its newline; "another build" when nothing yet. */
static void read_holder(int fd, char *buf, size_t size) {
	ssize_t n = pread(fd, buf, size - 1, 0);
	if (n <= 0) {
		snprintf(buf, size, "another build");
		return;
	}
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
}

static void write_holder(int fd) {
	size_t n = strlen(holder);
	/* Best effort: the lock holds whether or not the note could be written. */
	if (ftruncate(fd, 0) < 0 || pwrite(fd, holder, n, 0) != (ssize_t) n)
		log_debug("Cannot note the lock's holder: %m");
}

/* fd is locked: is it still the file at path (its holder may have removed it)? */
static bool still_at_path(int fd, const char *path) {
	struct stat a, b;
	return fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

int build_lock_take(const char *path, const char *what, bool shared, bool unlinkable) {
	usec_t start = now(CLOCK_MONOTONIC), reminded = 0;
	bool waited = false;

	for (;;) {
		_cleanup_close_ int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0644);
		if (fd < 0)
			return log_error_errno(-errno, "Cannot open the lock %s: %m", path);

		for (;;) {
			if (flock(fd, (shared ? LOCK_SH : LOCK_EX) | LOCK_NB) >= 0)
				break;
			if (errno != EWOULDBLOCK && errno != EINTR)
				return log_error_errno(-errno, "Cannot lock %s: %m", path);
			if (build_interrupted)
				return -EINTR;
			usec_t t = now(CLOCK_MONOTONIC);
			if (!waited || t - reminded >= LOCK_REMIND) {
				char who[512];
				read_holder(fd, who, sizeof who);
				if (!waited)
					log_info("Waiting for %s: it is held by %s.", what, who);
				else
					log_info("Still waiting for %s after %llu s: it is held by %s.", what,
						 (unsigned long long) ((t - start) / USEC_PER_SEC), who);
				waited = true;
				reminded = t;
			}
			struct timespec ts = { .tv_nsec = LOCK_RETRY * 1000 };
			(void) nanosleep(&ts, NULL);
		}
		if (unlinkable && !still_at_path(fd, path))
			continue;       /* its holder removed it as we waited: lock the new one */
		if (waited)
			log_info("Got %s after %.1f s.", what, (double) (now(CLOCK_MONOTONIC) - start) / USEC_PER_SEC);
		write_holder(fd);
		return TAKE_FD(fd);
	}
}

int build_lock_share(int fd) {
	return flock(fd, LOCK_SH) < 0 ? -errno : 0;
}

int build_lock_release(int fd, const char *unlink_path) {
	if (fd < 0)
		return 0;
	if (unlink_path)
		(void) unlink(unlink_path);
	safe_close(fd);
	return 0;
}

bool build_lock_is_held(const char *path) {
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	if (fd < 0)
		return false;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0)
		return errno == EWOULDBLOCK;
	return false;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

/* KILN_LOG_STDERR_ONLY: the static kiln-confine of the installer's initramfs, which has no
 * journal and links no libsystemd (Debian ships no static one). */
#if !KILN_LOG_STDERR_ONLY
#define SD_JOURNAL_SUPPRESS_LOCATION
#include <systemd/sd-journal.h>
#endif

#include "log.h"

/* Where libsystemd sends structured messages (not configurable there either). */
#define JOURNAL_SOCKET "/run/systemd/journal/socket"

static int max_level = LOG_INFO;
static LogTarget target = LOG_TARGET_AUTO;
static int stderr_is_journal = -1;

static const char *const level_names[] = {
	[LOG_EMERG] = "emerg", [LOG_ALERT] = "alert", [LOG_CRIT] = "crit", [LOG_ERR] = "err",
	[LOG_WARNING] = "warning", [LOG_NOTICE] = "notice", [LOG_INFO] = "info", [LOG_DEBUG] = "debug",
};

static int level_from_string(const char *s) {
	for (size_t i = 0; i < ELEMENTSOF(level_names); i++)
		if (streq(s, level_names[i]))
			return (int) i;
	return -EINVAL;
}

/* systemd sets JOURNAL_STREAM=dev:ino for the stream it connected to stdout/stderr;
 * we only trust it if stderr really is that stream (it is inherited by children). */
static int detect_stderr_journal(void) {
	const char *e = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (!e || sscanf(e, "%llu:%llu", &dev, &ino) != 2)
		return 0;
	if (fstat(STDERR_FILENO, &st) < 0)
		return 0;
	return st.st_dev == (dev_t) dev && st.st_ino == (ino_t) ino;
}

void log_setup(void) {
	const char *e = getenv("KILN_LOG_LEVEL");
	if (e) {
		int l = level_from_string(e);
		if (l >= 0)
			max_level = l;
	}
	stderr_is_journal = detect_stderr_journal();
}

void log_set_target(LogTarget t) {
	target = t;
}

LogTarget log_get_target(void) {
	if (target != LOG_TARGET_AUTO)
		return target;
	if (stderr_is_journal < 0)
		stderr_is_journal = detect_stderr_journal();
	return stderr_is_journal ? LOG_TARGET_JOURNAL : LOG_TARGET_STDERR;
}

void log_set_max_level(int level) {
	max_level = level;
}

int log_get_max_level(void) {
	return max_level;
}

static int log_to_journal(int level, int error, const LogField *fields, size_t n_fields,
			  const char *file, int line, const char *func, const char *msg) {
#if KILN_LOG_STDERR_ONLY
	return -ENOSYS;
#else
	/* MESSAGE, PRIORITY, ERRNO, CODE_FILE, CODE_LINE, CODE_FUNC, SYSLOG_IDENTIFIER, fields */
	size_t n = 7 + n_fields;
	struct iovec iov[n];
	char *strings[n];
	size_t k = 0;
	int r = 0;

	/* sd_journal_sendv() returns success when journald's socket does not exist (it drops
	 * the message on purpose), which would defeat our fallback to stderr: check first. */
	if (access(JOURNAL_SOCKET, F_OK) < 0)
		return -errno;

	memset(strings, 0, sizeof strings);
	if (asprintf(&strings[k++], "MESSAGE=%s", msg) < 0 ||
	    asprintf(&strings[k++], "PRIORITY=%i", level) < 0 ||
	    asprintf(&strings[k++], "CODE_FILE=%s", file) < 0 ||
	    asprintf(&strings[k++], "CODE_LINE=%i", line) < 0 ||
	    asprintf(&strings[k++], "CODE_FUNC=%s", func) < 0 ||
	    asprintf(&strings[k++], "SYSLOG_IDENTIFIER=%s", program_invocation_short_name) < 0 ||
	    (error != 0 && asprintf(&strings[k++], "ERRNO=%i", abs(error)) < 0)) {
		r = -ENOMEM;
		goto finish;
	}
	for (size_t i = 0; i < n_fields; i++)
		if (fields[i].name && fields[i].value &&
		    asprintf(&strings[k++], "%s=%s", fields[i].name, fields[i].value) < 0) {
			r = -ENOMEM;
			goto finish;
		}
	for (size_t i = 0; i < k; i++)
		iov[i] = (struct iovec) { .iov_base = strings[i], .iov_len = strlen(strings[i]) };
	r = sd_journal_sendv(iov, (int) k);

finish:
	for (size_t i = 0; i < n; i++)
		free(strings[i]);
	return r;
#endif
}

int log_internal(int level, int error, const LogField *fields, size_t n_fields,
		 const char *file, int line, const char *func, const char *fmt, ...) {
	PROTECT_ERRNO;
	char msg[2048];
	va_list ap;
	int ret = error == 0 ? 0 : -abs(error);

	if (level > max_level)
		return ret;

	/* Make %m print the error we were given, not whatever errno happens to hold. */
	errno = abs(error);
	va_start(ap, fmt);
	(void) vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);

	if (log_get_target() == LOG_TARGET_JOURNAL &&
	    log_to_journal(level, error, fields, n_fields, file, line, func, msg) >= 0)
		return ret;

	/* stderr: one line, the fields that identify the context first. The whole line goes
	 * out in one writev(): stderr is unbuffered, so separate fprintf() calls would be
	 * separate write()s, and lines of processes sharing the stream (the supervisor and
	 * its children, the journal stream) would interleave mid-line. iovecs: program,
	 * ": ", five per field, message, newline. */
	struct iovec iov[4 + 5 * n_fields];
	size_t k = 0;
#define IOV_STR(s) iov[k++] = (struct iovec) { .iov_base = (char *) (s), .iov_len = strlen(s) }
	IOV_STR(program_invocation_short_name);
	IOV_STR(": ");
	for (size_t i = 0; i < n_fields; i++)
		if (fields[i].name && fields[i].value) {
			IOV_STR("[");
			IOV_STR(fields[i].name);
			IOV_STR("=");
			IOV_STR(fields[i].value);
			IOV_STR("] ");
		}
	IOV_STR(msg);
	IOV_STR("\n");
#undef IOV_STR
	/* Best effort: there is nowhere left to report a failing stderr. */
	(void) fflush(stderr);
	ssize_t n = writev(STDERR_FILENO, iov, (int) k);
	(void) n;
	return ret;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fd-util.h"
#include "log.h"
#include "tap.h"

/* stderr is redirected to a memfd between cap_begin() and cap_end(). */
static int cap_fd = -EBADF, saved_stderr = -EBADF;

static void cap_begin(void) {
	fflush(stderr);
	cap_fd = memfd_create("stderr", MFD_CLOEXEC);
	saved_stderr = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
	if (cap_fd < 0 || saved_stderr < 0 || dup2(cap_fd, STDERR_FILENO) < 0)
		abort();
}

/* Returns what was written to stderr since cap_begin(), as a string. */
static char *cap_end(void) {
	static char buf[8192];
	ssize_t n;

	fflush(stderr);
	if (dup2(saved_stderr, STDERR_FILENO) < 0)
		abort();
	saved_stderr = safe_close(saved_stderr);
	n = pread(cap_fd, buf, sizeof buf - 1, 0);
	cap_fd = safe_close(cap_fd);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static void test_format(void) {
	int r;

	cap_begin();
	r = log_info("hello %d", 42);
	is_str(cap_end(), "test-log: hello 42\n", "plain line is \"program: message\"");
	is_int(r, 0, "log_info returns 0");

	cap_begin();
	log_struct(LOG_NOTICE, 0, LOG_FIELDS({ "KILN_PHASE", "x" }), "phase %s", "done");
	is_str(cap_end(), "test-log: [KILN_PHASE=x] phase done\n", "field rendered before the message");

	cap_begin();
	log_struct(LOG_WARNING, 0, LOG_FIELDS({ "KILN_PHASE", "runtime" }, { "KILN_UNIT", NULL }, { "KILN_NODE", "n1" }),
		   "two fields");
	is_str(cap_end(), "test-log: [KILN_PHASE=runtime] [KILN_NODE=n1] two fields\n",
	       "fields in order, a NULL value skipped");
}

static void test_errno(void) {
	int r;

	errno = EBUSY;
	cap_begin();
	r = log_error_errno(-ENOENT, "Failed to open %s: %m", "foo");
	is_str(cap_end(), "test-log: Failed to open foo: No such file or directory\n", "%m prints the given error");
	is_int(r, -ENOENT, "log_error_errno returns the negative error");
	is_int(errno, EBUSY, "errno preserved across the call");

	cap_begin();
	r = log_warning_errno(EACCES, "positive: %m");
	is_str(cap_end(), "test-log: positive: Permission denied\n", "a positive errno works too");
	is_int(r, -EACCES, "and is returned negated");

	cap_begin();
	r = log_struct(LOG_ERR, -EIO, LOG_FIELDS({ "KILN_PHASE", "image" }), "step: %m");
	is_str(cap_end(), "test-log: [KILN_PHASE=image] step: Input/output error\n", "%m in structured messages");
	is_int(r, -EIO, "log_struct returns the error");
}

static void test_levels(void) {
	int r;

	is_int(log_get_max_level(), LOG_INFO, "default level is info");
	cap_begin();
	log_debug("invisible");
	r = log_debug_errno(-EIO, "invisible too: %m");
	is_str(cap_end(), "", "debug suppressed at info");
	is_int(r, -EIO, "a suppressed message still returns its error");

	log_set_max_level(LOG_WARNING);
	cap_begin();
	log_notice("no");
	log_info("no");
	log_warning("yes");
	log_error("yes too");
	is_str(cap_end(), "test-log: yes\ntest-log: yes too\n", "at warning: notice and info dropped");

	log_set_max_level(LOG_DEBUG);
	cap_begin();
	log_debug("now visible");
	is_str(cap_end(), "test-log: now visible\n", "debug shown at debug");
}

static void test_setup_env(void) {
	log_set_max_level(LOG_INFO);
	setenv("KILN_LOG_LEVEL", "debug", 1);
	log_setup();
	is_int(log_get_max_level(), LOG_DEBUG, "KILN_LOG_LEVEL=debug");
	setenv("KILN_LOG_LEVEL", "err", 1);
	log_setup();
	is_int(log_get_max_level(), LOG_ERR, "KILN_LOG_LEVEL=err");
	cap_begin();
	log_warning("hidden");
	log_error("shown");
	is_str(cap_end(), "test-log: shown\n", "the level from the environment filters");
	setenv("KILN_LOG_LEVEL", "bogus", 1);
	log_setup();
	is_int(log_get_max_level(), LOG_ERR, "an unknown name keeps the current level");
	setenv("KILN_LOG_LEVEL", "notice", 1);
	log_setup();
	is_int(log_get_max_level(), LOG_NOTICE, "KILN_LOG_LEVEL=notice");
	unsetenv("KILN_LOG_LEVEL");
	log_set_max_level(LOG_INFO);
	log_setup();
	is_int(log_get_max_level(), LOG_INFO, "unset keeps the current level");
}

static void test_target(void) {
	struct stat st;
	char js[64];

	log_set_target(LOG_TARGET_STDERR);
	is_int(log_get_target(), LOG_TARGET_STDERR, "explicit stderr target");

	/* $JOURNAL_STREAM counts only when it names the stream that stderr really is. */
	cap_begin();
	ok(fstat(STDERR_FILENO, &st) == 0, "fstat the captured stderr");
	snprintf(js, sizeof js, "%llu:%llu", (unsigned long long) st.st_dev, (unsigned long long) st.st_ino);
	setenv("JOURNAL_STREAM", js, 1);
	log_setup();
	log_set_target(LOG_TARGET_AUTO);
	LogTarget matching = log_get_target();
	setenv("JOURNAL_STREAM", "1:1", 1);
	log_setup();
	LogTarget other = log_get_target();
	unsetenv("JOURNAL_STREAM");
	log_setup();
	LogTarget unset = log_get_target();

	/* Without a journald socket the journal target must fall back to stderr. */
	bool journald = access("/run/systemd/journal/socket", F_OK) == 0;
	log_set_target(LOG_TARGET_JOURNAL);
	log_info("fallback");
	const char *out = cap_end();
	is_int(matching, LOG_TARGET_JOURNAL, "matching JOURNAL_STREAM selects the journal");
	is_int(other, LOG_TARGET_STDERR, "a JOURNAL_STREAM naming another file is ignored");
	is_int(unset, LOG_TARGET_STDERR, "no JOURNAL_STREAM: stderr");
	if (journald)
		skip(1, "journald is running here, the message went there");
	else
		is_str(out, "test-log: fallback\n", "journal unavailable: message still reaches stderr");
	log_set_target(LOG_TARGET_STDERR);
}

/* Each write() on a SOCK_SEQPACKET socket is one record, so one recv() shows exactly
 * what a single write carried: the whole line must come in one piece, or lines of
 * processes sharing stderr interleave. */
static void test_one_write_per_line(void) {
	char rec[512] = "";
	int sv[2];

	ok(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0, "socketpair");
	fflush(stderr);
	saved_stderr = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
	ok(saved_stderr >= 0 && dup2(sv[0], STDERR_FILENO) == STDERR_FILENO, "stderr is a seqpacket socket");
	log_struct(LOG_INFO, 0, LOG_FIELDS({ "KILN_PHASE", "x" }), "atomic %d", 1);
	(void) dup2(saved_stderr, STDERR_FILENO);
	saved_stderr = safe_close(saved_stderr);
	ssize_t n = recv(sv[1], rec, sizeof rec - 1, MSG_DONTWAIT);
	rec[n > 0 ? n : 0] = '\0';
	is_str(rec, "test-log: [KILN_PHASE=x] atomic 1\n", "the first write carries the whole line");
	safe_close(sv[0]);
	safe_close(sv[1]);
}

static void test_long_message(void) {
	char big[3000];
	memset(big, 'y', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	cap_begin();
	log_info("%s", big);
	const char *out = cap_end();
	/* 2047 characters of message survive, and the line is still terminated. */
	size_t want = strlen("test-log: ") + 2047 + 1;
	ok(strlen(out) == want && out[want - 1] == '\n' && out[want - 2] == 'y',
	   "over-long message truncated to one terminated line (%zu bytes)", strlen(out));
}

int main(void) {
	/* Start from a known state whatever the environment of the test run. */
	unsetenv("KILN_LOG_LEVEL");
	unsetenv("JOURNAL_STREAM");
	log_setup();
	log_set_target(LOG_TARGET_STDERR);

	test_format();
	test_errno();
	test_levels();
	test_setup_env();
	test_target();
	test_one_write_per_line();
	test_long_message();
	return done_testing();
}

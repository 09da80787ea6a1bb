/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "progress.h"
#include "time-util.h"

static bool tty;
static unsigned step_index, step_count;
static const char *step_title;
static usec_t step_start;
static volatile uint64_t bar_done, bar_total;

/* Async-signal-safe formatting: the ticker runs in a SIGALRM handler. */
static size_t put_str(char *buf, size_t at, size_t size, const char *s) {
	while (*s && at + 1 < size)
		buf[at++] = *s++;
	return at;
}

static size_t put_uint(char *buf, size_t at, size_t size, unsigned long long v) {
	char tmp[24];
	size_t n = 0;
	do
		tmp[n++] = (char) ('0' + v % 10);
	while ((v /= 10) > 0);
	while (n > 0 && at + 1 < size)
		buf[at++] = tmp[--n];
	return at;
}

static void draw(bool final, int result) {
	char line[256];
	size_t n = 0;
	usec_t elapsed = now(CLOCK_MONOTONIC) - step_start;

	n = put_str(line, n, sizeof line, "\r\033[K[");
	n = put_uint(line, n, sizeof line, step_index);
	n = put_str(line, n, sizeof line, "/");
	n = put_uint(line, n, sizeof line, step_count);
	n = put_str(line, n, sizeof line, "] ");
	n = put_str(line, n, sizeof line, step_title);
	n = put_str(line, n, sizeof line, "  ");
	uint64_t total = bar_total, done = bar_done;
	if (!final && total > 0) {
		unsigned filled = (unsigned) (done * 30 / total);
		n = put_str(line, n, sizeof line, "[");
		for (unsigned i = 0; i < 30; i++)
			n = put_str(line, n, sizeof line, i < filled ? "#" : ".");
		n = put_str(line, n, sizeof line, "] ");
		n = put_uint(line, n, sizeof line, done * 100 / total);
		n = put_str(line, n, sizeof line, "%  ");
	}
	n = put_uint(line, n, sizeof line, elapsed / USEC_PER_SEC);
	n = put_str(line, n, sizeof line, ".");
	n = put_uint(line, n, sizeof line, (elapsed / (USEC_PER_SEC / 10)) % 10);
	n = put_str(line, n, sizeof line, " s");
	if (final)
		n = put_str(line, n, sizeof line, result < 0 ? "  failed\n" : "  done\n");
	ssize_t w = write(STDERR_FILENO, line, n);
	(void) w;
}

static void on_tick(int sig) {
	int saved = errno;
	draw(false, 0);
	errno = saved;
}

static void ticker(bool on) {
	struct itimerval it = {};
	if (on) {
		struct sigaction sa = { .sa_handler = on_tick, .sa_flags = SA_RESTART };
		sigemptyset(&sa.sa_mask);
		(void) sigaction(SIGALRM, &sa, NULL);
		it.it_interval.tv_usec = it.it_value.tv_usec = 500000;
	}
	(void) setitimer(ITIMER_REAL, &it, NULL);
}

void progress_begin(unsigned index, unsigned count, const char *title) {
	tty = isatty(STDERR_FILENO) && log_get_max_level() >= LOG_INFO;
	step_index = index;
	step_count = count;
	step_title = title;
	step_start = now(CLOCK_MONOTONIC);
	bar_done = bar_total = 0;
	if (tty) {
		draw(false, 0);
		ticker(true);
	} else
		log_info("[%u/%u] %s ...", index, count, title);
}

void progress_update(uint64_t done, uint64_t total) {
	bar_total = total;
	bar_done = done;
}

void progress_end(int result) {
	usec_t elapsed = now(CLOCK_MONOTONIC) - step_start;
	if (tty) {
		ticker(false);
		draw(true, result);
	} else if (result >= 0)
		log_info("[%u/%u] %s: done in %.1f s", step_index, step_count, step_title,
			 (double) elapsed / USEC_PER_SEC);
	else
		log_info("[%u/%u] %s: failed after %.1f s", step_index, step_count, step_title,
			 (double) elapsed / USEC_PER_SEC);
}

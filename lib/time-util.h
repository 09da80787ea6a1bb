/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Microsecond time arithmetic, systemd style: one unsigned 64-bit type for both points in
 * time and durations, with USEC_INFINITY meaning "never" so timeouts need no extra flag. */

#include <limits.h>
#include <stdint.h>
#include <time.h>

typedef uint64_t usec_t;

#define USEC_INFINITY ((usec_t) UINT64_MAX)
#define NSEC_PER_USEC ((usec_t) 1000ULL)
#define USEC_PER_MSEC ((usec_t) 1000ULL)
#define USEC_PER_SEC  ((usec_t) 1000000ULL)
#define USEC_PER_MINUTE ((usec_t) 60ULL * USEC_PER_SEC)
#define MSEC_PER_SEC  1000ULL

static inline usec_t timespec_load(const struct timespec *ts) {
	if (ts->tv_sec < 0 || ts->tv_nsec < 0)
		return USEC_INFINITY;
	return (usec_t) ts->tv_sec * USEC_PER_SEC + (usec_t) ts->tv_nsec / NSEC_PER_USEC;
}

/* clock_gettime() cannot fail for the clocks we use (MONOTONIC, REALTIME, BOOTTIME) with a
 * valid pointer, so there is no error to return. */
static inline usec_t now(clockid_t clock) {
	struct timespec ts = {};
	(void) clock_gettime(clock, &ts);
	return timespec_load(&ts);
}

/* Saturating: anything plus infinity, or an overflow, stays infinity. */
static inline usec_t usec_add(usec_t a, usec_t b) {
	return a > USEC_INFINITY - b ? USEC_INFINITY : a + b;
}

static inline usec_t usec_sub_unsigned(usec_t a, usec_t b) {
	if (a == USEC_INFINITY)
		return USEC_INFINITY;
	return a > b ? a - b : 0;
}

/* For poll(): round up so a short remaining time never becomes a busy loop of 0 ms polls,
 * and map infinity to -1 (wait forever). */
static inline int usec_to_poll_timeout(usec_t u) {
	if (u == USEC_INFINITY)
		return -1;
	usec_t ms = u / USEC_PER_MSEC + (u % USEC_PER_MSEC != 0);
	return ms > INT_MAX ? INT_MAX : (int) ms;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A tiny TAP 13 emitter for the C tests. Each test program prints "ok N - name" lines,
 * then the plan at the end (done_testing), and exits non-zero if any check failed. */

#include <stdbool.h>
#include <stdint.h>

#include "macro.h"

_printf_(2, 3) bool tap_ok(bool cond, const char *fmt, ...);
_printf_(1, 2) void tap_diag(const char *fmt, ...);
_printf_(2, 3) void tap_skip(unsigned n, const char *fmt, ...);
/* Print "1..0 # SKIP reason" and exit 0: the whole program has nothing it can test here. */
_printf_(1, 2) _noreturn_ void tap_skip_all(const char *fmt, ...);
/* Print the plan and return the exit status for main(). */
int tap_done(void);

bool tap_is_int_(intmax_t got, intmax_t want, const char *gotexpr, const char *name);
bool tap_is_str_(const char *got, const char *want, const char *gotexpr, const char *name);

#define ok(cond, ...) tap_ok(!!(cond), __VA_ARGS__)
#define is_int(got, want, name) tap_is_int_((intmax_t) (got), (intmax_t) (want), #got, (name))
#define is_str(got, want, name) tap_is_str_((got), (want), #got, (name))
#define diag(...) tap_diag(__VA_ARGS__)
#define skip(n, ...) tap_skip((n), __VA_ARGS__)
#define skip_all(...) tap_skip_all(__VA_ARGS__)
#define done_testing() tap_done()

/* Path helpers for tests: the source and build directories, passed by meson. */
const char *tap_srcdir(void);
const char *tap_builddir(void);
/* Make a fresh temporary directory under $TMPDIR; the caller removes it with rm_rf(). */
char *tap_mkdtemp(void);
int rm_rf(const char *path);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Small macros used everywhere: cleanup attributes, ownership transfer, array sizes.
 * The cleanup helpers follow systemd's convention: destructors accept NULL and the
 * TAKE_* macros hand ownership out of a cleanup-managed variable. */

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _unused_ __attribute__((unused))
#define _noreturn_ __attribute__((noreturn))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _sentinel_ __attribute__((sentinel))
#define _warn_unused_result_ __attribute__((warn_unused_result))
#define _likely_(x) __builtin_expect(!!(x), 1)
#define _unlikely_(x) __builtin_expect(!!(x), 0)

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))
#define STRLEN(s) (sizeof("" s "") - 1)

/* Hand out the value of a cleanup-managed variable and leave a neutral value behind. */
#define TAKE_GENERIC(var, type, nullvalue)                    \
	({                                                    \
		type *_pvar_ = &(var);                        \
		type _var_ = *_pvar_;                         \
		type _nullvalue_ = nullvalue;                 \
		*_pvar_ = _nullvalue_;                        \
		_var_;                                        \
	})
#define TAKE_PTR(ptr) TAKE_GENERIC(ptr, __typeof__(ptr), NULL)
#define TAKE_FD(fd) TAKE_GENERIC(fd, int, -EBADF)

/* Define "static inline void fooP(type **p)" that calls foo(*p) when *p is not NULL. */
#define DEFINE_TRIVIAL_CLEANUP_FUNC(type, func)               \
	static inline void func##p(type *p) {                 \
		if (*p)                                       \
			*p = func(*p);                        \
	}

/* Same, for destructors that return void (free-like). */
#define DEFINE_TRIVIAL_CLEANUP_FUNC_VOID(type, func)          \
	static inline void func##p(type *p) {                 \
		if (*p)                                       \
			func(*p);                             \
	}

static inline void freep(void *p) {
	free(*(void **) p);
}
#define _cleanup_free_ _cleanup_(freep)

/* Turn a libc style "-1 and errno" into -errno, never returning 0 by accident. */
static inline int negative_errno(void) {
	return errno > 0 ? -errno : -EIO;
}

/* Keep errno across a cleanup that may clobber it. */
static inline void _reset_errno_(int *saved) {
	errno = *saved;
}
#define PROTECT_ERRNO _cleanup_(_reset_errno_) _unused_ int _saved_errno_ = errno

#define streq(a, b) (strcmp((a), (b)) == 0)
/* Equal strings, or both NULL. */
static inline bool streq_ptr(const char *a, const char *b) {
	return a && b ? streq(a, b) : a == b;
}
#define strneq(a, b, n) (strncmp((a), (b), (n)) == 0)
#define isempty(s) (!(s) || !(s)[0])

#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

/* free() that returns NULL, for "p = mfree_str(p);". */
static inline void *mfree_str(void *p) {
	free(p);
	return NULL;
}

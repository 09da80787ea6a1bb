/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ftw.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"

static unsigned n_tests, n_failed;

_printf_(2, 0) static void vprint_line(const char *prefix, const char *fmt, va_list ap) {
	fputs(prefix, stdout);
	vfprintf(stdout, fmt, ap);
	fputc('\n', stdout);
	fflush(stdout);
}

bool tap_ok(bool cond, const char *fmt, ...) {
	va_list ap;

	n_tests++;
	if (!cond)
		n_failed++;
	printf("%sok %u - ", cond ? "" : "not ", n_tests);
	va_start(ap, fmt);
	vprint_line("", fmt, ap);
	va_end(ap);
	return cond;
}

void tap_diag(const char *fmt, ...) {
	va_list ap;
	va_start(ap, fmt);
	vprint_line("# ", fmt, ap);
	va_end(ap);
}

void tap_skip(unsigned n, const char *fmt, ...) {
	char reason[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof reason, fmt, ap);
	va_end(ap);
	for (unsigned i = 0; i < n; i++)
		printf("ok %u # SKIP %s\n", ++n_tests, reason);
	fflush(stdout);
}

void tap_skip_all(const char *fmt, ...) {
	va_list ap;
	va_start(ap, fmt);
	vprint_line("1..0 # SKIP ", fmt, ap);
	va_end(ap);
	exit(EXIT_SUCCESS);
}

int tap_done(void) {
	printf("1..%u\n", n_tests);
	if (n_failed > 0)
		printf("# %u of %u checks failed\n", n_failed, n_tests);
	fflush(stdout);
	return n_failed > 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}

bool tap_is_int_(intmax_t got, intmax_t want, const char *gotexpr, const char *name) {
	bool r = tap_ok(got == want, "%s", name);
	if (!r)
		tap_diag("  %s: got %" PRIdMAX ", want %" PRIdMAX, gotexpr, got, want);
	return r;
}

bool tap_is_str_(const char *got, const char *want, const char *gotexpr, const char *name) {
	bool same = (!got && !want) || (got && want && strcmp(got, want) == 0);
	bool r = tap_ok(same, "%s", name);
	if (!r)
		tap_diag("  %s: got \"%s\", want \"%s\"", gotexpr, got ?: "(null)", want ?: "(null)");
	return r;
}

const char *tap_srcdir(void) {
	return getenv("KILN_SRCDIR") ?: ".";
}

const char *tap_builddir(void) {
	return getenv("KILN_BUILDDIR") ?: ".";
}

char *tap_mkdtemp(void) {
	char *p = NULL;
	const char *tmp = getenv("TMPDIR") ?: "/tmp";
	if (asprintf(&p, "%s/kiln-test-XXXXXX", tmp) < 0)
		return NULL;
	if (!mkdtemp(p)) {
		free(p);
		return NULL;
	}
	return p;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
	(void) st, (void) flag, (void) ftw;
	return remove(path) < 0 ? -1 : 0;
}

int rm_rf(const char *path) {
	if (!path)
		return 0;
	return nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS) < 0 ? negative_errno() : 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the preflight checks share: reports, paths below the root, small string helpers.
 * The runner is preflight-run.c; the checks are in preflight-checks.c, preflight-kernel.c,
 * preflight-swap.c and preflight-host.c. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc-util.h"
#include "fileio.h"
#include "preflight-internal.h"
#include "strv.h"

static const char *const result_table[_PREFLIGHT_RESULT_MAX] = {
	[PREFLIGHT_PASS]  = "pass",
	[PREFLIGHT_FIXED] = "fixed",
	[PREFLIGHT_WARN]  = "warn",
	[PREFLIGHT_FAIL]  = "fail",
};

const char *preflight_result_to_string(PreflightResult r) {
	if (r < 0 || r >= _PREFLIGHT_RESULT_MAX)
		return NULL;
	return result_table[r];
}

static void report_done(PreflightReport *r) {
	free((char *) r->name);
	free(r->message);
	free(r->hint);
}

void preflight_reports_free(PreflightReport *r, size_t n) {
	if (!r)
		return;
	for (size_t i = 0; i < n; i++)
		report_done(&r[i]);
	free(r);
}

int report_add_take(PreflightReports *out, const char *name, PreflightResult result, char *message, char *hint) {
	_cleanup_free_ char *m = message, *h = hint, *copy = NULL;

	if (!m)
		return -ENOMEM;   /* the caller's asprintf() failed */
	copy = strdup(name);
	if (!copy)
		return -ENOMEM;
	if (!GREEDY_REALLOC(out->items, out->n_allocated, out->n + 1))
		return -ENOMEM;
	out->items[out->n++] = (PreflightReport) {
		.name = TAKE_PTR(copy),
		.result = result,
		.message = TAKE_PTR(m),
		.hint = TAKE_PTR(h),
	};
	return 0;
}

int report_add(PreflightReports *out, const char *name, PreflightResult result, const char *hint, const char *fmt, ...) {
	char *message = NULL, *h = NULL;
	va_list ap;
	int k;

	va_start(ap, fmt);
	k = vasprintf(&message, fmt, ap);
	va_end(ap);
	if (k < 0)
		message = NULL;
	if (hint && !(h = strdup(hint))) {
		free(message);
		return -ENOMEM;
	}
	return report_add_take(out, name, result, message, h);
}

int preflight_path(const PreflightContext *ctx, const char *rel, char **ret) {
	size_t n = strlen(ctx->root);
	char *p;

	/* Neither "//proc" nor "/tmp/x//proc": messages show these paths. */
	while (n > 0 && ctx->root[n - 1] == '/')
		n--;
	while (*rel == '/')
		rel++;
	if (asprintf(&p, "%.*s/%s", (int) n, ctx->root, rel) < 0)
		return -ENOMEM;
	*ret = p;
	return 0;
}

int preflight_read(const PreflightContext *ctx, const char *rel, char **ret) {
	_cleanup_free_ char *p = NULL;
	int r;

	r = preflight_path(ctx, rel, &p);
	if (r < 0)
		return r;
	return read_full_file(p, ret, NULL);
}

int preflight_read_line(const PreflightContext *ctx, const char *rel, char **ret) {
	_cleanup_free_ char *data = NULL;
	int r;

	r = preflight_read(ctx, rel, &data);
	if (r < 0)
		return r;
	size_t n = strcspn(data, "\n");
	while (n > 0 && strchr(" \t\r", data[n - 1]))
		n--;
	data[n] = '\0';
	*ret = TAKE_PTR(data);
	return 0;
}

bool preflight_exists(const PreflightContext *ctx, const char *rel) {
	_cleanup_free_ char *p = NULL;

	return preflight_path(ctx, rel, &p) >= 0 && access(p, F_OK) >= 0;
}

bool preflight_root_is_host(const PreflightContext *ctx) {
	struct stat a, b;

	return stat(ctx->root, &a) >= 0 && stat("/", &b) >= 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

bool preflight_can_fix_host(const PreflightContext *ctx) {
	/* Loading a module or writing a sysctl changes the running kernel, whatever root the
	 * checks read: only the real root may cause that, or a test's own runner. */
	return ctx->fix && (ctx->start_command || preflight_root_is_host(ctx));
}

const char *preflight_format_size(uint64_t bytes, char buf[static PREFLIGHT_SIZE_MAX]) {
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
	double v = (double) bytes;
	size_t u = 0;

	while (v >= 1024.0 && u + 1 < ELEMENTSOF(units)) {
		v /= 1024.0;
		u++;
	}
	if (u == 0)
		(void) snprintf(buf, PREFLIGHT_SIZE_MAX, "%" PRIu64 " B", bytes);
	else
		(void) snprintf(buf, PREFLIGHT_SIZE_MAX, "%.1f %s", v, units[u]);
	return buf;
}

int strextend_list(char **s, const char *word) {
	char *n;

	if (asprintf(&n, "%s%s%s", *s ?: "", isempty(*s) ? "" : ", ", word) < 0)
		return -ENOMEM;
	free(*s);
	*s = n;
	return 0;
}

NodeRole preflight_role(const PreflightContext *ctx) {
	if (ctx->machine && ctx->machine->role >= 0 && ctx->machine->role < _NODE_ROLE_MAX)
		return ctx->machine->role;
	if (ctx->profile && ctx->profile->node.role >= 0 && ctx->profile->node.role < _NODE_ROLE_MAX)
		return ctx->profile->node.role;
	return NODE_ROLE_SINGLE;
}

bool preflight_has_word(const char *text, const char *word) {
	size_t n = strlen(word);

	for (const char *p = text; p && *p;) {
		p += strspn(p, " \t\r\n");
		size_t k = strcspn(p, " \t\r\n");
		if (k == n && strneq(p, word, n))
			return true;
		p += k;
	}
	return false;
}

char *preflight_printf(const char *fmt, ...) {
	char *s;
	va_list ap;
	int k;

	va_start(ap, fmt);
	k = vasprintf(&s, fmt, ap);
	va_end(ap);
	return k < 0 ? NULL : s;
}

int preflight_join(char *const *l, const char *sep, char **ret) {
	size_t n = 1;
	char *s, *p;

	STRV_FOREACH(w, l)
		n += strlen(*w) + strlen(sep);
	s = p = malloc(n);
	if (!s)
		return -ENOMEM;
	*p = '\0';
	STRV_FOREACH(w, l)
		p = stpcpy(stpcpy(p, w == l ? "" : sep), *w);
	*ret = s;
	return 0;
}

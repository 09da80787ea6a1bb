/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc-util.h"
#include "blob-cache.h"
#include "fileio.h"
#include "lockfile.h"
#include "package-pins.h"
#include "parse-util.h"
#include "strv.h"

/* The line layout of each kind: how many fields follow the kind word. */
static const struct {
	const char *word;
	size_t n_fields;
} lock_kinds[_LOCK_KIND_MAX] = {
	[LOCK_FILE]     = { "file",     3 },   /* name url digest */
	[LOCK_MANIFEST] = { "manifest", 2 },   /* url digest */
	[LOCK_IMAGE]    = { "image",    5 },   /* ref digest media-type size platform-digest */
	[LOCK_PACKAGE]  = { "package",  3 },   /* set name version */
};

const char *lock_kind_to_string(LockKind k) {
	return k >= 0 && k < _LOCK_KIND_MAX ? lock_kinds[k].word : NULL;
}

static void lock_entry_done(LockEntry *e) {
	free(e->name);
	free(e->url);
	free(e->digest);
	free(e->media_type);
	free(e->platform_digest);
	free(e->set);
	free(e->version);
}

LockFile *lock_file_free(LockFile *l) {
	if (!l)
		return NULL;
	for (size_t i = 0; i < l->n_entries; i++)
		lock_entry_done(&l->entries[i]);
	free(l->entries);
	free(l->platform);
	free(l);
	return NULL;
}

static bool digest_is_valid(const char *s) {
	return blob_digest_parse(s, NULL, NULL) >= 0;
}

/* os/arch[/variant], each part lowercase letters and digits. */
static bool platform_is_valid(const char *s) {
	size_t parts = 1, len = 0;
	for (const char *p = s; *p; p++) {
		if (*p == '/') {
			if (len == 0)
				return false;
			parts++, len = 0;
		} else if ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9'))
			len++;
		else
			return false;
	}
	return len > 0 && parts >= 2 && parts <= 3;
}

_printf_(4, 5) static int fail(char **ret_error, const char *name, unsigned line, const char *fmt, ...) {
	_cleanup_free_ char *what = NULL;
	va_list ap;

	va_start(ap, fmt);
	int k = vasprintf(&what, fmt, ap);
	va_end(ap);
	if (k < 0)
		return -ENOMEM;
	if (ret_error && asprintf(ret_error, "%s:%u: %s", name, line, what) < 0)
		return -ENOMEM;
	return -EBADMSG;
}

static LockEntry *find_entry(const LockFile *l, LockKind kind, const char *set, const char *name) {
	for (size_t i = 0; i < l->n_entries; i++)
		if (l->entries[i].kind == kind && streq(l->entries[i].name, name) && streq_ptr(l->entries[i].set, set))
			return &l->entries[i];
	return NULL;
}

const LockEntry *lock_file_find(const LockFile *l, LockKind kind, const char *name) {
	assert(kind != LOCK_PACKAGE);
	return find_entry(l, kind, NULL, name);
}

int lock_file_packages(const LockFile *l, const char *set, char ***ret) {
	_cleanup_strv_free_ char **pins = NULL;
	for (size_t i = 0; i < l->n_entries; i++)
		if (l->entries[i].kind == LOCK_PACKAGE && streq(l->entries[i].set, set) &&
		    strv_extendf(&pins, "%s %s", l->entries[i].name, l->entries[i].version) < 0)
			return -ENOMEM;
	strv_sort_unique(pins);
	*ret = TAKE_PTR(pins);
	return 0;
}

int lock_file_put(LockFile *l, const LockEntry *e) {
	LockEntry copy = { .kind = e->kind, .size = e->size };

	if (!(copy.name = strdup(e->name)) || (e->url && !(copy.url = strdup(e->url))) ||
	    (e->digest && !(copy.digest = strdup(e->digest))) ||
	    (e->media_type && !(copy.media_type = strdup(e->media_type))) ||
	    (e->platform_digest && !(copy.platform_digest = strdup(e->platform_digest))) ||
	    (e->set && !(copy.set = strdup(e->set))) || (e->version && !(copy.version = strdup(e->version)))) {
		lock_entry_done(&copy);
		return -ENOMEM;
	}
	LockEntry *old = find_entry(l, e->kind, e->set, e->name);
	if (old) {
		lock_entry_done(old);
		*old = copy;
		return 0;
	}
	if (!GREEDY_REALLOC(l->entries, l->n_allocated, l->n_entries + 1)) {
		lock_entry_done(&copy);
		return -ENOMEM;
	}
	l->entries[l->n_entries++] = copy;
	return 0;
}

/* Split a line at single spaces into at most max fields; returns how many there were
 * (max + 1 when there were more). The line is modified. */
static size_t split_fields(char *line, char **fields, size_t max) {
	size_t n = 0;
	for (char *save = NULL, *f = strtok_r(line, " ", &save); f; f = strtok_r(NULL, " ", &save)) {
		if (n == max)
			return max + 1;
		fields[n++] = f;
	}
	return n;
}

static int parse_entry(LockFile *l, char **f, size_t n, const char *name, unsigned line, char **ret_error) {
	LockKind kind = _LOCK_KIND_MAX;
	LockEntry e = {};

	for (LockKind k = 0; k < _LOCK_KIND_MAX; k++)
		if (streq(f[0], lock_kinds[k].word))
			kind = k;
	if (kind == _LOCK_KIND_MAX)
		return fail(ret_error, name, line, "unknown entry \"%s\" (file, manifest, image or package)", f[0]);
	if (n != lock_kinds[kind].n_fields + 1)
		return fail(ret_error, name, line, "a %s entry has %zu fields, not %zu", f[0], lock_kinds[kind].n_fields,
			    n - 1);

	e.kind = kind;
	switch (kind) {
	case LOCK_FILE:
		e.name = f[1], e.url = f[2], e.digest = f[3];
		if (!strneq(e.url, "https://", 8) && !strneq(e.url, "http://", 7))
			return fail(ret_error, name, line, "\"%s\" is not an http or https URL", e.url);
		break;
	case LOCK_MANIFEST:
		e.name = f[1], e.digest = f[2];
		if (!strneq(e.name, "https://", 8) && !strneq(e.name, "http://", 7))
			return fail(ret_error, name, line, "\"%s\" is not an http or https URL", e.name);
		break;
	case LOCK_IMAGE: {
		char *end = NULL;
		e.name = f[1], e.digest = f[2], e.media_type = f[3], e.platform_digest = f[5];
		if (!image_reference_is_valid(e.name))
			return fail(ret_error, name, line, "\"%s\" is not an image reference", e.name);
		errno = 0;
		unsigned long long size = strtoull(f[4], &end, 10);
		if (errno != 0 || *end || f[4][0] == '-' || size == 0)
			return fail(ret_error, name, line, "\"%s\" is not a size in bytes", f[4]);
		e.size = size;
		if (!strneq(e.platform_digest, "sha256:", 7) || !digest_is_valid(e.platform_digest))
			return fail(ret_error, name, line, "\"%s\" is not a sha256 digest", e.platform_digest);
		if (!strchr(e.media_type, '/'))
			return fail(ret_error, name, line, "\"%s\" is not a media type", e.media_type);
		break;
	}
	case LOCK_PACKAGE:
		e.set = f[1], e.name = f[2], e.version = f[3];
		if (package_set_from_string(e.set) < 0)
			return fail(ret_error, name, line, "\"%s\" is not a package set (node, box or tools)", e.set);
		if (!debian_package_name_is_valid(e.name))
			return fail(ret_error, name, line, "\"%s\" is not a Debian package name", e.name);
		if (!debian_version_is_valid(e.version))
			return fail(ret_error, name, line, "\"%s\" is not a Debian version", e.version);
		if (find_entry(l, kind, e.set, e.name))
			return fail(ret_error, name, line, "package \"%s\" is listed twice for %s", e.name, e.set);
		return lock_file_put(l, &e);
	default:
		abort();
	}
	if (!digest_is_valid(e.digest) || (kind == LOCK_IMAGE && !strneq(e.digest, "sha256:", 7)))
		return fail(ret_error, name, line, "\"%s\" is not a digest (sha256:<64 hex> or sha512:<128 hex>)", e.digest);
	if (lock_file_find(l, kind, e.name))
		return fail(ret_error, name, line, "%s \"%s\" is listed twice", f[0], e.name);
	return lock_file_put(l, &e);
}

int lock_file_parse(const char *text, const char *name, LockFile **ret, char **ret_error) {
	_cleanup_(lock_file_freep) LockFile *l = calloc(1, sizeof(LockFile));
	_cleanup_free_ char *copy = strdup(text);
	bool have_version = false;
	unsigned line = 0;
	int r;

	if (!l || !copy)
		return -ENOMEM;
	for (char *p = copy, *nl; p; p = nl) {
		char *fields[8] = {};
		size_t n;

		nl = strchr(p, '\n');
		if (nl)
			*nl++ = '\0';
		line++;
		if (p[0] == '#' || p[0] == '\0')
			continue;
		if (strpbrk(p, "\t\r") || strstr(p, "  ") || p[0] == ' ' || p[strlen(p) - 1] == ' ')
			return fail(ret_error, name, line, "fields must be separated by single spaces");
		n = split_fields(p, fields, ELEMENTSOF(fields) - 1);
		if (!have_version) {
			if (n != 2 || !streq(fields[0], "lock") || !streq(fields[1], "1"))
				return fail(ret_error, name, line, "expected \"lock 1\" first (a kiln.lock of format 1)");
			have_version = true;
			continue;
		}
		if (streq(fields[0], "platform")) {
			if (n != 2 || !platform_is_valid(fields[1]))
				return fail(ret_error, name, line, "expected \"platform OS/ARCH\"");
			if (l->platform)
				return fail(ret_error, name, line, "the platform is given twice");
			if (!(l->platform = strdup(fields[1])))
				return -ENOMEM;
			continue;
		}
		r = parse_entry(l, fields, n, name, line, ret_error);
		if (r < 0)
			return r;
	}
	if (!have_version || !l->platform)
		return fail(ret_error, name, line, have_version ? "no platform line" : "empty: expected \"lock 1\"");
	*ret = TAKE_PTR(l);
	return 0;
}

int lock_file_load(const char *path, LockFile **ret, char **ret_error) {
	_cleanup_free_ char *text = NULL;
	size_t size;
	int r = read_full_file(path, &text, &size);
	if (r < 0)
		return r;
	if (strlen(text) != size)
		return fail(ret_error, path, 1, "contains a NUL byte");
	return lock_file_parse(text, path, ret, ret_error);
}

static int entry_compare(const void *a, const void *b) {
	const LockEntry *x = a, *y = b;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	/* Packages by set, in the order package-pins.h gives them, then by name. */
	if (x->set && y->set && !streq(x->set, y->set))
		return package_set_from_string(x->set) < package_set_from_string(y->set) ? -1 : 1;
	return strcmp(x->name, y->name);
}

int lock_file_format(const LockFile *l, char **ret_text) {
	_cleanup_free_ LockEntry *sorted = NULL;
	_cleanup_free_ char *text = NULL;
	size_t size = 0;
	FILE *f;

	if (l->n_entries > 0) {
		sorted = malloc(l->n_entries * sizeof(LockEntry));
		if (!sorted)
			return -ENOMEM;
		memcpy(sorted, l->entries, l->n_entries * sizeof(LockEntry));
		qsort(sorted, l->n_entries, sizeof(LockEntry), entry_compare);
	}
	f = open_memstream(&text, &size);
	if (!f)
		return -ENOMEM;
	fprintf(f, "# kiln.lock: every download of the image, pinned. Written by \"kiln-imagegen lock\";\n"
		   "# change the profile and lock again rather than editing it.\n"
		   "lock %d\nplatform %s\n", LOCK_FORMAT_VERSION, l->platform);
	for (size_t i = 0; i < l->n_entries; i++) {
		const LockEntry *e = &sorted[i];
		switch (e->kind) {
		case LOCK_FILE:
			fprintf(f, "file %s %s %s\n", e->name, e->url, e->digest);
			break;
		case LOCK_MANIFEST:
			fprintf(f, "manifest %s %s\n", e->name, e->digest);
			break;
		case LOCK_IMAGE:
			fprintf(f, "image %s %s %s %llu %s\n", e->name, e->digest, e->media_type,
				(unsigned long long) e->size, e->platform_digest);
			break;
		case LOCK_PACKAGE:
			fprintf(f, "package %s %s %s\n", e->set, e->name, e->version);
			break;
		default:
			abort();
		}
	}
	if (fclose(f) != 0)
		return -ENOMEM;
	*ret_text = TAKE_PTR(text);
	return 0;
}

int lock_file_save(const LockFile *l, const char *path) {
	_cleanup_free_ char *text = NULL;
	int r = lock_file_format(l, &text);
	if (r < 0)
		return r;
	return write_file_atomic(path, text, strlen(text), 0644, 0);
}

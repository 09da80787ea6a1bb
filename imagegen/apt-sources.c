/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apt-sources.h"
#include "fileio.h"
#include "macro.h"

/* "trixie" is the main archive, "trixie-security" the security archive; "trixie-updates",
 * "trixie-backports" and the like come from the main archive's mirror and say nothing
 * of their own. */
static bool suite_is(const char *suite, AptArchive kind) {
	switch (kind) {
	case APT_ARCHIVE_MAIN:
		return !strchr(suite, '-') && !strchr(suite, '/');
	case APT_ARCHIVE_SECURITY: {
		size_t n = strlen(suite), m = strlen("-security");
		return n > m && streq(suite + n - m, "-security");
	}
	default:
		return false;
	}
}

static bool uri_is_usable(const char *uri) {
	return strneq(uri, "http://", 7) || strneq(uri, "https://", 8) || strneq(uri, "file:/", 6);
}

static char *uri_dup(const char *uri, size_t n) {
	while (n > 0 && uri[n - 1] == '/')
		n--;
	return strndup(uri, n);
}

/* Words of a deb822 field value or a one-line entry: split on blanks. */
static char *next_word(char **p) {
	char *s = *p + strspn(*p, " \t");
	if (!*s)
		return NULL;
	size_t n = strcspn(s, " \t");
	*p = s + n + (s[n] ? 1 : 0);
	s[n] = '\0';
	return s;
}

typedef struct Stanza {
	char *types, *uris, *suites, *enabled;
} Stanza;

static int stanza_pick(Stanza *st, AptArchive kind, char **ret) {
	if (!st->types || !st->uris || !st->suites)
		return 0;
	bool deb = false, wanted_suite = false;
	char *p = st->enabled, *w;
	if (p && (w = next_word(&p)) && strcasecmp(w, "no") == 0)
		return 0;

	p = st->types;
	while ((w = next_word(&p)))
		if (streq(w, "deb"))
			deb = true;
	p = st->suites;
	while ((w = next_word(&p)))
		if (suite_is(w, kind))
			wanted_suite = true;
	if (!deb || !wanted_suite)
		return 0;

	p = st->uris;
	while ((w = next_word(&p)))
		if (uri_is_usable(w)) {
			*ret = uri_dup(w, strlen(w));
			return *ret ? 1 : -ENOMEM;
		}
	return 0;
}

/* deb822: stanzas separated by blank lines, "Field: value" lines, '#' comments,
 * continuation lines start with a blank. Only one-line values matter here. */
static int parse_deb822(char *data, AptArchive kind, char **ret) {
	Stanza st = {};
	int r;

	for (char *l = data; l; ) {
		char *nl = strchr(l, '\n');
		if (nl)
			*nl = '\0';

		if (l[strspn(l, " \t\r")] == '\0') {
			/* A blank line ends the stanza. */
			r = stanza_pick(&st, kind, ret);
			if (r != 0)
				return r;
			st = (Stanza) {};
		} else if (l[0] != '#' && l[0] != ' ' && l[0] != '\t') {
			char *colon = strchr(l, ':');
			if (colon) {
				*colon = '\0';
				char *value = colon + 1;
				if (strcasecmp(l, "Types") == 0)
					st.types = value;
				else if (strcasecmp(l, "URIs") == 0)
					st.uris = value;
				else if (strcasecmp(l, "Suites") == 0)
					st.suites = value;
				else if (strcasecmp(l, "Enabled") == 0)
					st.enabled = value;
			}
		}
		l = nl ? nl + 1 : NULL;
	}
	return stanza_pick(&st, kind, ret);
}

/* One-line format: "deb [opt=val ...] URI SUITE COMPONENT...". */
static int parse_one_line(char *data, AptArchive kind, char **ret) {
	char *save = NULL;

	for (char *l = strtok_r(data, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char *hash = strchr(l, '#');
		if (hash)
			*hash = '\0';
		char *p = l, *w = next_word(&p);
		if (!w || !streq(w, "deb"))
			continue;
		p += strspn(p, " \t");
		if (*p == '[') {
			char *close = strchr(p, ']');
			if (!close)
				continue;
			p = close + 1;
		}
		char *uri = next_word(&p), *suite = next_word(&p);
		if (!uri || !suite || !uri_is_usable(uri) || !suite_is(suite, kind))
			continue;
		*ret = uri_dup(uri, strlen(uri));
		return *ret ? 1 : -ENOMEM;
	}
	return 0;
}

static int parse_file(const char *path, bool deb822, AptArchive kind, char **ret) {
	_cleanup_free_ char *data = NULL;
	int r = read_full_file(path, &data, NULL);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	return deb822 ? parse_deb822(data, kind, ret) : parse_one_line(data, kind, ret);
}

static int filter_suffix(const struct dirent *de, const char *suffix) {
	size_t n = strlen(de->d_name), m = strlen(suffix);
	return de->d_name[0] != '.' && n > m && streq(de->d_name + n - m, suffix);
}
static int filter_sources(const struct dirent *de) { return filter_suffix(de, ".sources"); }
static int filter_list(const struct dirent *de) { return filter_suffix(de, ".list"); }

static int scan_parts(const char *parts, bool deb822, AptArchive kind, char **ret) {
	struct dirent **names = NULL;
	int n = scandir(parts, &names, deb822 ? filter_sources : filter_list, alphasort);
	int r = 0;

	if (n < 0)
		return errno == ENOENT ? 0 : -errno;
	for (int i = 0; i < n; i++) {
		_cleanup_free_ char *path = NULL;
		if (r == 0) {
			if (asprintf(&path, "%s/%s", parts, names[i]->d_name) < 0)
				r = -ENOMEM;
			else
				r = parse_file(path, deb822, kind, ret);
		}
		free(names[i]);
	}
	free(names);
	return r;
}

int apt_host_archive(const char *apt_etc_dir, AptArchive kind, char **ret_uri) {
	_cleanup_free_ char *parts = NULL, *list = NULL;
	char *uri = NULL;
	int r;

	if (asprintf(&parts, "%s/sources.list.d", apt_etc_dir) < 0 ||
	    asprintf(&list, "%s/sources.list", apt_etc_dir) < 0)
		return -ENOMEM;

	r = scan_parts(parts, true, kind, &uri);
	if (r == 0)
		r = parse_file(list, false, kind, &uri);
	if (r == 0)
		r = scan_parts(parts, false, kind, &uri);
	if (r < 0)
		return r;
	if (r == 0)
		return -ENOENT;
	*ret_uri = uri;
	return 0;
}

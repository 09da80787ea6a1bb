/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "dpkg-status.h"
#include "fileio.h"
#include "macro.h"
#include "strv.h"

typedef struct Stanza {
	const char *name, *version;
	bool installed;
} Stanza;

static int stanza_flush(Stanza *st, char ***installed) {
	int r = 0;
	if (st->name && st->version && st->installed)
		r = strv_extendf(installed, "%s %s", st->name, st->version);
	*st = (Stanza) {};
	return r;
}

int dpkg_status_installed(const char *status_path, char ***ret) {
	_cleanup_strv_free_ char **installed = NULL;
	_cleanup_free_ char *text = NULL;
	Stanza st = {};
	int r = read_full_file(status_path, &text, NULL);
	if (r < 0)
		return r;

	/* Stanzas of "Field: value" lines, separated by empty lines; continuation lines
	 * (a leading space) belong to fields that are not read here. */
	for (char *l = text; l && r >= 0; ) {
		char *nl = strchr(l, '\n');
		if (nl)
			*nl = '\0';
		if (l[0] == '\0')
			r = stanza_flush(&st, &installed);
		else if (strneq(l, "Package: ", 9))
			st.name = l + 9;
		else if (strneq(l, "Version: ", 9))
			st.version = l + 9;
		else if (strneq(l, "Status: ", 8))
			st.installed = streq(l + 8, "install ok installed");
		l = nl ? nl + 1 : NULL;
	}
	if (r >= 0)
		r = stanza_flush(&st, &installed);
	if (r < 0)
		return r;
	strv_sort_unique(installed);
	*ret = TAKE_PTR(installed);
	return 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc-util.h"
#include "macro.h"
#include "package-pins.h"
#include "parse-util.h"
#include "strv.h"

static const char *const package_set_names[_PACKAGE_SET_MAX] = {
	[PACKAGE_SET_NODE]  = "node",
	[PACKAGE_SET_BOX]   = "box",
	[PACKAGE_SET_TOOLS] = "tools",
};

const char *package_set_to_string(PackageSet s) {
	return s >= 0 && s < _PACKAGE_SET_MAX ? package_set_names[s] : NULL;
}

int package_set_from_string(const char *s) {
	for (PackageSet i = 0; i < _PACKAGE_SET_MAX; i++)
		if (streq(s, package_set_names[i]))
			return i;
	return -EINVAL;
}

static bool in_set(char c, const char *extra) {
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || strchr(extra, c);
}

bool debian_version_is_valid(const char *s) {
	if (!s || !(s[0] >= '0' && s[0] <= '9'))
		return false;
	for (const char *p = s; *p; p++)
		if (!in_set(*p, "ABCDEFGHIJKLMNOPQRSTUVWXYZ.+~:-"))
			return false;
	return true;
}

/* The version of "NAME VERSION" (after the space). */
static const char *pin_version(const char *pin) {
	const char *sp = strchr(pin, ' ');
	return sp ? sp + 1 : "";
}

static bool pin_has_name(const char *pin, const char *name, size_t len) {
	return strneq(pin, name, len) && pin[len] == ' ';
}

int apt_simulation_parse(const char *text, char ***ret) {
	_cleanup_strv_free_ char **pins = NULL;

	for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		char name[256], version[256];
		/* "Inst libc6 (2.41-12+deb13u5 Debian:13.8/stable [amd64]) []" */
		if (!strneq(l, "Inst ", 5))
			continue;
		if (sscanf(l, "Inst %255s (%255s ", name, version) != 2 || !debian_package_name_is_valid(name) ||
		    !debian_version_is_valid(version))
			return -EBADMSG;
		if (strv_extendf(&pins, "%s %s", name, version) < 0)
			return -ENOMEM;
	}
	strv_sort_unique(pins);
	/* Sorted, so two versions of one package are neighbours. */
	for (size_t i = 1; pins && pins[i]; i++)
		if (pin_has_name(pins[i], pins[i - 1], strcspn(pins[i - 1], " ")))
			return -EBADMSG;
	*ret = TAKE_PTR(pins);
	return 0;
}

int package_pins_preferences(char *const *pins, char **ret_text) {
	_cleanup_free_ char *text = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&text, &size);

	if (!f)
		return -ENOMEM;
	fputs("# kiln.lock's versions: apt takes each even where the archive has a newer one.\n", f);
	STRV_FOREACH(p, pins)
		fprintf(f, "\nPackage: %.*s\nPin: version %s\nPin-Priority: 1001\n", (int) strcspn(*p, " "), *p,
			pin_version(*p));
	if (fclose(f) != 0)
		return -ENOMEM;
	*ret_text = TAKE_PTR(text);
	return 0;
}

int package_pins_compare(char *const *pinned, char *const *installed, char ***ret_problems) {
	_cleanup_strv_free_ char **problems = NULL;
	size_t i = 0, j = 0, n_pinned = strv_length(pinned), n_installed = strv_length(installed);

	/* Both sorted: a merge. Names compare by their text up to the space. */
	while (i < n_pinned || j < n_installed) {
		int c;
		if (i == n_pinned)
			c = 1;
		else if (j == n_installed)
			c = -1;
		else {
			size_t a = strcspn(pinned[i], " "), b = strcspn(installed[j], " ");
			c = strncmp(pinned[i], installed[j], MIN(a, b));
			if (c == 0)
				c = a < b ? -1 : a > b ? 1 : 0;
		}
		int r = 0;
		if (c < 0) {
			r = strv_extendf(&problems, "%.*s (kiln.lock pins %s; not installed)", (int) strcspn(pinned[i], " "),
					 pinned[i], pin_version(pinned[i]));
			i++;
		} else if (c > 0) {
			r = strv_extendf(&problems, "%s (not in kiln.lock)", installed[j]);
			j++;
		} else {
			if (!streq(pin_version(pinned[i]), pin_version(installed[j])))
				r = strv_extendf(&problems, "%s (kiln.lock pins %s)", installed[j], pin_version(pinned[i]));
			i++, j++;
		}
		if (r < 0)
			return -ENOMEM;
	}
	*ret_problems = TAKE_PTR(problems);
	return 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Preflight reports as kilnctl prints them: a table for people, JSON for programs, TAP
 * for test harnesses. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "fd-util.h"
#include "preflight-internal.h"

static const char *const result_upper[_PREFLIGHT_RESULT_MAX] = {
	[PREFLIGHT_PASS]  = "PASS",
	[PREFLIGHT_FIXED] = "FIXED",
	[PREFLIGHT_WARN]  = "WARN",
	[PREFLIGHT_FAIL]  = "FAIL",
};

static bool reports_valid(const PreflightReport *r, size_t n) {
	for (size_t i = 0; i < n; i++)
		if (!r[i].name || !r[i].message || r[i].result < 0 || r[i].result >= _PREFLIGHT_RESULT_MAX)
			return false;
	return true;
}

/* One line of text: a newline would break the table's columns and end a TAP description;
 * in TAP, "#" would also start a directive. */
static void put_line(FILE *f, const char *s, bool tap) {
	for (; *s; s++)
		if (tap && *s == '#')
			fputs("\\#", f);
		else
			fputc(*s == '\n' ? ' ' : *s, f);
}

static void tap_text(FILE *f, const char *s) {
	put_line(f, s, true);
}

static void format_table(FILE *f, const PreflightReport *r, size_t n) {
	size_t counts[_PREFLIGHT_RESULT_MAX] = {}, w = STRLEN("CHECK");

	for (size_t i = 0; i < n; i++)
		w = MAX(w, strlen(r[i].name));
	fprintf(f, "%-*s  %-6s %s\n", (int) w, "CHECK", "RESULT", "MESSAGE");
	for (size_t i = 0; i < n; i++) {
		counts[r[i].result]++;
		fprintf(f, "%-*s  %-6s ", (int) w, r[i].name, result_upper[r[i].result]);
		put_line(f, r[i].message, false);
		fputc('\n', f);
		/* Only what needs doing gets a hint line: a FIXED check is done. */
		if (r[i].hint && (r[i].result == PREFLIGHT_WARN || r[i].result == PREFLIGHT_FAIL)) {
			fprintf(f, "%-*s  %-6s hint: ", (int) w, "", "");
			put_line(f, r[i].hint, false);
			fputc('\n', f);
		}
	}
	fprintf(f, "\n%zu checks: %zu passed, %zu fixed, %zu warnings, %zu failed\n", n,
		counts[PREFLIGHT_PASS], counts[PREFLIGHT_FIXED], counts[PREFLIGHT_WARN], counts[PREFLIGHT_FAIL]);
}

static void format_tap(FILE *f, const PreflightReport *r, size_t n) {
	fprintf(f, "TAP version 13\n1..%zu\n", n);
	for (size_t i = 0; i < n; i++) {
		fprintf(f, "%sok %zu - ", r[i].result == PREFLIGHT_FAIL ? "not " : "", i + 1);
		tap_text(f, r[i].name);
		fputs(": ", f);
		tap_text(f, r[i].message);
		fputc('\n', f);
		/* FIXED and WARN pass, and say so in a comment; a FAIL's comment is its hint. */
		if (r[i].result != PREFLIGHT_PASS) {
			bool show_hint = r[i].hint && r[i].result != PREFLIGHT_FIXED;
			fprintf(f, "# %s%s", r[i].result == PREFLIGHT_FAIL ? "hint" : result_upper[r[i].result],
				show_hint ? ": " : "");
			if (show_hint)
				tap_text(f, r[i].hint);
			fputc('\n', f);
		}
	}
}

static int format_json(const PreflightReport *r, size_t n, char **ret) {
	json_t *a = json_array();
	char *s;

	if (!a)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		json_t *o = json_pack("{s:s, s:s, s:s, s:s?}",
				      "name", r[i].name,
				      "result", preflight_result_to_string(r[i].result),
				      "message", r[i].message,
				      "hint", r[i].hint);
		if (!o || json_array_append_new(a, o) < 0) {
			json_decref(a);
			return -ENOMEM;
		}
	}
	s = json_dumps(a, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(a);
	if (!s)
		return -ENOMEM;
	/* A text file ends with a newline; json_dumps() leaves it out. */
	char *t = preflight_printf("%s\n", s);
	free(s);
	if (!t)
		return -ENOMEM;
	*ret = t;
	return 0;
}

int preflight_format(const PreflightReport *r, size_t n, PreflightFormat format, char **ret_text) {
	_cleanup_free_ char *buf = NULL;
	size_t size = 0;

	if ((n > 0 && !r) || !ret_text || !reports_valid(r, n))
		return -EINVAL;
	if (format == PREFLIGHT_FORMAT_JSON)
		return format_json(r, n, ret_text);
	if (format != PREFLIGHT_FORMAT_TABLE && format != PREFLIGHT_FORMAT_TAP)
		return -EINVAL;

	FILE *f = open_memstream(&buf, &size);
	if (!f)
		return -ENOMEM;
	if (format == PREFLIGHT_FORMAT_TABLE)
		format_table(f, r, n);
	else
		format_tap(f, r, n);
	if (fclose(f) != 0)
		return -ENOMEM;
	*ret_text = TAKE_PTR(buf);
	return 0;
}

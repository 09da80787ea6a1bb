/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The audit as kilnctl prints it: a table for people, JSON for programs, TAP for test
 * harnesses. Each shows the kernel's view (from /proc) next to the verdict. */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "alloc-util.h"
#include "audit.h"
#include "macro.h"
#include "strv.h"

static bool has_findings(const AuditEntry *e) {
	return e->findings && e->findings[0];
}

/* Conforming, conforming only by a declared exception, or not. */
static const char *verdict(const AuditEntry *e) {
	if (has_findings(e))
		return "violation";
	if (e->seen.seccomp == PROC_SECCOMP_DISABLED && e->declared.unconfined_reason)
		return "excepted";
	return "ok";
}

/* One line: a newline breaks the table's columns and ends a TAP description; in TAP a
 * "#" would also start a directive. */
static void put_line(FILE *f, const char *s, bool tap) {
	for (; *s; s++)
		if (tap && *s == '#')
			fputs("\\#", f);
		else
			fputc(*s == '\n' ? ' ' : *s, f);
}

static void format_table(FILE *f, const Audit *a) {
	size_t excepted = 0;

	fprintf(f, "%-10s %8s  %-8s %7s %3s %6s  %-9s  %s\n", "KIND", "PID", "SECCOMP", "FILTERS", "NNP", "CAPEFF",
		"VERDICT", "NAME");
	for (size_t i = 0; i < a->n_entries; i++) {
		const AuditEntry *e = &a->entries[i];
		fprintf(f, "%-10s %8d  %-8s %7u %3d %6d  %-9s  ", audit_kind_to_string(e->kind), (int) e->pid,
			proc_seccomp_to_string(e->seen.seccomp), e->seen.seccomp_filters, e->seen.no_new_privs,
			__builtin_popcountll(e->seen.cap_effective), verdict(e));
		put_line(f, e->name, false);
		fputc('\n', f);
		for (char **l = e->findings; l && *l; l++) {
			fprintf(f, "%-10s %8s  - ", "", "");
			put_line(f, *l, false);
			fputc('\n', f);
		}
		if (streq(verdict(e), "excepted")) {
			excepted++;
			fprintf(f, "%-10s %8s  - unconfined by exception: ", "", "");
			put_line(f, e->declared.unconfined_reason, false);
			fputc('\n', f);
		}
	}
	for (char **l = a->errors; l && *l; l++) {
		fputs("not audited: ", f);
		put_line(f, *l, false);
		fputc('\n', f);
	}
	fprintf(f, "\n%zu processes: %zu as declared, %zu unconfined by declared exception, %zu violations; "
		"%zu sources not audited\n", a->n_entries, a->n_entries - a->n_violations - excepted, excepted,
		a->n_violations, strv_length(a->errors));
}

static void format_tap(FILE *f, const Audit *a) {
	size_t n_errors = strv_length(a->errors), t = 0;

	fprintf(f, "TAP version 13\n1..%zu\n", a->n_entries + n_errors);
	for (size_t i = 0; i < a->n_entries; i++) {
		const AuditEntry *e = &a->entries[i];
		fprintf(f, "%sok %zu - %s ", has_findings(e) ? "not " : "", ++t, audit_kind_to_string(e->kind));
		put_line(f, e->name, true);
		fprintf(f, " (pid %d): Seccomp %s, NoNewPrivs %d, CapEff %016" PRIx64 "\n", (int) e->pid,
			proc_seccomp_to_string(e->seen.seccomp), e->seen.no_new_privs, e->seen.cap_effective);
		for (char **l = e->findings; l && *l; l++) {
			fputs("# ", f);
			put_line(f, *l, true);
			fputc('\n', f);
		}
		if (streq(verdict(e), "excepted")) {
			fputs("# unconfined by exception: ", f);
			put_line(f, e->declared.unconfined_reason, true);
			fputc('\n', f);
		}
	}
	for (char **l = a->errors; l && *l; l++) {
		fprintf(f, "not ok %zu - not audited: ", ++t);
		put_line(f, *l, true);
		fputc('\n', f);
	}
}

static json_t *caps_json(uint64_t v) {
	char hex[17];
	snprintf(hex, sizeof hex, "%016" PRIx64, v);
	return json_string(hex);
}

static json_t *entry_json(const AuditEntry *e) {
	json_t *findings = json_array(), *o;

	for (char **l = e->findings; findings && l && *l; l++)
		if (json_array_append_new(findings, json_string(*l)) < 0) {
			json_decref(findings);
			return NULL;
		}
	/* The kernel's view as /proc shows it (capability sets in its hex), then the
	 * declaration it was compared with. */
	o = json_pack("{s:s, s:s, s:i, s:s, s:{s:o, s:o, s:o, s:o, s:b, s:s, s:i}, s:o?, s:o}",
		      "kind", audit_kind_to_string(e->kind),
		      "name", e->name,
		      "pid", (int) e->pid,
		      "verdict", verdict(e),
		      "kernel",
		      "CapEff", caps_json(e->seen.cap_effective),
		      "CapPrm", caps_json(e->seen.cap_permitted),
		      "CapBnd", caps_json(e->seen.cap_bounding),
		      "CapAmb", caps_json(e->seen.cap_ambient),
		      "NoNewPrivs", e->seen.no_new_privs,
		      "Seccomp", proc_seccomp_to_string(e->seen.seccomp),
		      "Seccomp_filters", (int) e->seen.seccomp_filters,
		      "declared", !e->declared_known ? NULL :
		      json_pack("{s:s?, s:o, s:o, s:o, s:o, s:b, s:b, s:i, s:s?}",
				"source", e->declared.source,
				"bounding", caps_json(e->declared.cap_bounding),
				"permitted", caps_json(e->declared.cap_permitted),
				"effective", caps_json(e->declared.cap_effective),
				"ambient", caps_json(e->declared.cap_ambient),
				"noNewPrivileges", e->declared.no_new_privs,
				"seccomp", e->declared.seccomp,
				"minFilters", (int) e->declared.min_filters,
				"unconfinedReason", e->declared.unconfined_reason),
		      "findings", findings);
	return o;
}

static int format_json(const Audit *a, char **ret) {
	json_t *entries = json_array(), *errors = json_array(), *doc;
	char *s;

	if (!entries || !errors) {
		json_decref(entries);
		json_decref(errors);
		return -ENOMEM;
	}
	for (size_t i = 0; i < a->n_entries; i++)
		if (json_array_append_new(entries, entry_json(&a->entries[i])) < 0)
			goto oom;
	for (char **l = a->errors; l && *l; l++)
		if (json_array_append_new(errors, json_string(*l)) < 0)
			goto oom;
	doc = json_pack("{s:o, s:o, s:I}", "processes", entries, "notAudited", errors, "violations",
			(json_int_t) a->n_violations);
	if (!doc)
		return -ENOMEM;
	s = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(doc);
	if (!s)
		return -ENOMEM;
	int k = asprintf(ret, "%s\n", s);
	free(s);
	return k < 0 ? -ENOMEM : 0;
oom:
	json_decref(entries);
	json_decref(errors);
	return -ENOMEM;
}

static int format_stream(const Audit *a, void (*fn)(FILE *, const Audit *), char **ret) {
	_cleanup_free_ char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	if (!f)
		return -ENOMEM;
	fn(f, a);
	if (fclose(f) != 0)
		return -ENOMEM;
	*ret = TAKE_PTR(buf);
	return 0;
}

int audit_format_table(const Audit *a, char **ret) {
	return format_stream(a, format_table, ret);
}

int audit_format_tap(const Audit *a, char **ret) {
	return format_stream(a, format_tap, ret);
}

int audit_format_json(const Audit *a, char **ret) {
	return format_json(a, ret);
}

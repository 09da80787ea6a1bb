/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "parse-util.h"
#include "schema-value.h"
#include "strv.h"

/* What each type accepts, as said in diagnostics, and what it occupies in a struct. */
static const struct {
	const char *expected;
	size_t size;
} type_info[_SCHEMA_TYPE_MAX] = {
	[SCHEMA_STRING]    = { "a string",                                         sizeof(char *) },
	[SCHEMA_INT]       = { "an integer",                                       sizeof(int) },
	[SCHEMA_BOOL]      = { "true or false",                                    sizeof(bool) },
	[SCHEMA_ENUM]      = { "a word",                                           sizeof(int) },
	[SCHEMA_SIZE]      = { "a size such as 512MiB or 8GiB",                    sizeof(uint64_t) },
	[SCHEMA_DURATION]  = { "a duration such as 30s, 48h or 15d",               sizeof(uint64_t) },
	[SCHEMA_CIDR]      = { "a subnet such as 10.244.0.0/16 or fd00:10:244::/56", sizeof(IpPrefix) },
	[SCHEMA_IP_PREFIX] = { "an address with a prefix length such as 192.168.1.10/24", sizeof(IpPrefix) },
	[SCHEMA_IP]        = { "an IPv4 or IPv6 address such as 192.168.1.1",      sizeof(IpAddress) },
	[SCHEMA_MAC]       = { "a MAC address such as 52:54:00:12:34:56",          sizeof(MacAddress) },
	[SCHEMA_VERSION]   = { "a Kubernetes version such as v1.31.4",             sizeof(KubernetesVersion) },
	[SCHEMA_MAPPING]   = { "a mapping",                                        0 },
	[SCHEMA_SETTINGS]  = { "a mapping of names to scalars or lists of scalars", sizeof(SchemaSetting) },
};

const char *schema_quote(const char *s, char buf[static SCHEMA_QUOTE_MAX]) {
	const size_t keep = SCHEMA_QUOTE_MAX - 6;   /* quotes, "...", NUL */
	size_t n = 0, i = 0;

	buf[n++] = '\'';
	for (; s[i] && i < keep; i++)
		buf[n++] = (unsigned char) s[i] < ' ' || s[i] == 0x7f ? '?' : s[i];
	if (s[i]) {
		/* Do not cut a UTF-8 sequence in half. */
		while (n > 1 && ((unsigned char) buf[n - 1] & 0xc0) == 0x80)
			n--;
		if (n > 1 && (unsigned char) buf[n - 1] >= 0xc0)
			n--;
		memcpy(buf + n, "...", 3);
		n += 3;
	}
	buf[n++] = '\'';
	buf[n] = '\0';
	return buf;
}

static size_t edit_distance(const char *a, const char *b) {
	size_t la = strlen(a), lb = strlen(b);
	size_t row[lb + 1];

	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t best = diag + (a[i - 1] != b[j - 1]);
			best = MIN(best, up + 1);
			best = MIN(best, row[j - 1] + 1);
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

/* "pod_subnet", "PodSubnet" and "podsubnet" all mean podSubnet. */
static bool same_ignoring_case_and_separators(const char *a, const char *b) {
	for (;;) {
		while (*a == '_' || *a == '-')
			a++;
		while (*b == '_' || *b == '-')
			b++;
		char x = *a >= 'A' && *a <= 'Z' ? *a + 32 : *a;
		char y = *b >= 'A' && *b <= 'Z' ? *b + 32 : *b;
		if (x != y)
			return false;
		if (!x)
			return true;
		a++, b++;
	}
}

const char *schema_closest(const char *word, const char *const *candidates, size_t n) {
	const char *best = NULL;
	size_t best_distance = SIZE_MAX;

	/* Long words are not typos of short keys; also keeps the quadratic cost small. */
	if (strlen(word) > 64)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (same_ignoring_case_and_separators(word, candidates[i]))
			return candidates[i];
		size_t d = edit_distance(word, candidates[i]);
		if (d < best_distance) {
			best_distance = d;
			best = candidates[i];
		}
	}
	/* Two edits at most, and fewer than half the letters: "foo" is not a typo of "bar". */
	if (!best || best_distance > 2 || best_distance * 2 >= strlen(best))
		return NULL;
	return best;
}

size_t schema_value_size(const SchemaField *f) {
	if (f->type == SCHEMA_MAPPING)
		return f->child->size;
	return type_info[f->type].size;
}

const char *schema_field_expected(const SchemaField *f, char *buf, size_t size) {
	char a[FORMAT_SIZE_MAX], b[FORMAT_SIZE_MAX];

	switch (f->type) {
	case SCHEMA_STRING:
		snprintf(buf, size, "%s", f->check ? f->check->expected : type_info[f->type].expected);
		break;
	case SCHEMA_ENUM: {
		size_t n = snprintf(buf, size, "one of: ");
		for (size_t i = 0; f->values[i] && n < size; i++)
			n += snprintf(buf + n, size - n, "%s%s", i > 0 ? ", " : "", f->values[i]);
		break;
	}
	case SCHEMA_INT:
		if (f->min == f->max)
			snprintf(buf, size, "exactly %" PRId64, f->min);
		else
			snprintf(buf, size, "an integer from %" PRId64 " to %" PRId64, f->min, f->max);
		break;
	case SCHEMA_SIZE:
	case SCHEMA_DURATION: {
		const char *(*fmt)(uint64_t, char *) = f->type == SCHEMA_SIZE ? format_size : format_duration;
		if (f->max > 0)
			snprintf(buf, size, "%s from %s to %s", f->type == SCHEMA_SIZE ? "a size" : "a duration",
				 fmt(f->min, a), fmt(f->max, b));
		else
			snprintf(buf, size, "%s", type_info[f->type].expected);
		break;
	}
	default:
		snprintf(buf, size, "%s", type_info[f->type].expected);
	}
	return buf;
}

/* Plain scalars YAML 1.2 reads as floats: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? */
static bool looks_like_float(const char *s) {
	bool digits = false;

	if (*s == '-' || *s == '+')
		s++;
	for (; *s >= '0' && *s <= '9'; s++)
		digits = true;
	if (*s != '.' && *s != 'e' && *s != 'E')
		return false;
	if (*s == '.')
		for (s++; *s >= '0' && *s <= '9'; s++)
			digits = true;
	if (!digits)
		return false;
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '-' || *s == '+')
			s++;
		if (!(*s >= '0' && *s <= '9'))
			return false;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	return *s == '\0';
}

_printf_(3, 4) static int report_invalid(const SchemaReport *report, const char *expected, const char *fmt, ...) {
	_cleanup_free_ char *msg = NULL;
	va_list ap;
	int r;

	if (!report)
		return -EINVAL;
	va_start(ap, fmt);
	r = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (r < 0)
		return -ENOMEM;
	r = diag_add(report->diags, report->file, report->line, report->column, expected, "%s", msg);
	return r < 0 ? r : -EINVAL;
}

static int parse_string(const SchemaField *f, const char *path, const char *text, bool plain,
			void *dest, const SchemaReport *report) {
	char q[SCHEMA_QUOTE_MAX], e[256];

	if (plain && looks_like_float(text))
		return report_invalid(report, "a quoted string, e.g. \"1.20\"",
				      "%s: %s is a number in YAML and would lose trailing zeros", path, text);
	/* Free text (no check) may span lines; anything with a syntax may not. */
	if (f->check && strpbrk(text, "\n\r"))
		return report_invalid(report, "a single line", "%s: %s spans several lines", path, schema_quote(text, q));
	if (f->check && !f->check->is_valid(text))
		return report_invalid(report, schema_field_expected(f, e, sizeof e),
				      "%s: invalid %s %s", path, f->check->what, schema_quote(text, q));
	char *s = strdup(text);
	if (!s)
		return -ENOMEM;
	free(*(char **) dest);
	*(char **) dest = s;
	return 0;
}

static int parse_number(const SchemaField *f, const char *path, const char *text, bool plain,
			void *dest, const SchemaReport *report) {
	char q[SCHEMA_QUOTE_MAX], e[256];
	int64_t v;
	int r;

	schema_field_expected(f, e, sizeof e);
	if (!plain)
		return report_invalid(report, e, "%s: wrong type, found a quoted string", path);
	r = parse_int64_bounded(text, f->min, f->max, &v);
	if (r == -ERANGE)
		return report_invalid(report, e, "%s: %s is out of range", path, schema_quote(text, q));
	if (r < 0)
		return report_invalid(report, e, "%s: %s is not an integer", path, schema_quote(text, q));
	*(int *) dest = (int) v;
	return 0;
}

static int parse_bool(const SchemaField *f, const char *path, const char *text, bool plain,
		      void *dest, const SchemaReport *report) {
	char q[SCHEMA_QUOTE_MAX];
	bool b;

	if (!plain)
		return report_invalid(report, "true or false", "%s: wrong type, found a quoted string", path);
	if (boolean_is_yaml11(text))
		return report_invalid(report, "true or false",
				      "%s: %s is a boolean only in YAML 1.1", path, schema_quote(text, q));
	if (parse_boolean(text, &b) < 0)
		return report_invalid(report, "true or false", "%s: %s is not a boolean", path, schema_quote(text, q));
	*(bool *) dest = b;
	return 0;
}

static int parse_enum(const SchemaField *f, const char *path, const char *text, bool plain,
		      void *dest, const SchemaReport *report) {
	char q[SCHEMA_QUOTE_MAX], e[256];
	size_t n = strv_length((char *const *) f->values);

	for (size_t i = 0; i < n; i++)
		if (streq(text, f->values[i])) {
			*(int *) dest = (int) i;
			return 0;
		}
	const char *hint = schema_closest(text, f->values, n);
	schema_field_expected(f, e, sizeof e);
	if (hint)
		return report_invalid(report, e, "%s: unknown value %s; did you mean '%s'?", path,
				      schema_quote(text, q), hint);
	return report_invalid(report, e, "%s: unknown value %s", path, schema_quote(text, q));
}

static int parse_amount(const SchemaField *f, const char *path, const char *text, bool plain,
			void *dest, const SchemaReport *report) {
	char q[SCHEMA_QUOTE_MAX], e[256];
	uint64_t v;
	int r;

	schema_field_expected(f, e, sizeof e);
	r = f->type == SCHEMA_SIZE ? parse_size(text, &v) : parse_duration(text, &v);
	if (r == -EINVAL)
		return report_invalid(report, type_info[f->type].expected, "%s: invalid %s %s", path,
				      f->type == SCHEMA_SIZE ? "size" : "duration", schema_quote(text, q));
	if (r < 0 || (f->max > 0 && (v < (uint64_t) f->min || v > (uint64_t) f->max)))
		return report_invalid(report, e, "%s: %s is out of range", path, schema_quote(text, q));
	*(uint64_t *) dest = v;
	return 0;
}

static int parse_address(const SchemaField *f, const char *path, const char *text, bool plain,
			 void *dest, const SchemaReport *report) {
	static const char *const what[_SCHEMA_TYPE_MAX] = {
		[SCHEMA_CIDR] = "subnet", [SCHEMA_IP_PREFIX] = "address/prefix", [SCHEMA_IP] = "IP address",
	};
	char q[SCHEMA_QUOTE_MAX], net[IP_PREFIX_STRING_MAX], e[sizeof net + 64];
	IpPrefix p = {};
	int r;

	if (f->type == SCHEMA_IP)
		r = parse_ip_address(text, &p.address);
	else
		r = parse_ip_prefix(text, &p);
	/* Tell a bad prefix length from a bad octet: is the part before '/' a good address? */
	const char *slash = strchr(text, '/');
	char addr[IP_ADDRESS_STRING_MAX] = "";
	if (slash && (size_t) (slash - text) < sizeof addr)
		memcpy(addr, text, slash - text);
	if (r == -ERANGE && f->type != SCHEMA_IP && parse_ip_address(addr, &p.address) == 0)
		return report_invalid(report, p.address.family == AF_INET ? "a prefix length from 0 to 32" :
				      "a prefix length from 0 to 128",
				      "%s: prefix length out of range in %s", path, schema_quote(text, q));
	if (r == -ERANGE)
		return report_invalid(report, "IPv4 octets from 0 to 255",
				      "%s: IPv4 octet out of range in %s", path, schema_quote(text, q));
	if (r < 0)
		return report_invalid(report, type_info[f->type].expected, "%s: invalid %s %s", path,
				      what[f->type], schema_quote(text, q));
	if (f->type == SCHEMA_CIDR && ip_prefix_has_host_bits(&p)) {
		IpPrefix n = ip_prefix_network(&p);
		snprintf(e, sizeof e, "the network address %s", ip_prefix_to_string(&n, net));
		return report_invalid(report, e, "%s: subnet %s has host bits set", path, schema_quote(text, q));
	}
	if (f->type == SCHEMA_IP)
		*(IpAddress *) dest = p.address;
	else
		*(IpPrefix *) dest = p;
	return 0;
}

static int parse_other(const SchemaField *f, const char *path, const char *text, bool plain,
		       void *dest, const SchemaReport *report) {
	char q[SCHEMA_QUOTE_MAX], e[64];
	int r;

	if (f->type == SCHEMA_MAC) {
		MacAddress m;
		if (parse_mac_address(text, &m) < 0)
			return report_invalid(report, type_info[f->type].expected, "%s: invalid MAC address %s",
					      path, schema_quote(text, q));
		*(MacAddress *) dest = m;
		return 0;
	}

	KubernetesVersion v;
	r = parse_kubernetes_version(text, &v);
	snprintf(e, sizeof e, "v1.%u.x to v1.%u.x", KUBERNETES_MINOR_MIN, KUBERNETES_MINOR_MAX);
	if (r == -ERANGE)
		return report_invalid(report, e, "%s: unsupported Kubernetes version %s", path, schema_quote(text, q));
	if (r < 0)
		return report_invalid(report, "v<major>.<minor>.<patch> such as v1.31.4",
				      "%s: invalid Kubernetes version %s", path, schema_quote(text, q));
	*(KubernetesVersion *) dest = v;
	return 0;
}

typedef int (*ValueParser)(const SchemaField *f, const char *path, const char *text, bool plain,
			   void *dest, const SchemaReport *report);

static const ValueParser parsers[_SCHEMA_TYPE_MAX] = {
	[SCHEMA_STRING]    = parse_string,
	[SCHEMA_INT]       = parse_number,
	[SCHEMA_BOOL]      = parse_bool,
	[SCHEMA_ENUM]      = parse_enum,
	[SCHEMA_SIZE]      = parse_amount,
	[SCHEMA_DURATION]  = parse_amount,
	[SCHEMA_CIDR]      = parse_address,
	[SCHEMA_IP_PREFIX] = parse_address,
	[SCHEMA_IP]        = parse_address,
	[SCHEMA_MAC]       = parse_other,
	[SCHEMA_VERSION]   = parse_other,
};

int schema_value_parse(const SchemaField *f, const char *path, const char *text, bool plain,
		       void *dest, const SchemaReport *report) {
	if (!parsers[f->type])
		return -EINVAL;
	return parsers[f->type](f, path, text, plain, dest, report);
}

void schema_value_unset(const SchemaField *f, void *dest) {
	schema_value_done(f, dest);
	memset(dest, 0, schema_value_size(f));
	if (f->type == SCHEMA_ENUM)
		*(int *) dest = -1;
}

bool schema_value_equal(const SchemaField *f, const void *a, const void *b) {
	switch (f->type) {
	case SCHEMA_STRING: {
		const char *x = *(char *const *) a, *y = *(char *const *) b;
		return x && y && streq(x, y);
	}
	case SCHEMA_MAPPING:
	case SCHEMA_SETTINGS:
		return false;
	default:
		/* Every other value is plain data, zero-initialised before it was filled. */
		return memcmp(a, b, schema_value_size(f)) == 0;
	}
}

void schema_value_done(const SchemaField *f, void *dest) {
	switch (f->type) {
	case SCHEMA_STRING:
		free(*(char **) dest);
		*(char **) dest = NULL;
		break;
	case SCHEMA_MAPPING:
		schema_done(f->child, dest);
		break;
	case SCHEMA_SETTINGS: {
		SchemaSetting *s = dest;
		free(s->key);
		strv_free(s->values);
		*s = (SchemaSetting) {};
		break;
	}
	default:
		break;
	}
}

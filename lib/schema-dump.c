/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Write a struct filled by schema_load() back as YAML, driven by the same table: every
 * key with its effective value (defaults included), in table order. Loading the output
 * gives the same struct, which is what the round-trip tests check. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "parse-util.h"
#include "schema-value.h"
#include "schema.h"

/* Setting names made of these need no quotes. */
#define BARE_KEY_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-"

/* Double-quoted YAML scalar: always safe, whatever the text looks like. */
static void put_string(FILE *f, const char *s) {
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = *s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < ' ' || c == 0x7f)
			fprintf(f, "\\x%02x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/* Print one scalar value; returns false when it is "not set" and should be left out. */
static bool put_scalar(FILE *f, const SchemaField *fd, const void *v) {
	char buf[64];

	switch (fd->type) {
	case SCHEMA_STRING:
		if (!*(char *const *) v)
			return false;
		put_string(f, *(char *const *) v);
		return true;
	case SCHEMA_INT:
		fprintf(f, "%d", *(const int *) v);
		return true;
	case SCHEMA_BOOL:
		fputs(*(const bool *) v ? "true" : "false", f);
		return true;
	case SCHEMA_ENUM: {
		int i = *(const int *) v;
		if (i < 0)
			return false;
		fputs(fd->values[i], f);
		return true;
	}
	case SCHEMA_SIZE:
		fputs(format_size(*(const uint64_t *) v, buf), f);
		return true;
	case SCHEMA_DURATION:
		fputs(format_duration(*(const uint64_t *) v, buf), f);
		return true;
	case SCHEMA_CIDR:
	case SCHEMA_IP_PREFIX:
		if (((const IpPrefix *) v)->address.family == AF_UNSPEC)
			return false;
		fputs(ip_prefix_to_string(v, buf), f);
		return true;
	case SCHEMA_IP:
		if (((const IpAddress *) v)->family == AF_UNSPEC)
			return false;
		fputs(ip_address_to_string(v, buf), f);
		return true;
	case SCHEMA_MAC:
		fputs(mac_address_to_string(v, buf), f);
		return true;
	case SCHEMA_VERSION: {
		const KubernetesVersion *k = v;
		fprintf(f, "v%u.%u.%u", k->major, k->minor, k->patch);
		return true;
	}
	default:
		return false;
	}
}

static void put_mapping(FILE *f, const SchemaTable *t, const void *src, unsigned indent, bool first_inline, bool *oom);
static char *render_mapping(const SchemaTable *t, const void *src, unsigned indent, bool first_inline, bool *oom);

static void put_key(FILE *f, const char *key, unsigned indent, bool *first_inline) {
	if (*first_inline)
		*first_inline = false;   /* continues a "- " already printed */
	else
		fprintf(f, "%*s", (int) indent, "");
	fprintf(f, "%s:", key);
}

static void put_field(FILE *f, const SchemaField *fd, const void *base, unsigned indent, bool *first_inline,
		      bool *oom) {
	const uint8_t *p = (const uint8_t *) base + fd->offset;

	if (fd->flags & SCHEMA_LIST || fd->type == SCHEMA_SETTINGS) {
		const uint8_t *items = *(void *const *) p;
		size_t n = *(const size_t *) ((const uint8_t *) base + fd->offset_n);
		size_t size = schema_value_size(fd);
		if (n == 0)
			return;
		put_key(f, fd->key, indent, first_inline);
		fputc('\n', f);
		for (size_t i = 0; i < n; i++) {
			if (fd->type == SCHEMA_MAPPING) {
				fprintf(f, "%*s- ", (int) indent + 2, "");
				put_mapping(f, fd->child, items + i * size, indent + 4, true, oom);
			} else if (fd->type == SCHEMA_SETTINGS) {
				const SchemaSetting *s = (const SchemaSetting *) items + i;
				fprintf(f, "%*s", (int) indent + 2, "");
				if (s->key[0] != '-' && strspn(s->key, BARE_KEY_CHARS) == strlen(s->key) &&
				    strcasecmp(s->key, "null") != 0)
					fputs(s->key, f);
				else
					put_string(f, s->key);
				fputs(s->is_list ? ": [" : ": ", f);
				for (size_t j = 0; j < s->n_values; j++) {
					fputs(j > 0 ? ", " : "", f);
					put_string(f, s->values[j]);
				}
				fputs(s->is_list ? "]\n" : "\n", f);
			} else {
				fprintf(f, "%*s- ", (int) indent + 2, "");
				put_scalar(f, fd, items + i * size);
				fputc('\n', f);
			}
		}
		return;
	}

	if (fd->type == SCHEMA_MAPPING) {
		/* Nothing set inside: leave the key out, absent means the same. */
		_cleanup_free_ char *text = render_mapping(fd->child, p, indent + 2, false, oom);
		if (isempty(text))
			return;
		put_key(f, fd->key, indent, first_inline);
		fputc('\n', f);
		fputs(text, f);
		return;
	}

	/* Print into a scratch stream first: an unset value leaves the key out entirely. */
	char *text = NULL;
	size_t len = 0;
	FILE *scratch = open_memstream(&text, &len);
	if (!scratch) {
		*oom = true;
		return;
	}
	bool set = put_scalar(scratch, fd, p);
	if (fclose(scratch) != 0)
		*oom = true;
	else if (set) {
		put_key(f, fd->key, indent, first_inline);
		fprintf(f, " %s\n", text);
	}
	free(text);
}

static char *render_mapping(const SchemaTable *t, const void *src, unsigned indent, bool first_inline, bool *oom) {
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f) {
		*oom = true;
		return NULL;
	}
	for (size_t i = 0; i < t->n_fields; i++)
		if (!(t->fields[i].flags & SCHEMA_NOT_YET))
			put_field(f, &t->fields[i], src, indent, &first_inline, oom);
	if (fclose(f) != 0) {
		*oom = true;
		free(text);
		return NULL;
	}
	return text;
}

/* A mapping with nothing set is still a mapping: "{}". */
static void put_mapping(FILE *f, const SchemaTable *t, const void *src, unsigned indent, bool first_inline, bool *oom) {
	_cleanup_free_ char *text = render_mapping(t, src, indent, first_inline, oom);
	fputs(isempty(text) ? "{}\n" : text, f);
}

int schema_dump(const SchemaTable *table, const void *src, char **ret) {
	bool oom = false;
	char *text = render_mapping(table, src, 0, false, &oom);

	if (oom || !text) {
		free(text);
		return -ENOMEM;
	}
	*ret = text;
	return 0;
}

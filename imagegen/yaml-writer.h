/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Writing YAML for other programs to read, through libyaml's emitter: block style, keys
 * in the order they are written, and every string quoted when a YAML reader (1.1 or 1.2)
 * would take it for something else (true, no, 6443, 1.20, null, ~, 2001-01-01 ...).
 * libyaml quotes and escapes what plain style cannot carry. Comments, which libyaml does
 * not write, go before a document's body, one "# " line each.
 *
 *	YamlWriter w = {};
 *	yw_document_begin(&w, "what this is");
 *	yw_map_begin(&w);
 *	yw_pair_string(&w, "kind", "KubeletConfiguration");
 *	yw_map_end(&w);
 *	yw_document_end(&w);
 *	r = yw_finish(&w, &text);
 *
 * Errors are sticky: the first one is returned by yw_finish(), which also frees
 * everything (yw_done() frees after an early exit). */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <yaml.h>

typedef struct YamlWriter {
	FILE *out;                 /* every document so far */
	char *text;
	size_t size;
	yaml_emitter_t emitter;    /* the current document's */
	bool in_document;
	size_t n_documents;
	int error;
} YamlWriter;

/* Starts a document: "---" before every one but the first, then the comment (may be
 * NULL; several lines allowed). */
void yw_document_begin(YamlWriter *w, const char *comment);
void yw_document_end(YamlWriter *w);
void yw_map_begin(YamlWriter *w);
void yw_map_end(YamlWriter *w);
void yw_seq_begin(YamlWriter *w);
void yw_seq_end(YamlWriter *w);
void yw_string(YamlWriter *w, const char *s);
void yw_int(YamlWriter *w, int64_t v);
void yw_bool(YamlWriter *w, bool b);
void yw_pair_string(YamlWriter *w, const char *key, const char *value);
void yw_pair_int(YamlWriter *w, const char *key, int64_t v);
void yw_pair_bool(YamlWriter *w, const char *key, bool b);
/* key: followed by the mapping or list the caller writes next. */
void yw_key(YamlWriter *w, const char *key);

int yw_finish(YamlWriter *w, char **ret_text);
void yw_done(YamlWriter *w);

/* True when a YAML 1.1 or 1.2 reader would not read s, written plain, as a string. */
bool yaml_plain_is_ambiguous(const char *s);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <inttypes.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "yaml-writer.h"

/* What YAML 1.1 (go-yaml v2, PyYAML) or the 1.2 core schema resolves to something other
 * than a string: null, booleans, integers in every base, floats, infinities, sexagesimal
 * numbers and timestamps. */
static const char *const ambiguous_patterns[] = {
	"^(~|null|Null|NULL)$",
	"^(y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$",
	"^[-+]?([0-9][0-9_]*|0x[0-9a-fA-F_]+|0o[0-7]+|0b[01_]+)$",
	"^[-+]?([0-9][0-9_]*)?\\.[0-9_]*([eE][-+]?[0-9]+)?$",
	"^[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+$",
	"^[-+]?\\.(inf|Inf|INF)$|^\\.(nan|NaN|NAN)$",
	"^[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\\.[0-9_]*)?$",
	"^[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?",
};

bool yaml_plain_is_ambiguous(const char *s) {
	if (s[0] == '\0')
		return true;
	for (size_t i = 0; i < ELEMENTSOF(ambiguous_patterns); i++) {
		regex_t re;
		if (regcomp(&re, ambiguous_patterns[i], REG_EXTENDED | REG_NOSUB) != 0)
			return true;        /* cannot tell: quoting is always safe */
		bool match = regexec(&re, s, 0, NULL, 0) == 0;
		regfree(&re);
		if (match)
			return true;
	}
	return false;
}

static int write_handler(void *data, unsigned char *buffer, size_t size) {
	YamlWriter *w = data;
	return fwrite(buffer, 1, size, w->out) == size;
}

static bool ready(YamlWriter *w) {
	if (w->error < 0)
		return false;
	if (!w->out) {
		w->out = open_memstream(&w->text, &w->size);
		if (!w->out) {
			w->error = -ENOMEM;
			return false;
		}
	}
	return true;
}

static void emit(YamlWriter *w, yaml_event_t *e, int made) {
	if (!made) {
		w->error = -ENOMEM;
		return;
	}
	if (!yaml_emitter_emit(&w->emitter, e)) {
		/* The event is freed by the emitter even when it fails. */
		w->error = w->emitter.error == YAML_MEMORY_ERROR ? -ENOMEM : -EINVAL;
	}
}

void yw_document_begin(YamlWriter *w, const char *comment) {
	yaml_event_t e;

	if (!ready(w))
		return;
	if (w->in_document) {
		w->error = -EINVAL;
		return;
	}
	if (w->n_documents > 0)
		fputs("---\n", w->out);
	for (const char *l = comment; l && *l;) {
		size_t n = strcspn(l, "\n");
		fprintf(w->out, n > 0 ? "# %.*s\n" : "#%.*s\n", (int) n, l);
		l += n + (l[n] == '\n');
	}
	if (!yaml_emitter_initialize(&w->emitter)) {
		w->error = -ENOMEM;
		return;
	}
	w->in_document = true;
	yaml_emitter_set_output(&w->emitter, write_handler, w);
	yaml_emitter_set_unicode(&w->emitter, 1);
	yaml_emitter_set_width(&w->emitter, -1);     /* never fold a long value */
	yaml_emitter_set_indent(&w->emitter, 2);
	emit(w, &e, yaml_stream_start_event_initialize(&e, YAML_UTF8_ENCODING));
	if (w->error >= 0)
		emit(w, &e, yaml_document_start_event_initialize(&e, NULL, NULL, NULL, 1));
}

void yw_document_end(YamlWriter *w) {
	yaml_event_t e;

	if (!w->in_document)
		return;
	if (w->error >= 0)
		emit(w, &e, yaml_document_end_event_initialize(&e, 1));
	if (w->error >= 0)
		emit(w, &e, yaml_stream_end_event_initialize(&e));
	if (w->error >= 0 && !yaml_emitter_flush(&w->emitter))
		w->error = -EIO;
	yaml_emitter_delete(&w->emitter);
	w->in_document = false;
	w->n_documents++;
}

void yw_map_begin(YamlWriter *w) {
	yaml_event_t e;
	if (w->in_document && w->error >= 0)
		emit(w, &e, yaml_mapping_start_event_initialize(&e, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE));
}

void yw_map_end(YamlWriter *w) {
	yaml_event_t e;
	if (w->in_document && w->error >= 0)
		emit(w, &e, yaml_mapping_end_event_initialize(&e));
}

void yw_seq_begin(YamlWriter *w) {
	yaml_event_t e;
	if (w->in_document && w->error >= 0)
		emit(w, &e, yaml_sequence_start_event_initialize(&e, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE));
}

void yw_seq_end(YamlWriter *w) {
	yaml_event_t e;
	if (w->in_document && w->error >= 0)
		emit(w, &e, yaml_sequence_end_event_initialize(&e));
}

static void scalar(YamlWriter *w, const char *s, yaml_scalar_style_t style) {
	yaml_event_t e;
	if (!w->in_document || w->error < 0)
		return;
	emit(w, &e, yaml_scalar_event_initialize(&e, NULL, NULL, (yaml_char_t *) s, (int) strlen(s), 1, 1, style));
}

void yw_string(YamlWriter *w, const char *s) {
	/* libyaml picks plain style when the text allows it, and quotes otherwise; it does
	 * not know what a reader would make of a plain "true". */
	scalar(w, s, yaml_plain_is_ambiguous(s) ? YAML_DOUBLE_QUOTED_SCALAR_STYLE : YAML_ANY_SCALAR_STYLE);
}

void yw_int(YamlWriter *w, int64_t v) {
	char buf[24];
	snprintf(buf, sizeof buf, "%" PRId64, v);
	scalar(w, buf, YAML_PLAIN_SCALAR_STYLE);
}

void yw_bool(YamlWriter *w, bool b) {
	scalar(w, b ? "true" : "false", YAML_PLAIN_SCALAR_STYLE);
}

void yw_key(YamlWriter *w, const char *key) {
	yw_string(w, key);
}

void yw_pair_string(YamlWriter *w, const char *key, const char *value) {
	yw_key(w, key);
	yw_string(w, value);
}

void yw_pair_int(YamlWriter *w, const char *key, int64_t v) {
	yw_key(w, key);
	yw_int(w, v);
}

void yw_pair_bool(YamlWriter *w, const char *key, bool b) {
	yw_key(w, key);
	yw_bool(w, b);
}

void yw_done(YamlWriter *w) {
	if (w->in_document)
		yaml_emitter_delete(&w->emitter);
	w->in_document = false;
	if (w->out)
		fclose(w->out);
	w->out = NULL;
	free(w->text);
	w->text = NULL;
}

int yw_finish(YamlWriter *w, char **ret_text) {
	int r = w->error;

	if (r >= 0 && w->in_document)
		r = -EINVAL;            /* a document left open: a bug */
	if (r >= 0 && (!ready(w) || fflush(w->out) != 0))
		r = w->error < 0 ? w->error : -ENOMEM;
	if (r < 0) {
		yw_done(w);
		return r;
	}
	fclose(w->out);
	w->out = NULL;
	*ret_text = TAKE_PTR(w->text);
	return 0;
}

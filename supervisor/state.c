/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The persisted phase state: JSON in, JSON out, nothing trusted that does not validate. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "json-util.h"
#include "state.h"

static const char *const phase_status_table[_PHASE_STATUS_MAX] = {
	[PHASE_PENDING] = "pending",
	[PHASE_RUNNING] = "running",
	[PHASE_DONE]    = "done",
	[PHASE_FAILED]  = "failed",
	[PHASE_SKIPPED] = "skipped",
};

const char *phase_status_to_string(PhaseStatus s) {
	return s >= 0 && s < _PHASE_STATUS_MAX ? phase_status_table[s] : NULL;
}

PhaseStatus phase_status_from_string(const char *s) {
	for (int i = 0; s && i < _PHASE_STATUS_MAX; i++)
		if (streq(s, phase_status_table[i]))
			return i;
	return _PHASE_STATUS_INVALID;
}

int phase_state_set_text(char **field, const char *text) {
	char *copy = NULL;

	if (text && !(copy = strdup(text)))
		return -ENOMEM;
	free(*field);
	*field = copy;
	return 0;
}

int node_state_new(const char *const *names, size_t n, NodeState **ret) {
	_cleanup_(node_state_freep) NodeState *s = NULL;

	if (!ret || (n > 0 && !names))
		return -EINVAL;
	s = calloc(1, sizeof *s);
	if (!s)
		return -ENOMEM;
	s->phases = calloc(n ?: 1, sizeof *s->phases);
	if (!s->phases)
		return -ENOMEM;
	s->n_phases = n;
	for (size_t i = 0; i < n; i++) {
		if (isempty(names[i]))
			return -EINVAL;
		s->phases[i].name = names[i];
		s->phases[i].status = PHASE_PENDING;
	}
	*ret = TAKE_PTR(s);
	return 0;
}

NodeState *node_state_free(NodeState *s) {
	if (!s)
		return NULL;
	for (size_t i = 0; i < s->n_phases; i++) {
		free(s->phases[i].last_error);
		free(s->phases[i].detail);
	}
	free(s->phases);
	free(s);
	return NULL;
}

PhaseState *node_state_find(NodeState *s, const char *name) {
	for (size_t i = 0; s && name && i < s->n_phases; i++)
		if (streq(s->phases[i].name, name))
			return &s->phases[i];
	return NULL;
}

/* ---- JSON out ---- */

static int json_set_new(json_t *o, const char *key, json_t *v) {
	/* json_object_set_new() takes v even on failure, so NULL from an allocation is
	 * the only thing to check for first. */
	if (!v || json_object_set_new(o, key, v) < 0)
		return -ENOMEM;
	return 0;
}

static int json_set_id(json_t *o, const char *key, sd_id128_t id) {
	char buf[SD_ID128_STRING_MAX];

	if (sd_id128_is_null(id))
		return 0;
	return json_set_new(o, key, json_string(sd_id128_to_string(id, buf)));
}

static int json_set_text(json_t *o, const char *key, const char *text) {
	return json_set_new(o, key, text ? json_string(text) : json_null());
}

static int phase_to_json(const PhaseState *p, json_t **ret) {
	_cleanup_json_ json_t *o = json_object();
	int r;

	if (!o)
		return -ENOMEM;
	if ((r = json_set_new(o, "status", json_string(phase_status_to_string(p->status)))) < 0 ||
	    (r = json_set_new(o, "attempts", json_integer(p->attempts))) < 0 ||
	    (r = json_set_new(o, "startedUsec", json_integer((json_int_t) p->started_usec))) < 0 ||
	    (r = json_set_new(o, "finishedUsec", json_integer((json_int_t) p->finished_usec))) < 0 ||
	    (r = json_set_text(o, "lastError", p->last_error)) < 0 ||
	    (r = json_set_text(o, "detail", p->detail)) < 0 ||
	    (r = json_set_id(o, "bootId", p->boot_id)) < 0)
		return r;
	*ret = TAKE_PTR(o);
	return 0;
}

int node_state_to_json(const NodeState *s, json_t **ret) {
	_cleanup_json_ json_t *o = json_object(), *phases = json_object();
	int r;

	if (!s || !ret)
		return -EINVAL;
	if (!o || !phases)
		return -ENOMEM;
	for (size_t i = 0; i < s->n_phases; i++) {
		json_t *p = NULL;
		if ((r = phase_to_json(&s->phases[i], &p)) < 0 ||
		    (r = json_set_new(phases, s->phases[i].name, p)) < 0)
			return r;
	}
	if ((r = json_set_new(o, "schema", json_integer(NODE_STATE_SCHEMA))) < 0 ||
	    (r = json_set_new(o, "repairs", json_integer(s->repairs))) < 0 ||
	    (r = json_set_id(o, "bootId", s->boot_id)) < 0 ||
	    (r = json_set_new(o, "phases", TAKE_PTR(phases))) < 0)
		return r;
	*ret = TAKE_PTR(o);
	return 0;
}

int node_state_format(const NodeState *s, char **ret) {
	_cleanup_json_ json_t *o = NULL;
	_cleanup_free_ char *text = NULL;
	char *line;
	int r;

	r = node_state_to_json(s, &o);
	if (r < 0)
		return r;
	text = json_dumps(o, JSON_SORT_KEYS | JSON_INDENT(2));
	if (!text || asprintf(&line, "%s\n", text) < 0)
		return -ENOMEM;
	*ret = line;
	return 0;
}

int node_state_save(const NodeState *s, const char *path) {
	_cleanup_free_ char *text = NULL;
	int r;

	if (isempty(path))
		return -EINVAL;
	r = node_state_format(s, &text);
	if (r < 0)
		return r;
	return write_file_atomic(path, text, strlen(text), 0644, WRITE_FILE_MKDIR_PARENTS);
}

/* ---- JSON in: every field checked, anything unexpected rejects the whole file ---- */

static int json_get_uint(json_t *o, const char *key, uint64_t max, uint64_t *ret) {
	json_t *v = json_object_get(o, key);

	if (!v) {
		*ret = 0;
		return 0;
	}
	if (!json_is_integer(v) || json_integer_value(v) < 0 || (uint64_t) json_integer_value(v) > max)
		return -EBADMSG;
	*ret = (uint64_t) json_integer_value(v);
	return 0;
}

static int json_get_text(json_t *o, const char *key, char **field) {
	json_t *v = json_object_get(o, key);

	if (!v || json_is_null(v))
		return phase_state_set_text(field, NULL);
	if (!json_is_string(v))
		return -EBADMSG;
	return phase_state_set_text(field, json_string_value(v));
}

static int json_get_id(json_t *o, const char *key, sd_id128_t *ret) {
	json_t *v = json_object_get(o, key);

	if (!v) {
		*ret = SD_ID128_NULL;
		return 0;
	}
	if (!json_is_string(v) || sd_id128_from_string(json_string_value(v), ret) < 0)
		return -EBADMSG;
	return 0;
}

static int phase_from_json(json_t *o, PhaseState *p) {
	uint64_t attempts, started, finished;
	int r;

	if (!json_is_object(o))
		return -EBADMSG;
	json_t *status = json_object_get(o, "status");
	p->status = phase_status_from_string(json_is_string(status) ? json_string_value(status) : NULL);
	if (p->status < 0)
		return -EBADMSG;
	if ((r = json_get_uint(o, "attempts", UINT_MAX, &attempts)) < 0 ||
	    (r = json_get_uint(o, "startedUsec", INT64_MAX, &started)) < 0 ||
	    (r = json_get_uint(o, "finishedUsec", INT64_MAX, &finished)) < 0 ||
	    (r = json_get_text(o, "lastError", &p->last_error)) < 0 ||
	    (r = json_get_text(o, "detail", &p->detail)) < 0 ||
	    (r = json_get_id(o, "bootId", &p->boot_id)) < 0)
		return r;
	p->attempts = (unsigned) attempts;
	p->started_usec = started;
	p->finished_usec = finished;
	/* The process died while the phase ran: its effects are unknown, so it runs again
	 * (phases are idempotent). */
	if (p->status == PHASE_RUNNING) {
		p->status = PHASE_PENDING;
		p->interrupted = true;
	}
	return 0;
}

static int node_state_parse(const char *data, size_t size, NodeState *s) {
	_cleanup_json_ json_t *o = NULL;
	json_error_t error;
	uint64_t repairs;
	int r;

	o = json_loadb(data, size, JSON_REJECT_DUPLICATES, &error);
	if (!o)
		return json_error_code(&error) == json_error_out_of_memory ? -ENOMEM : -EBADMSG;
	if (!json_is_object(o))
		return -EBADMSG;
	json_t *schema = json_object_get(o, "schema");
	if (!json_is_integer(schema) || json_integer_value(schema) != NODE_STATE_SCHEMA)
		return -EBADMSG;
	json_t *phases = json_object_get(o, "phases");
	if (!json_is_object(phases))
		return -EBADMSG;
	if ((r = json_get_uint(o, "repairs", UINT_MAX, &repairs)) < 0 ||
	    (r = json_get_id(o, "bootId", &s->boot_id)) < 0)
		return r;
	s->repairs = (unsigned) repairs;

	for (size_t i = 0; i < s->n_phases; i++) {
		json_t *p = json_object_get(phases, s->phases[i].name);
		if (p && (r = phase_from_json(p, &s->phases[i])) < 0)
			return r;
	}
	return 0;
}

typedef struct ParseContext {
	const char *const *names;
	size_t n;
	NodeState *result;
} ParseContext;

/* The validator of read_state_file() parses for real, so the file is read once. */
static int validate_state(const char *data, size_t size, void *userdata) {
	ParseContext *ctx = userdata;
	_cleanup_(node_state_freep) NodeState *s = NULL;
	int r;

	r = node_state_new(ctx->names, ctx->n, &s);
	if (r < 0)
		return r;
	r = node_state_parse(data, size, s);
	if (r < 0)
		return r;
	node_state_free(ctx->result);
	ctx->result = TAKE_PTR(s);
	return 0;
}

int node_state_load(const char *path, const char *const *names, size_t n, NodeState **ret,
		    StateOrigin *ret_origin) {
	ParseContext ctx = { .names = names, .n = n };
	_cleanup_free_ char *data = NULL;
	StateOrigin origin = STATE_LOADED;
	int r;

	if (isempty(path) || !ret)
		return -EINVAL;
	r = read_state_file(path, validate_state, &ctx, &data, NULL);
	if (r == -ENOENT || r == -EBADMSG) {
		origin = r == -ENOENT ? STATE_MISSING : STATE_CORRUPT;
		node_state_free(ctx.result);
		ctx.result = NULL;
		r = node_state_new(names, n, &ctx.result);
	}
	if (r < 0) {
		node_state_free(ctx.result);
		return r;
	}
	*ret = ctx.result;
	if (ret_origin)
		*ret_origin = origin;
	return 0;
}

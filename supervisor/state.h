/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The supervisor's persisted progress: one record per phase (status, timings, attempts,
 * last error, detail) and the boot it was written in, as JSON in /var/lib/kiln/state.json.
 *
 * The file is only a cache of what the system already shows: it is written atomically
 * after every transition, and when it is missing, empty or corrupt it is moved aside and
 * the runner re-derives each phase from the system (each phase's check). So a crash, a
 * kill -9 or a reboot at any point resumes without redoing finished work. */

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <systemd/sd-id128.h>

#include "macro.h"
#include "time-util.h"

#define NODE_STATE_SCHEMA 1
#define NODE_STATE_FILE "state.json"

typedef enum PhaseStatus {
	PHASE_PENDING,
	PHASE_RUNNING,
	PHASE_DONE,
	PHASE_FAILED,      /* the last attempt failed; a retry is scheduled */
	PHASE_SKIPPED,     /* nothing to do on this node (e.g. Kubernetes not installed) */
	_PHASE_STATUS_MAX,
	_PHASE_STATUS_INVALID = -EINVAL,
} PhaseStatus;

typedef struct PhaseState {
	const char *name;           /* from the phase table, not owned */
	PhaseStatus status;
	usec_t started_usec;        /* CLOCK_REALTIME of the last start, 0: never */
	usec_t finished_usec;       /* CLOCK_REALTIME of the last end, 0: not since the start */
	unsigned attempts;          /* starts, over the node's life */
	char *last_error;           /* the last failure's message, kept after a later success */
	char *detail;               /* what the phase found ("0 expected", "not installed") */
	sd_id128_t boot_id;         /* the boot in which the phase last finished */
	bool interrupted;           /* not persisted: loaded as "running", the process died in it */
} PhaseState;

typedef struct NodeState {
	sd_id128_t boot_id;         /* the boot of the last run that wrote the file */
	unsigned repairs;           /* units the watch phase restarted, over the node's life */
	PhaseState *phases;         /* in table order */
	size_t n_phases;
} NodeState;

typedef enum StateOrigin {
	STATE_LOADED,               /* read from the file */
	STATE_MISSING,              /* no file: first run, or deleted */
	STATE_CORRUPT,              /* empty or invalid: moved aside as <path>.corrupt-<usec> */
} StateOrigin;

/* Done or skipped: nothing left to do for this phase. */
static inline bool phase_status_finished(PhaseStatus s) {
	return s == PHASE_DONE || s == PHASE_SKIPPED;
}

/* A fresh state: every phase pending. names are kept, not copied. */
int node_state_new(const char *const *names, size_t n, NodeState **ret);
NodeState *node_state_free(NodeState *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(NodeState *, node_state_free);

/* Load path for the phases in names. A missing, empty or invalid file (not JSON, another
 * schema version, a field of the wrong type, an unknown status) gives a fresh state and
 * *ret_origin says which; the invalid file was moved aside. Phases found "running" come
 * back pending with .interrupted set, so that they run again. Phases the file does not
 * know are pending; phases the table does not know are dropped. Other errors (-EACCES,
 * -ENOMEM...) are returned, and the file is left alone. */
int node_state_load(const char *path, const char *const *names, size_t n, NodeState **ret,
		    StateOrigin *ret_origin);

/* Write the state atomically and durably (write_file_atomic), creating the directory. */
int node_state_save(const NodeState *s, const char *path);

/* The file's JSON document; exposed for the tests. */
int node_state_to_json(const NodeState *s, json_t **ret);
int node_state_format(const NodeState *s, char **ret);

PhaseState *node_state_find(NodeState *s, const char *name);

/* Replace *field with a copy of text (NULL clears it); *field is untouched on -ENOMEM. */
int phase_state_set_text(char **field, const char *text);

const char *phase_status_to_string(PhaseStatus s);
PhaseStatus phase_status_from_string(const char *s);

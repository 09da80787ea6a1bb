/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the addons phase applied on this node: <state dir>/addons-applied.json, one entry
 * per addon with the digest of the manifests applied (addons-plan.h) and when, written
 * atomically once the addon's workloads were available.
 *
 *   {"addons": {"cilium": {"digest": "sha256:...", "applied": "2026-11-22T03:44:01.123Z"}}}
 *
 * At a later boot an addon recorded with the digest of the manifests the image has now is
 * not applied again: its workloads are looked at instead. Another digest (an image with
 * other manifests), no entry, or a lost or corrupt file (moved aside, never trusted) mean
 * applying it, which server-side apply makes harmless. */

#include <jansson.h>
#include <stdbool.h>

#include "time-util.h"

#define ADDONS_RECORD_FILE "addons-applied.json"

/* The record at path: a new empty one when there is none, or when it was corrupt (moved
 * aside as path.corrupt-*); -errno when it cannot be read at all. */
int addons_record_load(const char *path, json_t **ret);
/* Whether name was applied with exactly these manifests. */
bool addons_record_has(json_t *record, const char *name, const char *digest);
/* Note name as applied with digest at when (CLOCK_REALTIME), and save the record. */
int addons_record_put(json_t *record, const char *path, const char *name, const char *digest, usec_t when);

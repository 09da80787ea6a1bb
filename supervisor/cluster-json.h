/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Reading kubectl's JSON answers (objects and lists as the API serves them), shared by
 * what looks at the cluster (cluster-health.c, cluster-workload.c). */

#include <jansson.h>

/* Text taken from an object or from kubectl for one line of the status: cut here. */
#define CLUSTER_DETAIL_MAX 240

/* The string at o.a[.b[.c]], or NULL. */
const char *cluster_json_str(json_t *o, const char *a, const char *b, const char *c);
/* The integer at o.a.b, or def. */
long cluster_json_int(json_t *o, const char *a, const char *b, long def);
/* The items of a kubectl list (kind List, or a typed list): 0 with the document (to
 * decref) and its items; -EBADMSG when json is not such a list. */
int cluster_json_items(const char *json, json_t **ret_doc, json_t **ret_items);
/* A copy of s cut to its first line and to CLUSTER_DETAIL_MAX bytes (at a character
 * boundary); NULL when out of memory. */
char *cluster_text_line(const char *s);

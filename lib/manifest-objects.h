/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The objects of a Kubernetes manifest, found the way kubectl apply finds them: every
 * document of a multi-document YAML text (empty and null documents skipped), and every
 * item of a List (kind List, or any kind ending in "List"; the API server leaves the
 * kind out of a typed list's items, so PodList's items are Pods). A document or item
 * that is not a mapping, an object without a kind, or Lists nested past
 * MANIFEST_LIST_DEPTH_MAX are errors, with "NAME:LINE:COLUMN: what is wrong".
 *
 * Two ways in: manifest_walk() hands each object's YAML node to a callback (the image
 * collector of imagegen/manifest-images.c looks into pod specs), and
 * manifest_objects_parse() lists each object's kind, name and namespace (what the
 * image builder checks and the supervisor waits for). */

#include <stdbool.h>
#include <stddef.h>
#include <yaml.h>

#include "macro.h"

/* Lists of Lists this deep are no manifest anyone wrote; the limit keeps the recursion
 * (one level per List) well inside the stack whatever the input. */
#define MANIFEST_LIST_DEPTH_MAX 16

typedef struct ManifestWalk ManifestWalk;

/* Called once per object that is not a List: obj is a mapping of the walk's current
 * document, kind its kind (or its typed list's item kind). A negative return ends the
 * walk with it. */
typedef int (*ManifestObjectFn)(ManifestWalk *w, const yaml_node_t *obj, const char *kind, void *userdata);

/* Walk text; name is used only in messages. 0, or the callback's error, or -EBADMSG
 * (with the message in *ret_error when ret_error is not NULL; set only then), -ENOMEM. */
int manifest_walk(const char *text, size_t size, const char *name, ManifestObjectFn fn, void *userdata,
		  char **ret_error);

/* For callbacks. The value of key in the mapping map, NULL when not there. */
yaml_node_t *manifest_lookup(ManifestWalk *w, const yaml_node_t *map, const char *key, size_t len);
/* The node an item of a sequence of the current document refers to. */
yaml_node_t *manifest_node(ManifestWalk *w, yaml_node_item_t item);
/* The text of a scalar YAML reads as a string (not a null, boolean or number), else NULL. */
const char *manifest_string(const yaml_node_t *n);
/* A missing value and an explicit null mean the same to Kubernetes. */
bool manifest_is_null(const yaml_node_t *n);
/* True the first time n is seen in this document: aliases can reach a node many times,
 * even in a cycle. */
bool manifest_visit(ManifestWalk *w, const yaml_node_t *n);
/* -EBADMSG, with "NAME:LINE:COLUMN: " and the text as the walk's error. */
int manifest_fail(ManifestWalk *w, yaml_mark_t mark, const char *fmt, ...) _printf_(3, 4);
/* Whether apiVersion ("apps/v1"; "v1" for the core group) is in group. Items of a typed
 * list carry none: their list's kind vouches for them (true). */
bool manifest_group_is(const yaml_node_t *api_version, const char *group);

typedef struct ManifestObject {
	char *api_version;          /* "apps/v1"; NULL when not given (a typed list's item) */
	char *kind;
	char *name;                 /* metadata.name; NULL when not given */
	char *namespace;            /* metadata.namespace; NULL when not given */
	unsigned line;              /* where the object starts, from 1 */
} ManifestObject;

/* Every object of text, in order. Beyond the walk's errors, -EBADMSG for metadata that
 * is not a mapping and a name, namespace or apiVersion that is not a string. */
int manifest_objects_parse(const char *text, size_t size, const char *name, ManifestObject **ret, size_t *ret_n,
			   char **ret_error);
void manifest_objects_free(ManifestObject *o, size_t n);

/* Whether o is of that kind in that API group ("apps", "batch", "" for the core group);
 * an object without an apiVersion (a typed list's item) is taken at its kind's word. */
bool manifest_object_is(const ManifestObject *o, const char *group, const char *kind);

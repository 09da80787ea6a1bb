/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the addons phase applies and waits for, read from the image: image.json's list of
 * baked addons (image-info.h), and from each addon's manifests the workloads they define
 * (the manifest reader: every object of every document and List, lib/manifest-objects.h).
 * Nothing is guessed from names: what to wait for is what the manifests say. */

#include <stddef.h>

#include "image-info.h"
#include "macro.h"

/* A workload of an addon, waited for until it is available (cluster-workload.h says
 * what that means for each kind). */
typedef struct AddonTarget {
	char *kind;                 /* "Deployment", "DaemonSet", "StatefulSet", "Job" */
	char *namespace;            /* metadata.namespace, else the addon's */
	char *name;
} AddonTarget;

typedef struct AddonPlan {
	char *name;
	char *version;              /* NULL when image.json has none */
	char *namespace;
	char *directory;            /* the baked directory below the root: kubectl apply -f */
	AddonTarget *targets;       /* in the manifests' order */
	size_t n_targets;
	char *pod_security_level;   /* its namespace's Pod Security level: "restricted" ... */
	char *pod_security_reason;  /* why, when not restricted; NULL when none was given */
	char *digest;               /* "sha256:<hex>" of the manifests as baked (their names
				     * and bytes, in order) and of the namespace's Pod Security
				     * level and reason: what was applied, for the record */
} AddonPlan;

/* The manifest reader: append to *targets each Deployment (apps), DaemonSet (apps),
 * StatefulSet (apps) and Job (batch) the manifest text defines, its namespace defaulting
 * to namespace (as kubectl apply -n NAMESPACE puts it). Objects of other kinds, and of
 * other API groups with those names, are not workloads to wait for. -EBADMSG (with
 * "NAME:LINE:COLUMN: ..." in *ret_error) for what is not a manifest, or a workload
 * without a name; on failure *targets is unchanged. */
int addon_targets_read(const char *text, size_t size, const char *name, const char *namespace,
		       AddonTarget **targets, size_t *n_targets, char **ret_error);
void addon_targets_free(AddonTarget *t, size_t n);

/* The plan of one baked addon: its manifests read below root. On failure *ret_problem
 * (when it could be made) says which file and what is wrong with it. */
int addon_plan_load(const char *root, const ImageInfoAddon *a, AddonPlan *ret, char **ret_problem);
void addon_plan_done(AddonPlan *p);

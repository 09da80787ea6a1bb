/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The container images a node needs before it can reach a registry: those the addon
 * manifests reference and the pause image containerd's CRI plugin runs every pod in.
 * An offline image must carry all of them, so a reference we fail to see is a broken
 * node later; hence anything unclear is an error here rather than a skipped object. */

#include <stddef.h>

/* Append to *images (a NULL-terminated strv, may start NULL) every container image the
 * multi-document YAML text references; the result is sorted and unique. References are
 * kept as written (no "docker.io/library/" expansion).
 *
 * Pod specs are found at: Pod -> spec; Deployment, DaemonSet, StatefulSet, ReplicaSet,
 * ReplicationController, Job -> spec.template.spec; CronJob ->
 * spec.jobTemplate.spec.template.spec; List and any kind ending in "List" -> each of
 * items[] (an item without a kind takes it from a typed list: PodList -> Pod). In a pod
 * spec: containers[], initContainers[] and ephemeralContainers[], each with an image.
 * Other kinds contribute nothing; empty and null documents are skipped.
 *
 * Returns 0 on success; -EBADMSG on a YAML syntax error, a document or list item that is
 * not a mapping, an object without a kind, a missing or non-mapping step on the way to a
 * pod spec, a container without an image, or an image that is not a non-empty string
 * without whitespace; -ENOMEM. With -EBADMSG, *ret_error (if ret_error is not NULL) gets
 * "NAME:LINE:COLUMN: what is wrong", malloc'd; name is used only there. On failure
 * *images is unchanged; *ret_error is set only with -EBADMSG. */
int manifest_collect_images(const char *text, size_t size, const char *name, char ***images, char **ret_error);

/* The sandbox (pause) image a containerd config.toml (config version 2) names: the value
 * of `sandbox_image = "..."` in [plugins."io.containerd.grpc.v1.cri"]. A line-level
 * reader: comments, blank lines, other tables and other keys are ignored, and so are
 * multi-line strings' contents (which could fool it; containerd configs have none).
 * Returns 0 and the image, -ENOENT if there is none, -EBADMSG if the line is malformed
 * (no quotes, unterminated, escapes, empty value, text after the value) or repeated;
 * -ENOMEM. */
int containerd_config_sandbox_image(const char *text, char **ret_image);

/* The images in wanted that are not in have (exact string match), sorted and unique, as a
 * new strv: an empty vector, not NULL, when none is missing. Either input may be NULL.
 * Returns 0 or -ENOMEM. */
int images_missing(char *const *wanted, char *const *have, char ***ret_missing);

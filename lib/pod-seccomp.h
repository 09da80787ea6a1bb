/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A pod seccomp profile: a Localhost profile the kubelet hands to the container runtime
 * (seccompProfile: {type: Localhost, localhostProfile: kiln/NAME.json}), declared as data
 * (profiles/pod-seccomp/NAME.yaml) in kiln's syscall groups (syscall-groups.h) and baked
 * by kiln-imagegen as OCI seccomp JSON. Loaded by the same table-driven loader as the
 * other profiles, so a malformed one is refused with file:line:column.
 *
 * What the JSON says: every call outside the allow-list (which, as for the helpers,
 * always includes @default) fails with EPERM; only the image's own architecture is
 * listed, so calls through another ABI (i386 on amd64) fail too. There are no argument
 * filters: socket(2) takes any family, unlike a helper's socketFamilies. */

#include <stddef.h>

#include "diag.h"
#include "profile.h"
#include "schema.h"

/* Below the kubelet's seccomp directory, where the node's profiles are linked from the
 * image (/usr/lib/kiln/seccomp): a pod names "kiln/NAME.json". */
#define POD_SECCOMP_IMAGE_DIR "/usr/lib/kiln/seccomp"
#define POD_SECCOMP_KUBELET_DIR "/var/lib/kubelet/seccomp/kiln"

typedef struct PodSeccomp {
	char *name;
	char *description;
	char **allow;                   /* syscall and @group names; @default is always in */
	size_t n_allow;

	SchemaPositions positions;
} PodSeccomp;

extern const SchemaTable pod_seccomp_schema;

/* Parse and check; on any problem return -EBADMSG with every problem in diags. */
int pod_seccomp_load_buffer(const char *file, const void *buf, size_t size, PodSeccomp **ret, DiagList *diags);
int pod_seccomp_load_file(const char *path, PodSeccomp **ret, DiagList *diags);
PodSeccomp *pod_seccomp_free(PodSeccomp *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(PodSeccomp *, pod_seccomp_free);

/* The profile as OCI seccomp JSON for a kernel of architecture arch (a text ending in a
 * newline): {"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1 (EPERM),
 * "architectures": [the one], "syscalls": [{"names": [...sorted], "action":
 * "SCMP_ACT_ALLOW"}]}. -EINVAL for an architecture it has no word for. */
int pod_seccomp_to_oci(const PodSeccomp *p, Architecture arch, char **ret);

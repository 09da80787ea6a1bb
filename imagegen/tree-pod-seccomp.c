/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The pods' Localhost seccomp profiles (kiln-security(5)): each profiles/pod-seccomp/
 * NAME.yaml, written in kiln's syscall groups, baked as OCI seccomp JSON for the image's
 * architecture into /usr/lib/kiln/seccomp/NAME.json. A pod asks for one with
 * seccompProfile {type: Localhost, localhostProfile: kiln/NAME.json}: the kubelet looks in
 * /var/lib/kubelet/seccomp/, where kiln/ is a link to the image's directory, made at boot
 * and before every start of the kubelet (rootfs-kubernetes/: kubeadm reset empties
 * /var/lib/kubelet), so that the profiles are those of the root the node runs, updated
 * with it. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build.h"
#include "imagegen.h"
#include "log.h"
#include "pod-seccomp.h"

static int bake_one(Build *b, const char *dir, const char *file) {
	_cleanup_(diag_list_done) DiagList diags = {};
	_cleanup_(pod_seccomp_freep) PodSeccomp *p = NULL;
	_cleanup_free_ char *src = NULL, *rel = NULL, *json = NULL;
	size_t len = strlen(file) - strlen(".yaml");
	int r;

	if (asprintf(&src, "%s/%s", dir, file) < 0)
		return log_oom();
	r = pod_seccomp_load_file(src, &p, &diags);
	if (r == -EBADMSG) {
		(void) print_diagnostics(&diags);
		return log_error_errno(r, "The pod seccomp profile %s is not valid.", src);
	}
	if (r < 0)
		return log_error_errno(r, "Cannot read the pod seccomp profile %s: %m", src);
	/* kiln/NAME.json is what a pod writes: the file's name and the profile's agree. */
	if (strlen(p->name) != len || !strneq(p->name, file, len))
		return log_error_errno(-EBADMSG, "%s: the profile is called %s; name the file %s.yaml.", src, p->name, p->name);
	r = pod_seccomp_to_oci(p, b->profile->base.architecture, &json);
	if (r < 0)
		return log_error_errno(r, "Cannot write the pod seccomp profile %s as OCI JSON: %m", p->name);
	if (asprintf(&rel, POD_SECCOMP_IMAGE_DIR "/%s.json", p->name) < 0)
		return log_oom();
	r = tree_add_file(b, rel, json, strlen(json), 0644);
	if (r < 0)
		return log_error_errno(r, "Cannot write %s into the tree: %m", rel);
	return 1;
}

int tree_pod_seccomp(Build *b) {
	_cleanup_free_ char *dir = NULL;
	struct dirent **names = NULL;
	int n, r = 0, baked = 0;

	if (asprintf(&dir, "%s/profiles/pod-seccomp", b->data_dir) < 0)
		return log_oom();
	n = scandir(dir, &names, NULL, alphasort);
	if (n < 0)
		return log_error_errno(-errno, "Cannot read the pod seccomp profiles in %s: %m", dir);
	for (int i = 0; i < n; i++) {
		const char *name = names[i]->d_name;
		size_t len = strlen(name);
		if (r >= 0 && len > 5 && streq(name + len - 5, ".yaml")) {
			r = bake_one(b, dir, name);
			baked += r > 0;
		}
		free(names[i]);
	}
	free(names);
	if (r < 0)
		return r;
	log_info("Pod seccomp profiles: %d baked into " POD_SECCOMP_IMAGE_DIR ", for pods as kiln/NAME.json.", baked);
	return 0;
}

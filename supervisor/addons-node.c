/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The addons phase as one of the node's phases (node-phases.h): whether there is anything
 * to apply, and the Addons that apply it (addons-phase.c), with the cluster phase's
 * kubectl and admin.conf. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "addons-phase.h"
#include "cluster-internal.h"
#include "node-phases.h"

int node_phase_addons(PhaseRunner *r, void *userdata) {
	const PhaseState *cluster = node_state_find(phase_runner_state(r), "cluster");
	Node *n = userdata;
	_cleanup_free_ char *problem = NULL;
	int k;

	if (cluster && cluster->status == PHASE_SKIPPED)
		return phase_skipped(r, "no cluster");
	k = node_load_image(n);
	if (k < 0)
		return phase_failed(r, k, "cannot load the image's files (%s, %s): %s", IMAGE_INFO_PATH, IMAGE_PROFILE_PATH,
				    strerror(-k));
	if (!n->image->addons_known && n->profile->n_addons > 0)
		/* Said, not skipped: the profile wants addons this image does not carry. */
		return phase_failed(r, -ENOENT, "the profile lists %zu addons, but %s lists none baked into the image "
				    "(built by a kiln-imagegen that did not bake addons): rebuild the image", n->profile->n_addons,
				    IMAGE_INFO_PATH);
	if (n->image->n_addons == 0)
		return phase_skipped(r, n->profile->n_addons == 0 ? "none in the profile" : "none baked into the image");

	if (!n->addons) {
		k = node_cluster(n, &problem);
		if (k < 0)
			return phase_failed(r, k, "%s", problem ?: strerror(-k));
		AddonsSetup setup = {
			.event = n->event,
			.kubectl = &n->cluster->kubectl,
			.root = n->root,
			.state_dir = n->state_dir,
			.image = n->image,
			.wait = n->addons_wait,
		};
		k = addons_new(&setup, &n->addons, &problem);
		if (k < 0)
			return phase_failed(r, k, "cannot read the baked addons: %s", problem ?: strerror(-k));
	}
	return addons_run(n->addons, r);
}

int node_check_addons(PhaseRunner *r, void *userdata, char **ret_detail) {
	Node *n = userdata;
	return addons_check(n->addons, ret_detail);
}

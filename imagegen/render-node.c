/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The machines an image can be, and which of them forms the cluster. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "render.h"

static RenderNode node_of(const Profile *p, size_t i, bool *seen_control_plane) {
	const ProfileMachine *m = &p->nodes[i];
	/* The first control plane (or the one machine of role single) runs kubeadm init;
	 * every other machine joins it. */
	bool first = m->role == NODE_ROLE_SINGLE || (m->role == NODE_ROLE_CONTROL_PLANE && !*seen_control_plane);
	if (m->role == NODE_ROLE_CONTROL_PLANE)
		*seen_control_plane = true;
	return (RenderNode) { .name = m->hostname, .role = m->role, .initializes = first, .where = &m->hostname };
}

int render_nodes(const Profile *p, RenderNode **ret, size_t *ret_n) {
	size_t n = p->n_nodes > 0 ? p->n_nodes : 1;
	RenderNode *nodes = calloc(n, sizeof(RenderNode));
	bool seen = false;

	if (!nodes)
		return -ENOMEM;
	if (p->n_nodes == 0)
		/* Every machine that boots the image takes node.role; a control plane among them
		 * is taken to be the first. */
		nodes[0] = (RenderNode) {
			.name = RENDER_NODE_DEFAULT, .role = p->node.role,
			.initializes = p->node.role != NODE_ROLE_WORKER, .where = &p->node.role,
		};
	for (size_t i = 0; i < p->n_nodes; i++)
		nodes[i] = node_of(p, i, &seen);
	*ret = nodes;
	*ret_n = n;
	return 0;
}

int render_node_find(const Profile *p, const char *name, RenderNode *ret) {
	_cleanup_free_ RenderNode *nodes = NULL;
	size_t n;
	int r = render_nodes(p, &nodes, &n);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++)
		if (streq(nodes[i].name, name)) {
			*ret = nodes[i];
			return 0;
		}
	return -ENOENT;
}

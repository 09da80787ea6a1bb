/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Shared by the render-*.c files. */

#include "render.h"

/* The reference in images whose last path component is name ("etcd", "coredns"), or
 * NULL; the first one, as kubeadm lists one of each. */
const char *render_find_image(char *const *images, const char *name);
/* The cluster's DNS service address: the tenth of the service subnet, as kubeadm picks it. */
void render_cluster_dns(const IpPrefix *service_subnet, IpAddress *ret);

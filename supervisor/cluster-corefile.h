/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* CoreDNS's Corefile as the image has it (/usr/lib/kiln/kubeadm/Corefile, rendered from
 * the profile: an offline profile's forwards nowhere), put into the cluster: kubeadm's
 * addon phase installs its own, which forwards to the node's resolvers. Through kubectl,
 * each step a child of the loop:
 *
 *   get configmap coredns -n kube-system -o json   same Corefile: nothing to do
 *   patch configmap coredns --type merge -p {"data":{"Corefile":...}}
 *   rollout restart deployment/coredns             the pods read the new one now (the
 *                                                  "reload" plugin would, in its time)
 *
 * Idempotent: a node that reboots finds the Corefile in place and restarts nothing. */

#include <stdbool.h>
#include <systemd/sd-event.h>

#include "cluster-kubectl.h"
#include "macro.h"

#define CLUSTER_COREFILE_PATH "/usr/lib/kiln/kubeadm/Corefile"

typedef struct ClusterCorefile ClusterCorefile;

/* result: 1 the Corefile was replaced and CoreDNS restarted, 0 it was in place already,
 * -EAGAIN the API did not answer (ask again later), -ENOENT no coredns ConfigMap, other
 * -errno; detail says what happened in words. The callback may free the step. */
typedef void (*ClusterCorefileDoneFn)(ClusterCorefile *c, int result, const char *detail, void *userdata);

int cluster_corefile_start(sd_event *e, const ClusterKubectlSetup *setup, const char *corefile,
			   ClusterCorefileDoneFn done, void *userdata, ClusterCorefile **ret);
ClusterCorefile *cluster_corefile_free(ClusterCorefile *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(ClusterCorefile *, cluster_corefile_free);

/* The Corefile in a `kubectl get configmap -o json` answer: 0 and a copy, -ENOENT when
 * the ConfigMap has none, -EBADMSG when the text is not a ConfigMap. */
int cluster_corefile_from_configmap(const char *json, char **ret);
/* The merge patch that sets data.Corefile to corefile. */
int cluster_corefile_patch(const char *corefile, char **ret);

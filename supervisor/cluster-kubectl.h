/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* One kubectl command against the cluster, as a child watched by sd-event
 * (cluster-child.h): argv is kubectl --kubeconfig=<admin.conf> --cache-dir=<run dir>
 * --request-timeout=<per request> followed by the caller's words. Its stdout is captured
 * (JSON, a name list, "ok"), its stderr kept (kubectl says what went wrong there in one
 * or two lines). The caller is told once, from the loop. */

#include <stdbool.h>
#include <systemd/sd-event.h>

#include "macro.h"
#include "time-util.h"

#define CLUSTER_KUBECTL "/usr/bin/kubectl"
#define CLUSTER_ADMIN_CONF "/etc/kubernetes/admin.conf"
/* kubectl keeps its discovery cache under $HOME by default, which the service cannot
 * write (ProtectHome=): the runtime directory can. */
#define CLUSTER_KUBECTL_CACHE "/run/kiln/kubectl-cache"
/* Each request, and each command as a whole (discovery plus the request, started under
 * emulation). */
#define CLUSTER_KUBECTL_REQUEST_TIMEOUT "10s"
#define CLUSTER_KUBECTL_TIMEOUT_USEC (60 * USEC_PER_SEC)

typedef struct ClusterKubectlSetup {
	const char *kubectl;            /* the binary */
	const char *kubeconfig;
	const char *cache_dir;
	usec_t timeout;                 /* of the whole command; 0: CLUSTER_KUBECTL_TIMEOUT_USEC */
} ClusterKubectlSetup;

typedef struct ClusterKubectl ClusterKubectl;

/* status: kubectl's exit status, or -ETIMEDOUT/-EFBIG (see cluster-child.h). out and err
 * are NUL-terminated ("" when empty) and valid during the call. The callback may free
 * the call. */
typedef void (*ClusterKubectlDoneFn)(ClusterKubectl *k, int status, const char *out, const char *err, void *userdata);

/* args: the words after the global flags, NULL-terminated. */
int cluster_kubectl_start(sd_event *e, const ClusterKubectlSetup *setup, const char *const *args,
			  ClusterKubectlDoneFn done, void *userdata, ClusterKubectl **ret);
/* Kills a command still running; done is not called. NULL-safe. */
ClusterKubectl *cluster_kubectl_free(ClusterKubectl *k);
DEFINE_TRIVIAL_CLEANUP_FUNC(ClusterKubectl *, cluster_kubectl_free);

/* kubectl's answer meant the object is not there ("Error from server (NotFound): ..."),
 * not that the API could not be asked. */
bool cluster_kubectl_not_found(const char *err);

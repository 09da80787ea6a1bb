/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The supervisor's status socket: a SOCK_STREAM unix socket on which every connection
 * gets one JSON document (status_document()) and is closed. Nothing is read from the
 * client, so there is nothing to parse and nothing a client can change. Access is by
 * file permissions: the directory 0750 and the socket 0660, group "kiln" (or root). */

#include <jansson.h>
#include <sys/types.h>
#include <systemd/sd-event.h>

#include "macro.h"
#include "phases.h"

#define STATUS_SOCKET_PATH "/run/kiln/status.sock"
/* Clients being written to at once; more are closed at once, so a flood of idle
 * connections cannot pin the supervisor's memory. */
#define STATUS_CONNECTIONS_MAX 32

/* Build the document for one client; 0 and a new string in *ret, or -errno. */
typedef int (*StatusBuildFn)(void *userdata, char **ret);

typedef struct StatusServer StatusServer;

/* Bind path (a stale socket there is replaced), creating its directory with mode 0750;
 * directory and socket get group gid (0: root only) and the owner stays the caller. */
int status_server_new(sd_event *e, const char *path, gid_t gid, StatusBuildFn build, void *userdata,
		      StatusServer **ret);
/* Closes the listening socket and every connection, and removes the socket file. */
StatusServer *status_server_free(StatusServer *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(StatusServer *, status_server_free);

/* The document: {version, phase, ready, status, bootId, repairs, retryInMs, phases: [{name,
 * status, started, finished, durationMs, attempts, lastError, detail}], cluster, addons},
 * times as RFC 3339 UTC strings from CLOCK_REALTIME microseconds, null when not known.
 * now_usec is the present, for the duration of a running phase. cluster and addons (a
 * reference is taken of each; NULL is null) are what the supervisor last saw of the
 * cluster (cluster_status_json()) and of the addons (addons_status_json()). */
int status_document(PhaseRunner *r, json_t *cluster, json_t *addons, usec_t now_usec, char **ret);

/* A CLOCK_REALTIME time as the document writes it ("2026-11-22T03:44:01.123Z"); null for 0. */
json_t *status_json_time(usec_t u);

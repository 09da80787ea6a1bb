/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* containerd's running containers, as its own services list them (the auditor's view of
 * "every running container process"): namespaces (namespaces.v1.Namespaces/List), the
 * tasks of each (tasks.v1.Tasks/List), every process of a task (Tasks/ListPids) and the
 * container record with its labels and OCI runtime spec (containers.v1.Containers/Get).
 * Same socket and gRPC client as the image probes (lib/grpc-unix.h); each call reads
 * containerd's metadata or asks the shim for its pid list, nothing more.
 *
 * The parsers are separate from the calls so the unit tier and the fuzzer can feed them
 * bytes. Unknown fields are skipped; a field of the wrong wire type among those read is
 * -EBADMSG. */

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "time-util.h"

/* api/types/task/task.proto: Status */
typedef enum ContainerdTaskStatus {
	CONTAINERD_TASK_UNKNOWN = 0,
	CONTAINERD_TASK_CREATED = 1,
	CONTAINERD_TASK_RUNNING = 2,
	CONTAINERD_TASK_STOPPED = 3,
	CONTAINERD_TASK_PAUSED  = 4,
	CONTAINERD_TASK_PAUSING = 5,
} ContainerdTaskStatus;

typedef struct ContainerdTask {
	char *container_id;
	pid_t pid;                      /* the task's first process, as containerd saw it */
	ContainerdTaskStatus status;
} ContainerdTask;

typedef struct ContainerdContainer {
	char *id;
	char **labels;                  /* key, value, ...; NULL when none */
	char *spec_type_url;            /* the spec's google.protobuf.Any type URL */
	char *spec;                     /* its value: the OCI runtime spec as JSON, NUL-terminated */
} ContainerdContainer;

void containerd_tasks_free(ContainerdTask *tasks, size_t n);
void containerd_container_done(ContainerdContainer *c);
const char *containerd_container_label(const ContainerdContainer *c, const char *key);

int containerd_parse_namespaces_reply(const void *data, size_t size, char ***ret);
int containerd_parse_tasks_reply(const void *data, size_t size, ContainerdTask **ret, size_t *ret_n);
int containerd_parse_pids_reply(const void *data, size_t size, pid_t **ret, size_t *ret_n);
int containerd_parse_container_reply(const void *data, size_t size, ContainerdContainer *ret);

/* The calls: the errors of grpc_unix_call() (-ENOENT, -ECONNREFUSED, -ETIMEDOUT,
 * -EREMOTEIO for a container or task that went away ...) or of the parsers. */
int containerd_list_namespaces(const char *socket_path, usec_t timeout_usec, char ***ret);
int containerd_list_tasks(const char *socket_path, const char *namespace, usec_t timeout_usec,
			  ContainerdTask **ret, size_t *ret_n);
int containerd_list_pids(const char *socket_path, const char *namespace, const char *container_id,
			 usec_t timeout_usec, pid_t **ret, size_t *ret_n);
int containerd_get_container(const char *socket_path, const char *namespace, const char *container_id,
			     usec_t timeout_usec, ContainerdContainer *ret);

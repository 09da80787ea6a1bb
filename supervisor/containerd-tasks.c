/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "alloc-util.h"
#include "containerd-tasks.h"
#include "grpc-unix.h"
#include "macro.h"
#include "protowire.h"
#include "strv.h"

/* containerd/api: services/{namespaces,tasks,containers}/v1 and types/task/task.proto. */
#define NAMESPACES_LIST_METHOD "/containerd.services.namespaces.v1.Namespaces/List"
#define TASKS_LIST_METHOD      "/containerd.services.tasks.v1.Tasks/List"
#define TASKS_LIST_PIDS_METHOD "/containerd.services.tasks.v1.Tasks/ListPids"
#define CONTAINERS_GET_METHOD  "/containerd.services.containers.v1.Containers/Get"
#define NAMESPACE_HEADER       "containerd-namespace"
enum {
	LIST_NAMESPACES_RESPONSE_NAMESPACES = 1,
	NAMESPACE_NAME = 1,
	LIST_TASKS_RESPONSE_TASKS = 1,
	PROCESS_CONTAINER_ID = 1,
	PROCESS_ID = 2,
	PROCESS_PID = 3,
	PROCESS_STATUS = 4,
	LIST_PIDS_REQUEST_CONTAINER_ID = 1,
	LIST_PIDS_RESPONSE_PROCESSES = 1,
	PROCESS_INFO_PID = 1,
	GET_CONTAINER_REQUEST_ID = 1,
	GET_CONTAINER_RESPONSE_CONTAINER = 1,
	CONTAINER_ID = 1,
	CONTAINER_LABELS = 2,
	CONTAINER_SPEC = 5,
	ANY_TYPE_URL = 1,
	ANY_VALUE = 2,
};

void containerd_tasks_free(ContainerdTask *tasks, size_t n) {
	for (size_t i = 0; tasks && i < n; i++)
		free(tasks[i].container_id);
	free(tasks);
}

void containerd_container_done(ContainerdContainer *c) {
	if (!c)
		return;
	free(c->id);
	strv_free(c->labels);
	free(c->spec_type_url);
	free(c->spec);
	*c = (ContainerdContainer) {};
}

const char *containerd_container_label(const ContainerdContainer *c, const char *key) {
	if (!c || !key)
		return NULL;
	for (char **l = c->labels; l && l[0] && l[1]; l += 2)
		if (streq(l[0], key))
			return l[1];
	return NULL;
}

/* A pid as protobuf carries it (uint32): 0 and what pid_t cannot hold are not processes. */
static int take_pid(const ProtoField *f, pid_t *ret) {
	if (f->wire_type != PROTO_WIRE_VARINT || f->value == 0 || f->value > INT32_MAX)
		return -EBADMSG;
	*ret = (pid_t) f->value;
	return 0;
}

int containerd_parse_namespaces_reply(const void *data, size_t size, char ***ret) {
	_cleanup_strv_free_ char **names = NULL;
	ProtoReader r = proto_reader(data, size);
	ProtoField f;
	int k;

	if ((!data && size > 0) || !ret)
		return -EINVAL;
	while ((k = proto_next(&r, &f)) > 0) {
		if (f.number != LIST_NAMESPACES_RESPONSE_NAMESPACES)
			continue;
		if (f.wire_type != PROTO_WIRE_LEN)
			return -EBADMSG;
		_cleanup_free_ char *name = NULL;
		ProtoReader nr = proto_reader(f.data, f.size);
		ProtoField nf;
		while ((k = proto_next(&nr, &nf)) > 0)
			if (nf.number == NAMESPACE_NAME && (k = proto_field_take_string(&nf, &name)) < 0)
				return k;
		if (k < 0)
			return k;
		if (isempty(name))
			return -EBADMSG;
		if ((k = strv_consume(&names, TAKE_PTR(name))) < 0)
			return k;
	}
	if (k < 0)
		return k;
	*ret = TAKE_PTR(names);
	return 0;
}

static int parse_task(const ProtoField *field, ContainerdTask *t) {
	_cleanup_free_ char *id = NULL;
	ProtoReader r;
	ProtoField f;
	int k;

	if (field->wire_type != PROTO_WIRE_LEN)
		return -EBADMSG;
	r = proto_reader(field->data, field->size);
	while ((k = proto_next(&r, &f)) > 0) {
		if (f.number == PROCESS_CONTAINER_ID)
			k = proto_field_take_string(&f, &t->container_id);
		else if (f.number == PROCESS_ID)
			k = proto_field_take_string(&f, &id);
		else if (f.number == PROCESS_PID)
			/* A task not started yet has pid 0: left at 0, not an error. */
			k = f.wire_type != PROTO_WIRE_VARINT ? -EBADMSG :
			    f.value == 0 ? 0 : take_pid(&f, &t->pid);
		else if (f.number == PROCESS_STATUS) {
			if (f.wire_type != PROTO_WIRE_VARINT)
				return -EBADMSG;
			t->status = f.value <= CONTAINERD_TASK_PAUSING ? (ContainerdTaskStatus) f.value
								       : CONTAINERD_TASK_UNKNOWN;
		}
		if (k < 0)
			return k;
	}
	if (k < 0)
		return k;
	/* Tasks/List fills in the process id, which for a task's init process is the
	 * container's id, and leaves container_id empty (containerd 1.7 and 2.x). */
	if (isempty(t->container_id)) {
		free(t->container_id);
		t->container_id = TAKE_PTR(id);
	}
	return isempty(t->container_id) ? -EBADMSG : 0;
}

int containerd_parse_tasks_reply(const void *data, size_t size, ContainerdTask **ret, size_t *ret_n) {
	ContainerdTask *tasks = NULL;
	size_t n = 0, allocated = 0;
	ProtoReader r = proto_reader(data, size);
	ProtoField f;
	int k;

	if ((!data && size > 0) || !ret || !ret_n)
		return -EINVAL;
	while ((k = proto_next(&r, &f)) > 0) {
		if (f.number != LIST_TASKS_RESPONSE_TASKS)
			continue;
		if (!GREEDY_REALLOC(tasks, allocated, n + 1)) {
			k = -ENOMEM;
			break;
		}
		tasks[n] = (ContainerdTask) {};
		k = parse_task(&f, &tasks[n++]);
		if (k < 0)
			break;
	}
	if (k < 0) {
		containerd_tasks_free(tasks, n);
		return k;
	}
	*ret = tasks;
	*ret_n = n;
	return 0;
}

int containerd_parse_pids_reply(const void *data, size_t size, pid_t **ret, size_t *ret_n) {
	_cleanup_free_ pid_t *pids = NULL;
	size_t n = 0, allocated = 0;
	ProtoReader r = proto_reader(data, size);
	ProtoField f;
	int k;

	if ((!data && size > 0) || !ret || !ret_n)
		return -EINVAL;
	while ((k = proto_next(&r, &f)) > 0) {
		if (f.number != LIST_PIDS_RESPONSE_PROCESSES)
			continue;
		if (f.wire_type != PROTO_WIRE_LEN)
			return -EBADMSG;
		pid_t pid = 0;
		ProtoReader pr = proto_reader(f.data, f.size);
		ProtoField pf;
		while ((k = proto_next(&pr, &pf)) > 0)
			if (pf.number == PROCESS_INFO_PID && (k = take_pid(&pf, &pid)) < 0)
				return k;
		if (k < 0)
			return k;
		if (pid == 0)
			return -EBADMSG;
		if (!GREEDY_REALLOC(pids, allocated, n + 1))
			return -ENOMEM;
		pids[n++] = pid;
	}
	if (k < 0)
		return k;
	*ret = TAKE_PTR(pids);
	*ret_n = n;
	return 0;
}

static int parse_spec(const ProtoField *field, ContainerdContainer *c) {
	ProtoReader r;
	ProtoField f;
	int k;

	if (field->wire_type != PROTO_WIRE_LEN)
		return -EBADMSG;
	r = proto_reader(field->data, field->size);
	while ((k = proto_next(&r, &f)) > 0) {
		if (f.number == ANY_TYPE_URL)
			k = proto_field_take_string(&f, &c->spec_type_url);
		else if (f.number == ANY_VALUE)
			/* JSON holds no NUL byte: a value with one is refused by the copy. */
			k = proto_field_take_string(&f, &c->spec);
		if (k < 0)
			return k;
	}
	return k;
}

static int parse_container(const ProtoField *field, ContainerdContainer *c) {
	ProtoReader r;
	ProtoField f;
	int k;

	if (field->wire_type != PROTO_WIRE_LEN)
		return -EBADMSG;
	r = proto_reader(field->data, field->size);
	while ((k = proto_next(&r, &f)) > 0) {
		if (f.number == CONTAINER_ID)
			k = proto_field_take_string(&f, &c->id);
		else if (f.number == CONTAINER_LABELS)
			k = proto_string_map_add(&f, &c->labels);
		else if (f.number == CONTAINER_SPEC)
			k = parse_spec(&f, c);
		if (k < 0)
			return k;
	}
	return k;
}

int containerd_parse_container_reply(const void *data, size_t size, ContainerdContainer *ret) {
	ContainerdContainer c = {};
	ProtoReader r = proto_reader(data, size);
	ProtoField f;
	int k;

	if ((!data && size > 0) || !ret)
		return -EINVAL;
	while ((k = proto_next(&r, &f)) > 0)
		if (f.number == GET_CONTAINER_RESPONSE_CONTAINER && (k = parse_container(&f, &c)) < 0)
			break;
	if (k >= 0 && isempty(c.id))
		k = -EBADMSG;
	if (k < 0) {
		containerd_container_done(&c);
		return k;
	}
	*ret = c;
	return 0;
}

static int call(const char *socket_path, const char *namespace, const char *method, const void *request,
		size_t request_size, usec_t timeout_usec, void **ret_reply, size_t *ret_size) {
	const GrpcMetadata md[] = { { NAMESPACE_HEADER, namespace } };

	return grpc_unix_call_with_metadata(socket_path, method, md, namespace ? 1 : 0, request, request_size,
					    timeout_usec, ret_reply, ret_size);
}

int containerd_list_namespaces(const char *socket_path, usec_t timeout_usec, char ***ret) {
	_cleanup_free_ void *reply = NULL;
	size_t size = 0;
	int r;

	if (!socket_path || !ret)
		return -EINVAL;
	r = call(socket_path, NULL, NAMESPACES_LIST_METHOD, NULL, 0, timeout_usec, &reply, &size);
	if (r < 0)
		return r;
	return containerd_parse_namespaces_reply(reply, size, ret);
}

int containerd_list_tasks(const char *socket_path, const char *namespace, usec_t timeout_usec,
			  ContainerdTask **ret, size_t *ret_n) {
	_cleanup_free_ void *reply = NULL;
	size_t size = 0;
	int r;

	if (!socket_path || isempty(namespace) || !ret || !ret_n)
		return -EINVAL;
	/* An empty ListTasksRequest: no filter, every task of the namespace. */
	r = call(socket_path, namespace, TASKS_LIST_METHOD, NULL, 0, timeout_usec, &reply, &size);
	if (r < 0)
		return r;
	return containerd_parse_tasks_reply(reply, size, ret, ret_n);
}

int containerd_list_pids(const char *socket_path, const char *namespace, const char *container_id,
			 usec_t timeout_usec, pid_t **ret, size_t *ret_n) {
	_cleanup_free_ void *reply = NULL;
	_cleanup_free_ uint8_t *request = NULL;
	size_t size = 0, request_size = 0;
	int r;

	if (!socket_path || isempty(namespace) || isempty(container_id) || !ret || !ret_n)
		return -EINVAL;
	r = proto_encode_string_field(LIST_PIDS_REQUEST_CONTAINER_ID, container_id, &request, &request_size);
	if (r < 0)
		return r;
	r = call(socket_path, namespace, TASKS_LIST_PIDS_METHOD, request, request_size, timeout_usec, &reply, &size);
	if (r < 0)
		return r;
	return containerd_parse_pids_reply(reply, size, ret, ret_n);
}

int containerd_get_container(const char *socket_path, const char *namespace, const char *container_id,
			     usec_t timeout_usec, ContainerdContainer *ret) {
	_cleanup_free_ void *reply = NULL;
	_cleanup_free_ uint8_t *request = NULL;
	size_t size = 0, request_size = 0;
	int r;

	if (!socket_path || isempty(namespace) || isempty(container_id) || !ret)
		return -EINVAL;
	r = proto_encode_string_field(GET_CONTAINER_REQUEST_ID, container_id, &request, &request_size);
	if (r < 0)
		return r;
	r = call(socket_path, namespace, CONTAINERS_GET_METHOD, request, request_size, timeout_usec, &reply, &size);
	if (r < 0)
		return r;
	return containerd_parse_container_reply(reply, size, ret);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "grpc-unix.h"
#include "macro.h"
#include "protowire.h"
#include "runtime.h"
#include "strv.h"

/* k8s.io/cri-api, pkg/apis/runtime/v1/api.proto: the field numbers used here. */
#define CRI_VERSION_METHOD     "/runtime.v1.RuntimeService/Version"
#define CRI_LIST_IMAGES_METHOD "/runtime.v1.ImageService/ListImages"
enum {
	VERSION_RESPONSE_RUNTIME_NAME = 2,
	VERSION_RESPONSE_RUNTIME_VERSION = 3,
	VERSION_RESPONSE_RUNTIME_API_VERSION = 4,
	LIST_IMAGES_RESPONSE_IMAGES = 1,
	IMAGE_REPO_TAGS = 2,
	IMAGE_REPO_DIGESTS = 3,
};

void runtime_version_done(RuntimeVersion *v) {
	if (!v)
		return;
	free(v->runtime_name);
	free(v->runtime_version);
	free(v->runtime_api_version);
	*v = (RuntimeVersion) {};
}

int runtime_parse_version_reply(const void *data, size_t size, RuntimeVersion *ret) {
	_cleanup_(runtime_version_done) RuntimeVersion v = {};
	ProtoReader r = proto_reader(data, size);
	ProtoField f;
	int k;

	if ((!data && size > 0) || !ret)
		return -EINVAL;
	while ((k = proto_next(&r, &f)) > 0) {
		char **slot = f.number == VERSION_RESPONSE_RUNTIME_NAME ? &v.runtime_name :
			      f.number == VERSION_RESPONSE_RUNTIME_VERSION ? &v.runtime_version :
			      f.number == VERSION_RESPONSE_RUNTIME_API_VERSION ? &v.runtime_api_version : NULL;
		if (!slot)
			continue;
		/* A repeated scalar field: the last one wins (protobuf's rule). */
		free(*slot);
		*slot = NULL;
		if ((k = proto_field_strdup(&f, slot)) < 0)
			return k;
	}
	if (k < 0)
		return k;
	*ret = v;
	v = (RuntimeVersion) {};
	return 0;
}

static int parse_image(const ProtoField *image, char ***tags, char ***digests) {
	ProtoReader r = proto_reader(image->data, image->size);
	ProtoField f;
	int k;

	while ((k = proto_next(&r, &f)) > 0) {
		char ***into = f.number == IMAGE_REPO_TAGS ? tags : f.number == IMAGE_REPO_DIGESTS ? digests : NULL;
		char *s = NULL;
		if (!into)
			continue;
		if ((k = proto_field_strdup(&f, &s)) < 0 || (k = strv_consume(into, s)) < 0)
			return k;
	}
	return k;
}

int runtime_parse_images_reply(const void *data, size_t size, char ***ret_refs) {
	_cleanup_strv_free_ char **tags = NULL, **digests = NULL;
	ProtoReader r = proto_reader(data, size);
	ProtoField f;
	int k;

	if ((!data && size > 0) || !ret_refs)
		return -EINVAL;
	while ((k = proto_next(&r, &f)) > 0) {
		if (f.number != LIST_IMAGES_RESPONSE_IMAGES)
			continue;
		if (f.wire_type != PROTO_WIRE_LEN)
			return -EBADMSG;
		if ((k = parse_image(&f, &tags, &digests)) < 0)
			return k;
	}
	if (k < 0)
		return k;
	/* Always a vector, so that "no images" is not mistaken for a failure. */
	if (!tags && !(tags = calloc(1, sizeof(char *))))
		return -ENOMEM;
	STRV_FOREACH(d, digests)
		if ((k = strv_extend(&tags, *d)) < 0)
			return k;
	*ret_refs = TAKE_PTR(tags);
	return 0;
}

int runtime_version(const char *socket_path, usec_t timeout_usec, RuntimeVersion *ret) {
	_cleanup_free_ void *reply = NULL;
	size_t size = 0;
	int r;

	r = grpc_unix_call(socket_path ?: RUNTIME_CONTAINERD_SOCKET, CRI_VERSION_METHOD, NULL, 0, timeout_usec,
			   &reply, &size);
	if (r < 0)
		return r;
	if (!ret)
		return 0;
	return runtime_parse_version_reply(reply, size, ret);
}

int runtime_list_images(const char *socket_path, usec_t timeout_usec, char ***ret_refs) {
	_cleanup_free_ void *reply = NULL;
	size_t size = 0;
	int r;

	if (!ret_refs)
		return -EINVAL;
	/* An empty ListImagesRequest: no filter, every image. */
	r = grpc_unix_call(socket_path ?: RUNTIME_CONTAINERD_SOCKET, CRI_LIST_IMAGES_METHOD, NULL, 0, timeout_usec,
			   &reply, &size);
	if (r < 0)
		return r;
	return runtime_parse_images_reply(reply, size, ret_refs);
}

int runtime_describe(const RuntimeVersion *v, char **ret) {
	if (!v || !ret)
		return -EINVAL;
	if (asprintf(ret, "%s %s answers", v->runtime_name ?: "the runtime", v->runtime_version ?: "(no version)") < 0)
		return -ENOMEM;
	return 0;
}

int runtime_cri_ready(const char *socket_path) {
	return runtime_version(socket_path, RUNTIME_CRI_TIMEOUT_USEC, NULL);
}

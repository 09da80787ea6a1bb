/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>

#include "alloc-util.h"
#include "containerd-images.h"
#include "grpc-unix.h"
#include "macro.h"
#include "protowire.h"
#include "strv.h"

/* containerd/api: services/images/v1/images.proto and types/descriptor.proto. */
#define IMAGES_LIST_METHOD "/containerd.services.images.v1.Images/List"
#define NAMESPACE_HEADER   "containerd-namespace"
enum {
	LIST_IMAGES_RESPONSE_IMAGES = 1,
	IMAGE_NAME = 1,
	IMAGE_LABELS = 2,            /* map<string, string> */
	IMAGE_TARGET = 3,
	DESCRIPTOR_MEDIA_TYPE = 1,
	DESCRIPTOR_DIGEST = 2,
	DESCRIPTOR_SIZE = 3,
};

static void image_done(ContainerdImage *i) {
	free(i->name);
	free(i->target_media_type);
	free(i->target_digest);
	strv_free(i->labels);
	*i = (ContainerdImage) {};
}

void containerd_images_free(ContainerdImage *images, size_t n) {
	for (size_t i = 0; images && i < n; i++)
		image_done(&images[i]);
	free(images);
}

const char *containerd_image_label(const ContainerdImage *image, const char *key) {
	if (!image || !key)
		return NULL;
	for (char **l = image->labels; l && l[0] && l[1]; l += 2)
		if (streq(l[0], key))
			return l[1];
	return NULL;
}

static int parse_target(const ProtoField *target, ContainerdImage *image) {
	ProtoReader r;
	ProtoField f;
	int k;

	if (target->wire_type != PROTO_WIRE_LEN)
		return -EBADMSG;
	r = proto_reader(target->data, target->size);
	while ((k = proto_next(&r, &f)) > 0)
		switch (f.number) {
		case DESCRIPTOR_MEDIA_TYPE:
			if ((k = proto_field_take_string(&f, &image->target_media_type)) < 0)
				return k;
			break;
		case DESCRIPTOR_DIGEST:
			if ((k = proto_field_take_string(&f, &image->target_digest)) < 0)
				return k;
			break;
		case DESCRIPTOR_SIZE:
			if (f.wire_type != PROTO_WIRE_VARINT)
				return -EBADMSG;
			image->target_size = (int64_t) f.value;
			break;
		default:
			break;
		}
	return k;
}

static int parse_image(const ProtoField *field, ContainerdImage *image) {
	ProtoReader r;
	ProtoField f;
	int k;

	if (field->wire_type != PROTO_WIRE_LEN)
		return -EBADMSG;
	r = proto_reader(field->data, field->size);
	while ((k = proto_next(&r, &f)) > 0) {
		if (f.number == IMAGE_NAME)
			k = proto_field_take_string(&f, &image->name);
		else if (f.number == IMAGE_LABELS)
			k = proto_string_map_add(&f, &image->labels);
		else if (f.number == IMAGE_TARGET)
			/* A message field sent twice is merged: fields of the later one win. */
			k = parse_target(&f, image);
		if (k < 0)
			return k;
	}
	if (k < 0)
		return k;
	/* The name is containerd's key for the record: one without is not an image. */
	return image->name ? 0 : -EBADMSG;
}

int containerd_parse_images_reply(const void *data, size_t size, ContainerdImage **ret, size_t *ret_n) {
	ContainerdImage *images = NULL;
	size_t n = 0, allocated = 0;
	ProtoReader r = proto_reader(data, size);
	ProtoField f;
	int k;

	if ((!data && size > 0) || !ret || !ret_n)
		return -EINVAL;
	while ((k = proto_next(&r, &f)) > 0) {
		if (f.number != LIST_IMAGES_RESPONSE_IMAGES)
			continue;
		if (!GREEDY_REALLOC(images, allocated, n + 1)) {
			k = -ENOMEM;
			break;
		}
		images[n] = (ContainerdImage) {};
		k = parse_image(&f, &images[n]);
		n++;
		if (k < 0)
			break;
	}
	if (k < 0) {
		containerd_images_free(images, n);
		return k;
	}
	*ret = images;
	*ret_n = n;
	return 0;
}

int containerd_list_images(const char *socket_path, const char *namespace, usec_t timeout_usec,
			   ContainerdImage **ret, size_t *ret_n) {
	_cleanup_free_ void *reply = NULL;
	size_t size = 0;
	int r;

	if (!socket_path || isempty(namespace) || !ret || !ret_n)
		return -EINVAL;
	const GrpcMetadata md[] = { { NAMESPACE_HEADER, namespace } };
	/* An empty ListImagesRequest: no filters, every image of the namespace. */
	r = grpc_unix_call_with_metadata(socket_path, IMAGES_LIST_METHOD, md, ELEMENTSOF(md), NULL, 0, timeout_usec,
					 &reply, &size);
	if (r < 0)
		return r;
	return containerd_parse_images_reply(reply, size, ret, ret_n);
}

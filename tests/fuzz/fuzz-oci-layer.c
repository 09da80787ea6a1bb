/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fuzz the OCI layer check (lib/oci-layer.c), which reads layers pulled from registries
 * before anything else looks at them: whatever the bytes (tar, gzip, zstd or junk), it
 * answers 0 with no reason, or -EBADMSG with a reason in one of the documented forms, or
 * -ENOMEM; never anything else, never a crash or a leak. The input is checked alone,
 * then as layer 1 of an image (the same answer) and as layer 2 on top of itself, which
 * runs the rule across layers (lib/oci-layer-stack.c) on whatever layer 1 left. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"
#include "macro.h"
#include "oci-layer.h"

static bool has_prefix(const char *s, const char *prefix) {
	return strneq(s, prefix, strlen(prefix));
}

static bool reason_ok(const char *error, const char *prefix) {
	if (!error || strchr(error, '\n') || !has_prefix(error, prefix))
		return false;
	error += strlen(prefix);
	return has_prefix(error, "entry ") || has_prefix(error, "after entry ") ||
	       has_prefix(error, "not a tar archive (plain, gzip or zstd): ");
}

/* Check the input from the start, alone (s NULL) or as the next layer on s. */
static int check(int fd, OciLayerStack *s, const char *prefix) {
	char *error = NULL;
	int r;

	if (lseek(fd, 0, SEEK_SET) != 0)
		abort();
	r = s ? oci_layer_stack_check_fd(s, fd, &error) : oci_layer_check_fd(fd, &error);
	if (r == 0 && error)
		abort();
	if (r == -EBADMSG && !reason_ok(error, prefix))
		abort();
	if (r != 0 && r != -EBADMSG && r != -ENOMEM)
		abort();
	free(error);
	return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
	_cleanup_(oci_layer_stack_freep) OciLayerStack *s = NULL;
	static int fd = -1;
	int r;

	/* One memfd for all inputs: creating one per input would dominate the run time. */
	if (fd < 0)
		fd = memfd_create("fuzz-oci-layer", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, 0) < 0 || lseek(fd, 0, SEEK_SET) != 0 ||
	    (size > 0 && write(fd, data, size) != (ssize_t) size) || lseek(fd, 0, SEEK_SET) != 0)
		abort();   /* the harness itself failed */

	r = check(fd, NULL, "");
	if (r == -ENOMEM || oci_layer_stack_new(&s) < 0)
		return 0;
	if (check(fd, s, "layer 1, ") != r)
		abort();   /* one layer decides alike alone and at the bottom of an image */
	if (r == 0)
		(void) check(fd, s, "layer 2, ");
	return 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fuzz the OCI layer check (lib/oci-layer.c), which reads layers pulled from registries
 * before anything else looks at them: whatever the bytes (tar, gzip, zstd or junk), it
 * answers 0 with no reason, or -EBADMSG with a reason in one of the documented forms, or
 * -ENOMEM; never anything else, never a crash or a leak. */
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
	static int fd = -1;
	char *error = NULL;
	int r;

	/* One memfd for all inputs: creating one per input would dominate the run time. */
	if (fd < 0)
		fd = memfd_create("fuzz-oci-layer", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, 0) < 0 || lseek(fd, 0, SEEK_SET) != 0 ||
	    (size > 0 && write(fd, data, size) != (ssize_t) size) || lseek(fd, 0, SEEK_SET) != 0)
		abort();   /* the harness itself failed */

	r = oci_layer_check_fd(fd, &error);
	if (r == 0 && error)
		abort();
	if (r == -EBADMSG) {
		if (!error || strchr(error, '\n'))
			abort();
		if (!has_prefix(error, "entry ") && !has_prefix(error, "after entry ") &&
		    !has_prefix(error, "not a tar archive (plain, gzip or zstd): "))
			abort();
	} else if (r != 0 && r != -ENOMEM)
		abort();
	free(error);
	return 0;
}

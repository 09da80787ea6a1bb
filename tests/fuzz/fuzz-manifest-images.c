/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fuzz the image collection from Kubernetes manifests (imagegen/manifest-images.c), the
 * object lister both kiln-imagegen and the supervisor read addon manifests with
 * (lib/manifest-objects.c), and the containerd config reader: no crash, no leak; an error
 * is -EBADMSG with one "NAME:LINE:COLUMN: ..." line; a success leaves a sorted, unique
 * vector of non-empty references without blanks, and objects that each have a kind. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "macro.h"
#include "manifest-images.h"
#include "manifest-objects.h"
#include "strv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
	_cleanup_strv_free_ char **images = NULL;
	_cleanup_free_ char *error = NULL, *text = NULL, *sandbox = NULL;
	int r;

	r = manifest_collect_images((const char *) data, size, "fuzz.yaml", &images, &error);
	if (r < 0 && r != -EBADMSG && r != -ENOMEM)
		abort();
	if (r == -EBADMSG && (!error || strncmp(error, "fuzz.yaml:", 10) != 0 || strchr(error, '\n')))
		abort();
	if (r == 0) {
		STRV_FOREACH(i, images) {
			if (!**i || strpbrk(*i, " \t\n"))
				abort();
			if (i != images && strcmp(i[-1], *i) >= 0)
				abort();   /* sorted and unique */
		}
	}

	ManifestObject *objects = NULL;
	size_t n_objects = 0;
	free(error);
	error = NULL;
	r = manifest_objects_parse((const char *) data, size, "fuzz.yaml", &objects, &n_objects, &error);
	if (r < 0 && r != -EBADMSG && r != -ENOMEM)
		abort();
	if (r == -EBADMSG && (!error || strncmp(error, "fuzz.yaml:", 10) != 0 || strchr(error, '\n')))
		abort();
	for (size_t i = 0; r == 0 && i < n_objects; i++)
		if (!objects[i].kind || !*objects[i].kind || objects[i].line == 0)
			abort();
	manifest_objects_free(objects, n_objects);

	/* The containerd config reader takes a C string. */
	text = strndup((const char *) data, size);
	if (!text)
		return 0;
	r = containerd_config_sandbox_image(text, &sandbox);
	if (r < 0 && r != -ENOENT && r != -EBADMSG && r != -ENOMEM)
		abort();
	if (r == 0 && (!sandbox || !*sandbox))
		abort();
	return 0;
}

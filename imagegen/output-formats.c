/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "alloc-util.h"
#include "macro.h"
#include "output-formats.h"

static const struct {
	const char *cli;        /* the word of --format */
	const char *file;       /* in OUTDIR */
} formats[_OUTPUT_FORMAT_MAX] = {
	[OUTPUT_FORMAT_RAW]     = { "raw",   "disk.raw"   },
	[OUTPUT_FORMAT_ISO]     = { "iso",   "kiln.iso"   },
	[OUTPUT_FORMAT_PXE]     = { "pxe",   "pxe"        },   /* a directory */
	[OUTPUT_FORMAT_QCOW2]   = { "qcow2", "disk.qcow2" },
	[OUTPUT_FORMAT_VAGRANT] = { "box",   "kiln.box"   },
};

const char *output_format_file(OutputFormat f) {
	return (int) f >= 0 && f < _OUTPUT_FORMAT_MAX ? formats[f].file : NULL;
}

const char *output_format_cli_word(OutputFormat f) {
	return (int) f >= 0 && f < _OUTPUT_FORMAT_MAX ? formats[f].cli : NULL;
}

static int format_from_cli_word(const char *w, size_t n, OutputFormat *ret) {
	for (OutputFormat f = 0; f < _OUTPUT_FORMAT_MAX; f++)
		if (strlen(formats[f].cli) == n && strneq(formats[f].cli, w, n)) {
			*ret = f;
			return 0;
		}
	return -EINVAL;
}

int output_formats_parse(const char *list, OutputFormatSet *ret, char **ret_word) {
	OutputFormatSet set = 0;

	if (!list || !ret)
		return -EINVAL;
	for (const char *w = list;; ) {
		size_t n = strcspn(w, ",");
		OutputFormat f;
		int r = n == 0 ? -EINVAL : format_from_cli_word(w, n, &f);
		if (r < 0) {
			if (ret_word && !(*ret_word = strndup(w, n)))
				return -ENOMEM;
			return r;
		}
		set |= OUTPUT_FORMAT_BIT(f);
		if (w[n] == '\0')
			break;
		w += n + 1;
	}
	*ret = set;
	return 0;
}

OutputFormatSet output_formats_of_profile(const Profile *p) {
	OutputFormatSet set = 0;
	for (size_t i = 0; i < p->outputs.n_formats; i++)
		set |= OUTPUT_FORMAT_BIT(p->outputs.formats[i]);
	return set;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The output directory (-o OUTDIR) and what may happen to it. A build is made in a
 * staging directory next to OUTDIR and swapped in at the end, replacing what was there;
 * so kiln must know for sure that what is there is its own. It is, when the directory
 * holds kiln's stamp (OUTPUT_STAMP) or kiln's manifest.json (outputs of kiln before the
 * stamp), and nothing else than the files a build writes. Everything else is the user's,
 * and is never replaced, emptied or removed. */

#include <stdbool.h>

#define OUTPUT_STAMP ".kiln-output"

typedef enum OutputKind {
	OUTPUT_ABSENT,          /* nothing there: the build creates it */
	OUTPUT_EMPTY,           /* an empty directory */
	OUTPUT_KILN,            /* an earlier build's output */
} OutputKind;

/* What is at path. Refused, with *ret_reason saying why: -ENOTDIR (not a directory,
 * e.g. a file or a symlink), -EBUSY (a mount point: it cannot be renamed), -EEXIST
 * (a directory with something kiln did not write, named in the reason). */
int output_dir_classify(const char *path, OutputKind *ret, char **ret_reason);

/* Mark dir as kiln's output (the stamp file). */
int output_dir_stamp(const char *dir);

/* Remove a directory classify() calls kiln's: its known files, then itself. Anything
 * else found there is left alone, with the directory: -ENOTEMPTY, *ret_foreign (may be
 * NULL) naming one such entry. A missing directory is fine. */
int output_dir_remove(const char *dir, char **ret_foreign);

/* The name a build gives OUTDIR's staging directory: OUTDIR.partial-XXXXXX. */
bool output_dir_is_staging_name(const char *name, const char *outdir_name);

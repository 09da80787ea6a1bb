/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The delivery formats of a build (kiln-imagegen build --format, the profile's
 * outputs.formats) as a set, and the file each puts in OUTDIR. The words are the
 * profile's (lib/profile.h OutputFormat), except that the command line calls the Vagrant
 * box "box", as the issue and the man page do. */

#include <stdbool.h>

#include "profile.h"

typedef unsigned OutputFormatSet;
#define OUTPUT_FORMAT_BIT(f) (1u << (f))

/* The file (for pxe: the directory) the format puts in OUTDIR ("disk.raw", "pxe"). */
const char *output_format_file(OutputFormat f);
/* The format's word on the command line ("box" for OUTPUT_FORMAT_VAGRANT). */
const char *output_format_cli_word(OutputFormat f);

/* --format LIST: words separated by commas (repeats allowed). On failure, -EINVAL (an
 * empty list or word, or an unknown one), *ret_word (may be NULL) is the offending word,
 * for the message. */
int output_formats_parse(const char *list, OutputFormatSet *ret, char **ret_word);
/* The profile's outputs.formats. */
OutputFormatSet output_formats_of_profile(const Profile *p);

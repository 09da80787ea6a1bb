/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* kiln-imagegen build --format: the words, the sets, and what is refused (and named) before
 * any work. */
#include <errno.h>
#include <stdlib.h>

#include "alloc-util.h"
#include "output-formats.h"
#include "tap.h"

#define RAW OUTPUT_FORMAT_BIT(OUTPUT_FORMAT_RAW)
#define QCOW2 OUTPUT_FORMAT_BIT(OUTPUT_FORMAT_QCOW2)

static void parse(const char *list, int want_r, OutputFormatSet want_set, const char *want_word) {
	_cleanup_free_ char *word = NULL;
	OutputFormatSet set = 0xdead;
	int r = output_formats_parse(list, &set, &word);

	is_int(r, want_r, list);
	if (want_r >= 0)
		is_int(set, want_set, "  the set");
	else {
		is_int(set, 0xdead, "  the set is untouched on failure");
		is_str(word, want_word, "  the offending word is named");
	}
}

int main(void) {
	parse("raw", 0, RAW, NULL);
	parse("qcow2", 0, QCOW2, NULL);
	parse("raw,qcow2", 0, RAW | QCOW2, NULL);
	parse("qcow2,raw,qcow2", 0, RAW | QCOW2, NULL);

	parse("iso", 0, OUTPUT_FORMAT_BIT(OUTPUT_FORMAT_ISO), NULL);
	parse("raw,iso,qcow2", 0, RAW | QCOW2 | OUTPUT_FORMAT_BIT(OUTPUT_FORMAT_ISO), NULL);
	parse("raw,pxe", 0, RAW | OUTPUT_FORMAT_BIT(OUTPUT_FORMAT_PXE), NULL);
	parse("qcow2,box", 0, QCOW2 | OUTPUT_FORMAT_BIT(OUTPUT_FORMAT_VAGRANT), NULL);
	/* The profile's word for the box; the command line's is "box". */
	parse("vagrant", -EINVAL, 0, "vagrant");
	parse("nope", -EINVAL, 0, "nope");
	parse("raw,", -EINVAL, 0, "");
	parse("", -EINVAL, 0, "");
	parse("Raw", -EINVAL, 0, "Raw");
	parse("raw qcow2", -EINVAL, 0, "raw qcow2");

	is_str(output_format_file(OUTPUT_FORMAT_RAW), "disk.raw", "raw makes disk.raw");
	is_str(output_format_file(OUTPUT_FORMAT_QCOW2), "disk.qcow2", "qcow2 makes disk.qcow2");
	is_str(output_format_file(OUTPUT_FORMAT_ISO), "kiln.iso", "iso makes kiln.iso");
	is_str(output_format_file(OUTPUT_FORMAT_PXE), "pxe", "pxe makes the directory pxe");
	is_str(output_format_file(OUTPUT_FORMAT_VAGRANT), "kiln.box", "box makes kiln.box");

	/* The text of the messages, from the same table. */
	_cleanup_free_ char *words = output_formats_text(output_format_cli_word, "and");
	is_str(words, "raw, iso, pxe, qcow2 and box", "the formats, for a message");
	is_str(output_format_cli_word(OUTPUT_FORMAT_VAGRANT), "box", "the Vagrant box is box on the command line");
	return done_testing();
}

# SPDX-License-Identifier: LGPL-2.1-or-later
# Test images, built once per build tree and shared by every test that boots them.
#
#   test_image NAME PROFILE [BUILD-ARGS...]   prints the output directory of the image
#                                            (disk.raw, manifest.json), building it first
#                                            unless it is there already
# All test images share one kiln cache, so the Debian root file system is made once.
# SOURCE_DATE_EPOCH is fixed: the images are reproducible.
TEST_EPOCH=1700000000

test_kiln_cache() { echo "$KILN_BUILDDIR/test-cache/kiln"; }

test_image() {
	local name=$1 profile=$2; shift 2
	local dir=$KILN_BUILDDIR/test-cache/images
	local out=$dir/$name
	mkdir -p "$dir"
	(
		flock -w 1200 9 || exit 1
		[[ -s $out/disk.raw ]] && exit 0
		SOURCE_DATE_EPOCH=$TEST_EPOCH timeout 1200 "$KILN_BUILDDIR/imagegen/kiln-imagegen" build \
			--cache "$(test_kiln_cache)" -o "$out" "$@" "$profile" >&2 || exit 1
	) 9>"$dir/.lock-$name" || return 1
	echo "$out"
}

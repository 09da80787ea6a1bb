# SPDX-License-Identifier: LGPL-2.1-or-later
# Test images, built once per build tree and shared by every test that boots them.
#
#   test_image NAME PROFILE [BUILD-ARGS...]   prints the output directory of the image
#                                            (disk.raw, manifest.json; disk.qcow2 with
#                                            --format raw,qcow2), building it first
#                                            unless it is there already and was made
#                                            from the same inputs
#   test_boot_image_require                  skip_all unless this machine can build and
#                                            boot the boot tiers' image (source qemu.sh)
#   test_boot_image                          the boot and fault tiers' shared image
#   install_list_matches LIST RAW DISK       DISK holds what the install list LIST says
#                                            the installer writes of RAW (disk.raw)
#   install_confined NAME                    two checks: VM NAME's installer printed the
#                                            kernel's view of dd under install-read and
#                                            install-write: no capability, no_new_privs,
#                                            one seccomp filter (needs qemu.sh)
# All test images share one kiln cache, so the Debian root file system is made once.
# SOURCE_DATE_EPOCH is fixed: the images are reproducible.
TEST_EPOCH=1700000000

test_kiln_cache() { echo "$KILN_BUILDDIR/test-cache/kiln"; }

# test_image_inputs PROFILE [BUILD-ARGS...]: a digest of what the image is made from: the
# arguments, the profile, every --extra-tree (names, modes, link targets, contents), and
# kiln-imagegen with the programs it installs from this build tree. A cached image made
# from other inputs (a changed fixture, a rebuilt supervisor) is stale.
test_image_inputs() {
	local profile=$1; shift
	{
		printf '%s\n' "$@"
		sha256sum <"$profile"
		local prev=
		for a in "$@"; do
			if [[ $prev == --extra-tree ]]; then
				(cd "$a" && find . -printf '%p %m %y %l\n' | LC_ALL=C sort &&
					find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum)
			fi
			prev=$a
		done
		sha256sum "$KILN_BUILDDIR"/imagegen/kiln-imagegen "$KILN_BUILDDIR"/supervisor/kiln-supervisor \
			"$KILN_BUILDDIR"/supervisor/kiln-firstboot "$KILN_BUILDDIR"/supervisor/kilnctl \
			"$KILN_BUILDDIR"/supervisor/kiln-store-check "$KILN_BUILDDIR"/supervisor/kiln-confine \
			"$KILN_BUILDDIR"/supervisor/kiln-confine.static
		(cd "$KILN_SRCDIR" && find units rootfs profiles -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum)
	} | sha256sum | cut -d' ' -f1
}

test_image() {
	local name=$1 profile=$2; shift 2
	local dir=$KILN_BUILDDIR/test-cache/images
	local out=$dir/$name
	local inputs; inputs=$(test_image_inputs "$profile" "$@") || return 1
	mkdir -p "$dir"
	(
		flock -w 1200 9 || exit 1
		[[ -s $out/disk.raw && $(cat "$out.inputs" 2>/dev/null) == "$inputs" ]] && exit 0
		rm -rf "$out" "$out.inputs"
		SOURCE_DATE_EPOCH=$TEST_EPOCH timeout 1200 "$KILN_BUILDDIR/imagegen/kiln-imagegen" build \
			--cache "$(test_kiln_cache)" -o "$out" "$@" "$profile" >&2 || exit 1
		echo "$inputs" >"$out.inputs"
	) 9>"$dir/.lock-$name" || return 1
	echo "$out"
}

test_boot_image_require() {
	local reason
	[[ $EUID -eq 0 ]] || skip_all "not root: kiln-imagegen build needs root"
	reason=$(qemu_check) || skip_all "$reason (tools/install-deps)"
	command -v python3 >/dev/null || skip_all "python3 is not installed (it reads manifest.json)"
	"$KILN_BUILDDIR/imagegen/kiln-imagegen" build --help >/dev/null 2>&1 ||
		skip_all "kiln-imagegen has no 'build' command"
}

# tests/boot/boot.yaml built --without-kubernetes with tests/boot/fixtures laid over it
# (the KILN-TEST report, the preflight sabotage, the supervisor drop-in): one build that
# the boot and fault tiers share; disk.qcow2 too, booted once by test-boot-disk.sh,
# kiln.iso, whose installer test-boot-iso.sh runs, pxe/, which test-boot-pxe.sh serves,
# and kiln.box (test-boot-box.sh).
test_boot_image() {
	test_image boot "$KILN_SRCDIR/tests/boot/boot.yaml" --without-kubernetes --format raw,qcow2,iso,pxe,box \
		--extra-tree "$KILN_SRCDIR/tests/boot/fixtures"
}

# Every range LIST writes equals RAW's, and every range it clears is zeros.
install_list_matches() {
	local list=$1 raw=$2 target=$3 kind off len sum file zsum bad=0
	while read -r kind off len sum file zsum; do
		case $kind in
		write) cmp -s -n "$len" -i "$off:$off" "$raw" "$target" || { diag "$target: $file differs from $raw"; bad=1; } ;;
		zero) cmp -s -n "$len" -i "$off:0" "$target" /dev/zero || { diag "$target: $len bytes at $off are not zero"; bad=1; } ;;
		esac
	done <"$list"
	return $bad
}

install_confined() {
	local name=$1 p line
	for p in install-read install-write; do
		line=$(qemu_grep "$name" "KILN-INSTALL-CONFINED $p " | head -n 1)
		is "KILN-INSTALL-CONFINED${line#*KILN-INSTALL-CONFINED}" \
			"KILN-INSTALL-CONFINED $p CapEff=0000000000000000 CapBnd=0000000000000000 CapAmb=0000000000000000 NoNewPrivs=1 Seccomp=2 Seccomp_filters=1" \
			"$name: dd under $p, from its own /proc/self/status: no capability, no_new_privs, one seccomp filter"
	done
}

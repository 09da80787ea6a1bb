# SPDX-License-Identifier: LGPL-2.1-or-later
# test_rootfs_tar SUITE PACKAGES...: print the path of a cached mmdebstrap tarball with
# those packages (minbase + systemd), building it once per build tree. Concurrent tests
# share one build through flock. Reproducible: SOURCE_DATE_EPOCH is fixed.
source "$KILN_SRCDIR/tests/lib/apt-mirror.sh"

test_rootfs_tar() {
	local suite=$1; shift
	local pkgs; pkgs=$(printf '%s\n' systemd systemd-sysv dbus "$@" | sort -u | paste -sd, -)
	local key; key=$(printf '%s %s' "$suite" "$pkgs" | sha256sum | cut -c1-16)
	local dir=$KILN_BUILDDIR/test-cache
	local tar=$dir/rootfs-$suite-$key.tar
	mkdir -p "$dir"
	(
		flock -w 600 9 || exit 1
		[[ -s $tar ]] && exit 0
		local mirror; mirror=$(host_apt_mirror) || { echo "no apt mirror configured on this host" >&2; exit 1; }
		# mmdebstrap picks the output format from the name: keep ".tar" at the end.
		local tmp=$dir/.partial-$key.tar
		rm -rf "$tmp"
		SOURCE_DATE_EPOCH=1700000000 timeout 600 mmdebstrap --quiet --variant=minbase \
			--include="$pkgs" "$suite" "$tmp" "$mirror" >&2 || { rm -rf "$tmp"; exit 1; }
		mv "$tmp" "$tar"
	) 9>"$dir/.lock" || return 1
	echo "$tar"
}

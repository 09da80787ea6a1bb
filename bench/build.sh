#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Benchmark: how long kiln-imagegen takes to bake an image, cold and after a small change,
# and against mkosi 14 building the same Debian content. One run measures all three, one
# after the other (never at the same time):
#   a. kiln cold: the benchmark profile (tests/boot/boot.yaml with node.hostname bench-a)
#      built with an empty, fresh --cache: wall time.
#   b. kiln rebuild: only the hostname changed (bench-b), same cache: wall time, and the
#      build's output must say "Root file system: cached". Goal: rebuild / cold <= 0.20.
#   c. mkosi 14 cold, own empty cache and workspace: Debian trixie from the same mirror
#      with kiln's package list (read from imagegen/step-plan.c), a GPT raw disk with one
#      ext4 root partition. Goal: kiln cold / mkosi cold <= 0.6.
#      mkosi 14 mounts the ESP to make a bootable image and this host's kernel has no vfat,
#      so the image is not bootable (Bootable=no: no ESP, no boot loader, no dracut). What
#      it does build is made to match kiln's root file system: the same packages, kiln's
#      initramfs-tools hooks, and an initrd made by update-initramfs in a post-install
#      script (mkosi runs apt with INITRD=No, which skips it). kiln does more on top (the
#      erofs root, var and ESP partitions, both boot loaders); mkosi fetches the -updates
#      and -security suites too. Both build without Kubernetes binaries (--without-kubernetes).
# Both sides download from the network: run it on a quiet host, and more than once.
#
#   sudo bench/build.sh              KILN_BUILDDIR (default ./build) has kiln-imagegen
# Environment: KILN_BUILDDIR, KILN_BENCH_MIRROR (default: the host's Debian mirror),
# KILN_BENCH_TMPDIR (default /var/tmp; everything made there is removed at the end),
# KILN_BENCH_QUIET_WAIT (seconds to wait before each build for other heavy processes to
# end, default 180).
set -uo pipefail
source "$(dirname "$0")/lib.sh"
bench_init build

EPOCH=1700000000
BUILD_TIMEOUT=1800
IMAGEGEN=$BENCH_BUILDDIR/imagegen/kiln-imagegen
MIRROR=$(bench_mirror)
W=$BENCH_WORK

# The packages kiln's plan gives a trixie image (imagegen/step-plan.c: node_packages, then
# suite_packages[DEBIAN_SUITE_TRIXIE]) and the profile's kernel.package; the benchmark
# profile adds no base.packages.
plan=$BENCH_SRCDIR/imagegen/step-plan.c
PACKAGES=$( { sed -n '/node_packages\[\] = {/,/};/p' "$plan"; grep 'DEBIAN_SUITE_TRIXIE\]' "$plan"; } |
	grep -o '"[^"]*"' | tr -d '"' | tr '\n' ' ')
PACKAGES+="linux-image-amd64"
[[ $PACKAGES == *systemd*containerd*libssl3t64*linux-image-amd64 ]] ||
	bench_die "cannot read the package list from $plan (got: $PACKAGES)"

kiln_build() {	# kiln_build PROFILE OUTDIR LOG
	SOURCE_DATE_EPOCH=$EPOCH bench_run "$BUILD_TIMEOUT" "$3" \
		"$IMAGEGEN" build --cache "$W/kiln-cache" -o "$2" --without-kubernetes "$1"
}

kiln_steps() {	# the build's own per-step times, from its output
	sed -n 's/^kiln-imagegen: \[\([0-9]*\/[0-9]*\)\] \(.*\): done in \(.*\)$/      \1 \2: \3/p' "$1"
}

echo "kiln build benchmark: cold, rebuild after a hostname change, mkosi 14 cold"
echo "  kiln-imagegen: $IMAGEGEN"
echo "  mirror: $MIRROR, suite trixie, SOURCE_DATE_EPOCH=$EPOCH"
echo "  packages (kiln's plan): $PACKAGES"

bench_profile "$W/bench-a.yaml" bench-a "$MIRROR"
bench_profile "$W/bench-b.yaml" bench-b "$MIRROR"
out=$("$IMAGEGEN" validate "$W/bench-a.yaml" 2>&1) || bench_die "kiln-imagegen rejects the benchmark profile: $out"

# a. Cold.
mkdir -p "$W/kiln-cache"
bench_wait_quiet
note_a=$(bench_host_note)
t0=$EPOCHREALTIME
kiln_build "$W/bench-a.yaml" "$W/out-a" "$W/kiln-a.log" ||
	{ tail -n 20 "$W/kiln-a.log"; bench_die "the cold kiln build failed"; }
kiln_cold=$(bench_secs "$t0")
echo
echo "a. kiln cold build (empty cache): $kiln_cold s"
echo "   before: $note_a; after: $(bench_host_note)"
kiln_steps "$W/kiln-a.log"

# b. Hostname changed, same cache.
bench_wait_quiet
note_b=$(bench_host_note)
t0=$EPOCHREALTIME
kiln_build "$W/bench-b.yaml" "$W/out-b" "$W/kiln-b.log" ||
	{ tail -n 20 "$W/kiln-b.log"; bench_die "the kiln rebuild failed"; }
kiln_rebuild=$(bench_secs "$t0")
cached=no
grep -q '^kiln-imagegen: Root file system: cached' "$W/kiln-b.log" && cached=yes
ratio=$(bench_ratio "$kiln_rebuild" "$kiln_cold")
echo "b. kiln rebuild, hostname bench-a -> bench-b: $kiln_rebuild s (root file system from the cache: $cached)"
echo "   before: $note_b; after: $(bench_host_note)"
kiln_steps "$W/kiln-b.log"
echo "   rebuild / cold = $ratio (goal <= 0.20: $(bench_goal "$ratio" 0.20))"
[[ $cached == yes ]] || echo "   the rebuild did not say \"Root file system: cached\": it rebuilt the root file system"
tree=$(ls -d "$W"/kiln-cache/rootfs/*.tree 2>/dev/null | head -n 1)
rm -rf "$W/out-a" "$W/out-b"

# c. mkosi 14, cold. Prints why and returns 1 if it cannot be measured here.
mkosi_cold=
mkosi_measure() {
	local need=() mkosi_version M=$W/mkosi start initrd
	command -v mkosi >/dev/null || need+=(mkosi)
	command -v debootstrap >/dev/null || need+=(debootstrap)
	command -v systemd-nspawn >/dev/null || need+=(systemd-container)
	if ((${#need[@]})); then
		echo "   installing ${need[*]} (apt-get)"
		timeout 600 apt-get install -y "${need[@]}" >"$W/apt.log" 2>&1 ||
			{ echo "c. mkosi: not measured: apt-get install ${need[*]} failed: $(tail -n 1 "$W/apt.log")"; return 1; }
	fi
	mkosi_version=$(mkosi --version 2>/dev/null | awk '{ print $2 }')
	[[ $mkosi_version == 14 || $mkosi_version == 14.* ]] ||
		{ echo "c. mkosi: not measured: this configuration is written for mkosi 14 (INI keys, NspawnKeepUnit), found ${mkosi_version:-none}"; return 1; }

	mkdir -p "$M/conf" "$M/cache" "$M/workspace" "$M/out" "$M/skeleton/etc"
	# kiln's initramfs hooks, which kiln puts in before the kernel's initrd is made.
	cp -a "$BENCH_SRCDIR/rootfs/etc/initramfs-tools" "$M/skeleton/etc/"
	cat >"$M/initrd.postinst" <<-'EOF'
	#!/bin/sh
	# mkosi 14 installs packages with INITRD=No: make the initrd as kiln's mmdebstrap run does.
	set -e
	[ "$1" = final ] || exit 0
	update-initramfs -c -k all
	EOF
	chmod 755 "$M/initrd.postinst"
	# NspawnKeepUnit: there is no system bus here, and without it nspawn asks systemd for a scope.
	cat >"$M/conf/mkosi.conf" <<-EOF
	[Distribution]
	Distribution=debian
	Release=trixie
	Mirror=$MIRROR

	[Output]
	Format=gpt_ext4
	Bootable=no
	Hostname=bench-a
	Output=$M/out/image.raw
	WorkspaceDirectory=$M/workspace

	[Content]
	Packages=${PACKAGES// /,}
	SkeletonTrees=$M/skeleton
	PostInstallationScript=$M/initrd.postinst
	Cache=$M/cache

	[Partitions]
	RootSize=1G

	[Host]
	NspawnKeepUnit=yes
	EOF
	echo "c. mkosi $mkosi_version, configuration ($M/conf/mkosi.conf; run as: mkosi -C DIR --force build):"
	sed 's/^/      /' "$M/conf/mkosi.conf"
	bench_wait_quiet
	local note_c t0
	note_c=$(bench_host_note)
	t0=$EPOCHREALTIME
	# Without TMPDIR: mkosi hands its environment to the maintainer scripts it runs in the
	# image, where our temporary directory does not exist (ca-certificates' mktemp fails).
	if ! bench_run "$BUILD_TIMEOUT" "$M/mkosi.log" env -u TMPDIR mkosi -C "$M/conf" --force build; then
		{ grep -E '^E: |rror|Errors were' "$M/mkosi.log" | grep -v '^Traceback' | head -n 8; echo ...
		  grep -v '^I: ' "$M/mkosi.log" | tail -n 4; } | sed 's/^/      /'
		echo "c. mkosi: not measured: the build failed (above: its errors and the end of its output)"
		return 1
	fi
	mkosi_cold=$(bench_secs "$t0")
	echo "c. mkosi cold build: $mkosi_cold s"
	echo "   before: $note_c; after: $(bench_host_note)"

	# What each side built, to see that like is compared with like.
	start=$(sfdisk -J "$M/out/image.raw" | python3 -c 'import json, sys; print(json.load(sys.stdin)["partitiontable"]["partitions"][0]["start"])')
	initrd=$(debugfs -R 'ls /boot' "$M/out/image.raw?offset=$((start * 512))" 2>/dev/null | grep -o 'initrd\.img-[^ ]*' | head -n 1)
	echo "   mkosi image: $(du -h --apparent-size "$M/out/image.raw" | cut -f1) raw, $(du -h "$M/out/image.raw" | cut -f1) allocated, /boot/${initrd:-(no initrd!)}"
	python3 -c 'import json, sys; print("\n".join(p["name"] for p in json.load(open(sys.argv[1]))["packages"]))' \
		"$M/out/image.raw.manifest" | sort -u >"$M/packages"
	if [[ -n $tree ]]; then
		dpkg-query --admindir="$tree/var/lib/dpkg" -W -f '${db:Status-Abbrev} ${Package}\n' | awk '$1 == "ii" { print $2 }' |
			sort -u >"$W/kiln-packages"
		echo "   installed packages: kiln $(wc -l <"$W/kiln-packages"), mkosi $(wc -l <"$M/packages")"
		echo "     only in kiln:  $(comm -23 "$W/kiln-packages" "$M/packages" | tr '\n' ' ')"
		echo "     only in mkosi: $(comm -13 "$W/kiln-packages" "$M/packages" | tr '\n' ' ')"
	fi
	rm -f "$M/out/image.raw"
}
echo
mkosi_measure

echo
echo "summary"
r1=$(bench_ratio "$kiln_rebuild" "$kiln_cold")
echo "  kiln cold build           $kiln_cold s"
echo "  kiln rebuild (hostname)   $kiln_rebuild s   rebuild / cold = $r1 (goal <= 0.20: $(bench_goal "$r1" 0.20)); root file system from the cache: $cached"
if [[ -n $mkosi_cold ]]; then
	r2=$(bench_ratio "$kiln_cold" "$mkosi_cold")
	echo "  mkosi 14 cold build       $mkosi_cold s   kiln cold / mkosi cold = $r2 (goal <= 0.6: $(bench_goal "$r2" 0.6))"
else
	echo "  mkosi 14 cold build       not measured (see c. above); kiln cold / mkosi cold not computed"
fi

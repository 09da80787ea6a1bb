#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Benchmark: the one-node cluster with the real Kubernetes release.
#   a. QEMU (TCG) start to the node's KILN-BOOTED line (the supervisor's ready: the API
#      answers, the node is Ready, every system workload is available) for the image with
#      the images seeded into containerd's store, against
#   b. the same bundle with containerd.importAtFirstBoot (the k3s way: the images imported
#      at the first boot); booted one after the other in one run: the ratio a / b
#   c. the supervisor's own CPU time in the cluster phase (everything not spent waiting on
#      kubeadm, the kubelet or the API server), as it logs it: goal under 1 s
#   d. tools/k8s-artifacts: the cached time (3 runs), the cold time with --cold (an empty Go
#      build cache and --rebuild: 15-30 min), and what each artifact adds to the image
#      (its size, and disk.raw's allocated size against the same profile without
#      Kubernetes)
# Usage: sudo bench/cluster.sh [--cold]
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
bench_init cluster imagegen/kiln-imagegen supervisor/kiln-supervisor
export KILN_SRCDIR=$BENCH_SRCDIR KILN_BUILDDIR=$BENCH_BUILDDIR
source "$KILN_SRCDIR/tests/lib/tap.sh"
source "$KILN_SRCDIR/tests/lib/registry.sh"
source "$KILN_SRCDIR/tests/lib/qemu.sh"
source "$KILN_SRCDIR/tests/lib/bundle-fixture.sh"
source "$KILN_SRCDIR/tests/lib/image.sh"
cold=0
[[ ${1:-} == --cold ]] && cold=1
imagegen=$BENCH_BUILDDIR/imagegen/kiln-imagegen
work=$BENCH_WORK
bench_cleanup_extra() { qemu_cleanup 2>/dev/null; registry_cleanup 2>/dev/null; }

echo "d. tools/k8s-artifacts"
release=$work/release
if ((cold)); then
	t0=$EPOCHREALTIME
	GOCACHE=$work/gocache bench_run 7200 "$work/cold.log" "$KILN_SRCDIR/tools/k8s-artifacts" --rebuild "$release" ||
		bench_die "tools/k8s-artifacts --rebuild failed: $(tail -n 1 "$work/cold.log")"
	echo "  cold (empty Go build cache, modules already downloaded): $(bench_secs "$t0") s"
else
	echo "  cold: not measured in this run (--cold: 15-30 min on 2 cores)"
fi
times=()
for i in 1 2 3; do
	rm -rf "$release"
	t0=$EPOCHREALTIME
	"$KILN_SRCDIR/tools/k8s-artifacts" "$release" >"$work/cached.log" 2>&1 ||
		bench_die "tools/k8s-artifacts failed: $(tail -n 1 "$work/cached.log")"
	times+=("$(bench_secs "$t0")")
done
echo "  cached: $(bench_median "${times[@]}") s (median of ${times[*]})"
echo "  sizes (MB):"
(cd "$release" && for f in kubeadm kubelet kubectl crictl images/*.tar; do
	awk -v f="$f" -v s="$(stat -c %s "$f")" 'BEGIN { printf "    %-36s %7.1f\n", f, s / 1e6 }'
done)
export KILN_K8S_ARTIFACTS=$release

echo
echo "building the images (seeded, importAtFirstBoot, without Kubernetes)"
bundle_fixture_setup "$work/bundle" >/dev/null || bench_die "cannot set up the registry and the release's images"
export KILN_REGISTRY_AUTH=$BUNDLE_AUTH
profile() {	# profile NAME IMPORT: the single-node test profile with the real release
	cat <<-EOF
	schema: 1
	name: $1
	base: {suite: trixie, architecture: amd64, packages: []}
	kernel:
	  package: linux-image-amd64
	  cmdline: [console=tty0, "console=ttyS0,115200"]
	kubernetes:
	  version: $BUNDLE_K8S_VERSION
	  imageRepository: $BUNDLE_REPO
	  offline: true
	  timeouts: {controlPlaneComponentHealthCheck: 40m, kubeletHealthCheck: 40m, kubernetesAPICall: 15m, etcdAPICall: 15m}
	  artifacts:
	$BUNDLE_ARTIFACTS
	containerd:
	  sandboxImage: $BUNDLE_SANDBOX
	  importAtFirstBoot: $2
	node:
	  role: single
	  network: {mode: static, addresses: [10.0.2.15/24], gateway: 10.0.2.2, dns: [10.0.2.3]}
	outputs:
	  formats: [raw]
	  disk: {size: 10GiB, espSize: 128MiB, rootSize: 1536MiB, varSize: 6GiB, rootFilesystem: erofs}
	EOF
}
mkdir -p "$work/p"
profile kiln-bench-cluster false >"$work/p/seeded.yaml"
profile kiln-bench-cluster true >"$work/p/import.yaml"
cache=$(test_kiln_cache)
for verb in lock fetch; do
	SOURCE_DATE_EPOCH=$TEST_EPOCH bench_run 1800 "$work/$verb.log" "$imagegen" "$verb" --cache "$cache" "$work/p/seeded.yaml" ||
		bench_die "kiln-imagegen $verb failed: $(tail -n 2 "$work/$verb.log")"
done
registry_cleanup
for kind in seeded import; do
	SOURCE_DATE_EPOCH=$TEST_EPOCH bench_run 1800 "$work/build-$kind.log" "$imagegen" build --offline --cache "$cache" \
		--lock "$work/p/kiln.lock" --extra-tree "$KILN_SRCDIR/tests/real/fixtures" -o "$work/$kind" "$work/p/$kind.yaml" ||
		bench_die "the $kind build failed: $(tail -n 2 "$work/build-$kind.log")"
done
SOURCE_DATE_EPOCH=$TEST_EPOCH bench_run 1800 "$work/build-none.log" "$imagegen" build --without-kubernetes --cache "$cache" \
	-o "$work/none" "$work/p/seeded.yaml" || bench_die "the build without Kubernetes failed"
alloc() { echo $(( $(stat -c %b "$1") * 512 / 1000000 )); }
echo "  disk.raw allocated: seeded $(alloc "$work/seeded/disk.raw") MB, importAtFirstBoot $(alloc "$work/import/disk.raw") MB," \
	"without Kubernetes $(alloc "$work/none/disk.raw") MB"

echo
echo "a, b. QEMU start to KILN-BOOTED, one after the other (TCG, 4 GiB, 2 vCPUs)"
# Not side by side: two TCG control planes on two cores starve each other (etcd fails its
# checks, the system workloads never settle), which would measure the host, not kiln.
export QEMU_MEMORY=4096 QEMU_LIFETIME=3300
declare -A at
mac=1
for kind in seeded import; do
	bench_wait_quiet
	qemu_start "$kind" "$work/$kind/disk.raw" --firmware=uefi --mac=52:54:00:be:00:0$((mac++)) >/dev/null
	at[$kind]=
	qemu_wait "$kind" 'KILN-BOOTED' 1800 >/dev/null && at[$kind]=$QEMU_ELAPSED
	echo "  $kind: ${at[$kind]:-did not get there} s   $(qemu_grep "$kind" 'KILN-NODE' | tail -n 1 | grep -o 'KILN-NODE.*')"
	qemu_wait "$kind" 'KILN-REAL-END' 600 >/dev/null
	echo "  c. $kind: $(qemu_grep "$kind" 'KILN-REAL-OWN' | tail -n 1 | grep -o 'Cluster: ready.*')"
	qemu_stop "$kind" 10
done
r=n/a
[[ -n ${at[seeded]} && -n ${at[import]} ]] && r=$(bench_ratio "${at[seeded]}" "${at[import]}")
echo "  seeded / importAtFirstBoot = $r"
echo "  $(bench_host_note)"

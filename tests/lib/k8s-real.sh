# SPDX-License-Identifier: LGPL-2.1-or-later
# The real Kubernetes release for the tests (bash; source after tap.sh): built from its Go
# modules by tools/k8s-artifacts once per machine (15-30 min the first time, seconds
# after: the result is cached by the pinned versions), then fed to kiln exactly as a site
# with a mirror would (tests/lib/bundle-fixture.sh with KILN_K8S_ARTIFACTS set): the
# binaries over a local HTTP server, the images pushed to a local registry.
#
#   k8s_real_require      sets KILN_K8S_ARTIFACTS (the release's directory) and
#                         K8S_REAL_VERSION; skip_all with the tool's own reason when the
#                         release cannot be built here (no Go, no module proxy, ...)
#   k8s_real_version COMPONENT   a version from the release's "versions" file
#
# KILN_K8S_REAL_DIR overrides where the release is delivered (default: next to the build
# tree's test cache, hard-linked from the tool's cache).

k8s_real_version() {
	awk -v c="$1" '$1 == c { print $2 }' "$KILN_K8S_ARTIFACTS/versions"
}

k8s_real_require() {
	local dir=${KILN_K8S_REAL_DIR:-$KILN_BUILDDIR/test-cache/k8s-release} out status
	out=$("$KILN_SRCDIR/tools/k8s-artifacts" "$dir" 2>&1)
	status=$?
	if [[ $status -eq 77 ]]; then
		skip_all "real Kubernetes release unavailable: $(tail -n 1 <<<"$out")"
	elif [[ $status -ne 0 ]]; then
		sed 's/^/# /' <<<"$out" | tail -n 20
		bail "tools/k8s-artifacts failed (exit $status)"
	fi
	export KILN_K8S_ARTIFACTS=$dir
	K8S_REAL_VERSION=$(k8s_real_version kubernetes)
	[[ -n $K8S_REAL_VERSION && -x $dir/kubeadm && -s $dir/images.list ]] ||
		bail "tools/k8s-artifacts delivered an incomplete release to $dir"
}

# SPDX-License-Identifier: LGPL-2.1-or-later
# A complete offline bundle for tests (bash; source after tap.sh and registry.sh): a real
# registry on 127.0.0.1 with token authentication holding every image a profile needs,
# and an HTTP server with the Kubernetes binaries, so that "kiln-imagegen lock", "fetch"
# and "build --offline" run end to end here.
#
# Two kinds of Kubernetes:
#   - by default the test double and stand-ins: kubeadm is tests/doubles/kubeadm (it
#     answers "config images list" as kubeadm does), kubelet and kubectl are stand-in
#     scripts, crictl a stand-in inside a release-style .tar.gz, and the control-plane
#     images are tiny images named as kubeadm lists them under the profile's
#     imageRepository;
#   - with KILN_K8S_ARTIFACTS=DIR holding a release made by tools/k8s-artifacts
#     (tests/lib/k8s-real.sh), the real kubeadm, kubelet, kubectl and crictl are served and
#     the real control-plane images are pushed under the names the real kubeadm lists.
#
#   bundle_fixture_setup WORKDIR
#       starts the servers, builds and pushes the images, writes WORKDIR/profile/test.yaml
#       (+ its addon manifest) and WORKDIR/auth.json; sets BUNDLE_PROFILE, BUNDLE_AUTH,
#       BUNDLE_APP (the image a container is run from), BUNDLE_IMAGES (every reference the
#       image list must have, sorted), KUBEADM (the kubeadm served), BUNDLE_K8S_VERSION,
#       BUNDLE_REPO (the imageRepository), BUNDLE_SANDBOX (the pause image) and
#       BUNDLE_ARTIFACTS (the profile's kubernetes.artifacts mapping, indented 4 spaces)
# Stop everything with registry_cleanup.

BUNDLE_K8S_VERSION=v1.31.4

# _bundle_push NAME:TAG [oci-archive.py options...]
_bundle_push() {
	local ref=$1; shift
	local tar=$_bundle_dir/images/${ref//[\/:]/_}.tar
	python3 "$KILN_SRCDIR/tests/lib/oci-archive.py" "$@" "$REGISTRY_ADDR/$ref" "$tar" || return 1
	if [[ " $* " == *" --multi-arch "* ]]; then
		registry_push "$tar" "$ref" --all >/dev/null
	else
		registry_push "$tar" "$ref" >/dev/null
	fi
}

bundle_fixture_setup() {
	_bundle_dir=$1
	mkdir -p "$_bundle_dir"/{images,files,profile,reg} || return 1
	registry_start "$_bundle_dir/reg" --token kiln:offline-by-construction || return 1
	BUNDLE_AUTH=$_bundle_dir/auth.json
	printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$REGISTRY_ADDR" "$(printf kiln:offline-by-construction | base64 -w0)" \
		>"$BUNDLE_AUTH"

	# The binaries.
	local f=$_bundle_dir/files
	if [[ -n ${KILN_K8S_ARTIFACTS:-} ]]; then
		cp "$KILN_K8S_ARTIFACTS"/{kubeadm,kubelet,kubectl} "$f/" || return 1
		tar -C "$KILN_K8S_ARTIFACTS" --owner=0 --group=0 --mtime=@0 -czf "$f/crictl.tar.gz" crictl || return 1
		# A kubeadm deploys its own minor and the one before: the profile names its own.
		BUNDLE_K8S_VERSION=$("$f/kubeadm" version -o short) || return 1
	else
		cp "$KILN_SRCDIR/tests/doubles/kubeadm" "$f/kubeadm"
		# The double plays one release: the 1.31 kubeadm a v1.31 image ships.
		export KILN_KUBEADM_DOUBLE_VERSION=v1.31.0
		local b
		for b in kubelet kubectl crictl; do
			printf '#!/bin/sh\n# kiln test stand-in for %s\necho "%s stand-in"\nexit 1\n' "$b" "$b" >"$f/$b"
			chmod 755 "$f/$b"
		done
		tar -C "$f" --owner=0 --group=0 --mtime=@0 -czf "$f/crictl.tar.gz" crictl && rm "$f/crictl"
	fi
	KUBEADM=$f/kubeadm
	http_files_start "$f" || return 1

	# The control-plane images, named as the served kubeadm lists them.
	local repo=$REGISTRY_ADDR/k8s cp
	cp=$("$KUBEADM" config images list --kubernetes-version "$BUNDLE_K8S_VERSION" --image-repository "$repo") || return 1
	BUNDLE_IMAGES=$cp
	BUNDLE_REPO=$repo
	BUNDLE_SANDBOX=$(grep -m1 '/pause:' <<<"$cp")
	local ref archive
	for ref in $cp; do
		if [[ -s ${KILN_K8S_ARTIFACTS:-/nonexistent}/images.list ]]; then
			# The release's archive of that image: the same last path component and tag.
			archive=$(awk -v want="/${ref##*/}" 'substr($1, length($1) - length(want) + 1) == want { print $2 }' \
				"$KILN_K8S_ARTIFACTS/images.list")
			[[ -n $archive ]] || { echo "bundle-fixture: no archive of $ref in the release" >&2; return 1; }
			registry_push "$KILN_K8S_ARTIFACTS/images/$archive" "${ref#"$REGISTRY_ADDR/"}" >/dev/null || return 1
		else
			_bundle_push "${ref#"$REGISTRY_ADDR/"}" || return 1
		fi
	done
	# The addon's images: one from its manifest (a multi-arch index whose second layer
	# deletes a file and makes a directory opaque), one from its images list.
	_bundle_push kiln-test/app:1 --multi-arch --busybox --whiteout-layer || return 1
	_bundle_push kiln-test/helper:1 || return 1
	_bundle_push kiln-test/extra:1 || return 1
	BUNDLE_APP=$REGISTRY_ADDR/kiln-test/app:1
	BUNDLE_IMAGES=$(printf '%s\n' $cp "$BUNDLE_APP" "$REGISTRY_ADDR/kiln-test/helper:1" \
		"$REGISTRY_ADDR/kiln-test/extra:1" | LC_ALL=C sort -u)

	local sha_kubeadm sha_kubelet sha_kubectl sha_crictl
	sha_kubeadm=$(sha256sum <"$f/kubeadm" | cut -d' ' -f1)
	sha_kubelet=$(sha256sum <"$f/kubelet" | cut -d' ' -f1)
	sha_kubectl=$(sha256sum <"$f/kubectl" | cut -d' ' -f1)
	sha_crictl=$(sha256sum <"$f/crictl.tar.gz" | cut -d' ' -f1)
	BUNDLE_ARTIFACTS=$(cat <<-EOF
	    kubeadm: {url: "$HTTP_FILES_URL/kubeadm", sha256: "$sha_kubeadm"}
	    kubelet: {url: "$HTTP_FILES_URL/kubelet", sha256: "$sha_kubelet"}
	    kubectl: {url: "$HTTP_FILES_URL/kubectl", sha256: "$sha_kubectl"}
	    crictl: {url: "$HTTP_FILES_URL/crictl.tar.gz", sha256: "$sha_crictl"}
	EOF
	)
	cat >"$_bundle_dir/profile/app.yaml" <<-EOF
	apiVersion: apps/v1
	kind: Deployment
	metadata: {name: app, namespace: kiln-test}
	spec:
	  template:
	    spec:
	      initContainers:
	        - name: init
	          image: $REGISTRY_ADDR/kiln-test/helper:1
	      containers:
	        - name: app
	          image: $BUNDLE_APP
	EOF
	BUNDLE_PROFILE=$_bundle_dir/profile/test.yaml
	cat >"$BUNDLE_PROFILE" <<-EOF
	# A test profile (tests only): the boot test image with Kubernetes and a bundle.
	schema: 1
	name: kiln-store-test
	base:
	  suite: trixie
	  architecture: amd64
	  packages: []
	kernel:
	  package: linux-image-amd64
	  cmdline:
	    - console=tty0
	    - console=ttyS0,115200
	kubernetes:
	  version: $BUNDLE_K8S_VERSION
	  imageRepository: $repo
	  artifacts:
	$BUNDLE_ARTIFACTS
	containerd:
	  sandboxImage: $BUNDLE_SANDBOX
	addons:
	  - name: kiln-test-app
	    version: "1"
	    namespace: kiln-test
	    manifests: [app.yaml]
	    images: [$REGISTRY_ADDR/kiln-test/extra:1]
	node:
	  role: single
	  network:
	    mode: dhcp
	outputs:
	  formats: [raw]
	  disk:
	    size: 3GiB
	    espSize: 128MiB
	    rootSize: 1GiB
	    varSize: 256MiB
	    rootFilesystem: erofs
	EOF
}

#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# kiln-imagegen lock, fetch and build --offline against a real registry (Debian's
# docker-registry with token authentication) and HTTP server on 127.0.0.1:
#   lock pins every binary, every image of the computed list and each tree's Debian
#   packages, twice the same; fetch fills the cache; a package pinned to a version the
#   mirror lacks is refused by fetch and build --offline, naming it; the image holds
#   exactly the pinned packages; a pinned mmdebstrap run into an empty cache makes the
#   same tree as an unpinned one; a lock file that misses images fails the build naming each;
#   build --offline, with the registry stopped, seeds containerd's store, twice to the
#   same bytes; the seeded databases are valid bbolt files with times clamped; the node's
#   kubeadm configuration (accepted by the shipped kubeadm's config validate), Corefile,
#   pod network and kubelet unit are baked, the configuration as "render" prints it, and
#   the kubelet is not enabled; the addon's manifest is baked under /usr/lib/kiln/addons
#   and listed in image.json.
source "$KILN_SRCDIR/tests/lib/tap.sh"
source "$KILN_SRCDIR/tests/lib/image.sh"
source "$KILN_SRCDIR/tests/lib/registry.sh"
source "$KILN_SRCDIR/tests/lib/bundle-fixture.sh"

imagegen=$KILN_BUILDDIR/imagegen/kiln-imagegen
bolt_driver=$KILN_BUILDDIR/tests/integration/bolt-driver

[[ $EUID -eq 0 ]] || skip_all "not root: kiln-imagegen build needs root"
registry_require
command -v debugfs >/dev/null || skip_all "debugfs is not installed (e2fsprogs)"

work=$(mktemp -d /var/tmp/kiln-bundle-test.XXXXXX)
cleanup() {
	registry_cleanup
	[[ -n ${KILN_TEST_KEEP:-} ]] || rm -rf "$work"
}
trap cleanup EXIT

bundle_fixture_setup "$work" || bail "cannot set up the registry and the test images"
export KILN_REGISTRY_AUTH=$BUNDLE_AUTH
cache=$(test_kiln_cache)
lock=$work/profile/kiln.lock
n_images=$(wc -w <<<"$BUNDLE_IMAGES")
export SOURCE_DATE_EPOCH=$TEST_EPOCH

# ---- lock ----
"$imagegen" lock --cache "$cache" "$BUNDLE_PROFILE" >"$work/lock.out" 2>&1
is $? 0 "lock exits 0" || diag_tail "$work/lock.out"
is "$(grep -c '^file ' "$lock")" 4 "the lock pins the 4 Kubernetes binaries"
is "$(grep '^image ' "$lock" | cut -d' ' -f2 | LC_ALL=C sort | paste -s -d' ')" "$(echo $BUNDLE_IMAGES)" \
	"the lock pins exactly the computed image list ($n_images: kubeadm's 7, the manifest's 2, the addon's 1)"
check "the lock names the platform" grep -qx "platform linux/amd64" "$lock"
# Each image's digest is what the registry serves for the tag.
wrong=
for ref in $BUNDLE_IMAGES; do
	want=$(skopeo inspect --raw --tls-verify=false --creds "$REGISTRY_CREDS" "docker://$ref" | sha256sum | cut -d' ' -f1)
	got=$(awk -v r="$ref" '$1 == "image" && $2 == r { print $3 }' "$lock")
	[[ $got == "sha256:$want" ]] || wrong+=" $ref($got!=$want)"
done
is "$wrong" "" "every image is pinned to the digest the registry serves for its tag"
app_line=$(awk -v r="$BUNDLE_APP" '$1 == "image" && $2 == r' "$lock")
[[ $app_line == *application/vnd.oci.image.index.v1+json* && $(cut -d' ' -f6 <<<"$app_line") != $(cut -d' ' -f3 <<<"$app_line") ]]
ok $? "the multi-arch image is locked as an index, with its linux/amd64 manifest beside it"
kubeadm_line=$(grep '^file kubeadm ' "$lock")
is "${kubeadm_line##* }" "sha256:$(sha256sum <"$KUBEADM" | cut -d' ' -f1)" "kubeadm is pinned to the profile's digest"
cp "$lock" "$work/lock.first"
"$imagegen" lock --cache "$cache" "$BUNDLE_PROFILE" >/dev/null 2>&1
cmp -s "$lock" "$work/lock.first"
ok $? "locking again gives the same file"

# Each tree's Debian packages, as a simulated mmdebstrap run resolves them.
pins() { awk -v s="$1" '$1 == "package" && $2 == s { print $3, $4 }' "$lock"; }
n_node=$(pins node | wc -l) n_box=$(pins box | wc -l) n_tools=$(pins tools | wc -l)
[[ $n_node -ge 100 && $n_box -gt $n_node && $n_tools -ge 50 ]]
ok $? "the lock pins each tree's Debian packages (node $n_node, box $n_box, tools $n_tools)"
pins node | grep -q '^containerd ' && pins node | grep -q '^linux-image-amd64 ' &&
	! pins node | grep -q '^openssh-server ' && pins box | grep -q '^openssh-server ' && pins tools | grep -q '^xorriso '
ok $? "the node's pins have containerd and the kernel, the box's openssh-server as well, the tools' xorriso"

# ---- fetch ----
"$imagegen" fetch --cache "$cache" "$BUNDLE_PROFILE" >"$work/fetch.out" 2>&1
is $? 0 "fetch exits 0" || diag_tail "$work/fetch.out"
missing=
while read -r kind name a b c d; do
	case $kind in
	file) [[ -s $cache/blobs/sha256/${b#sha256:} ]] || missing+=" $name" ;;
	image) [[ -s $cache/blobs/sha256/${a#sha256:} && -s $cache/blobs/sha256/${d#sha256:} ]] || missing+=" $name" ;;
	esac
done <"$lock"
is "$missing" "" "every pinned file, index and platform manifest is in the content-addressed cache"

# ---- a lock the mirror cannot satisfy ----
# busybox pinned to a version Debian never had: fetch simulates first and refuses before
# it downloads, naming the package; the cached tree (another version) is kept.
sed 's/^package node busybox .*/package node busybox 1:0.1-1/' "$lock" >"$work/bad-pin.lock"
busybox_now=$(pins node | awk '$1 == "busybox" { print $2 }')
"$imagegen" fetch --cache "$cache" --lock "$work/bad-pin.lock" "$BUNDLE_PROFILE" >"$work/bad-pin.out" 2>&1
is $? 1 "fetch with busybox pinned to a version the mirror lacks fails"
grep -qF "The mirror cannot give the node tree what $work/bad-pin.lock pins" "$work/bad-pin.out" &&
	grep -qF "busybox $busybox_now (kiln.lock pins 1:0.1-1)" "$work/bad-pin.out"
ok $? "it names busybox, the pinned version and the mirror's" || diag_tail "$work/bad-pin.out"
! grep -q "mmdebstrap (root file system)" "$work/bad-pin.out" && tree=$(sed -n 's/.*The cached root file system (\([^)]*\)) holds other Debian packages.*/\1/p' "$work/bad-pin.out") &&
	[[ -n $tree && -d $tree ]]
ok $? "the cached tree that holds other versions is named and kept (${tree##*/})" || diag_tail "$work/bad-pin.out"
"$imagegen" build --offline --cache "$cache" --lock "$work/bad-pin.lock" -o "$work/out-bad-pin" "$BUNDLE_PROFILE" \
	>"$work/bad-pin-build.out" 2>&1
is $? 1 "build --offline with that lock fails"
grep -qF "holds other Debian packages than $work/bad-pin.lock pins" "$work/bad-pin-build.out" &&
	grep -qF "busybox $busybox_now (kiln.lock pins 1:0.1-1)" "$work/bad-pin-build.out" &&
	[[ ! -e $work/out-bad-pin ]]
ok $? "naming busybox; nothing was written" || diag_tail "$work/bad-pin-build.out"

# ---- a pinned mmdebstrap run, for real ----
# Into a cache of its own, so that the trees are made, not found: apt takes the pinned
# versions, each made tree is checked against the lock, and the pins leave no trace (the
# node's tree lists the same files, modes and sizes as the shared cache's).
fresh=$work/fresh-cache
start=$SECONDS
"$imagegen" fetch --cache "$fresh" "$BUNDLE_PROFILE" >"$work/fresh.out" 2>&1
is $? 0 "fetch into an empty cache makes the trees at the pinned versions ($((SECONDS - start)) s)" ||
	diag_tail "$work/fresh.out"
made=("$fresh"/rootfs/*.tree)
listing() { (cd "$1" && find . -printf '%p %m %s %l\n' | LC_ALL=C sort); }
[[ -d ${made[0]} && -d $tree ]] && cmp -s <(listing "${made[0]}") <(listing "$tree") &&
	[[ ! -e ${made[0]}/etc/apt/apt.conf.d/99mmdebstrap ]]
ok $? "the pinned tree lists what the unpinned one does: no preferences or apt options left in it"
rm -rf "$fresh"

# ---- the build refuses an incomplete bundle ----
registry_stop
http_files_stop
grep -v "kiln-test/helper:1 \|/k8s/etcd:" "$lock" >"$work/short.lock"
"$imagegen" build --offline --cache "$cache" --lock "$work/short.lock" -o "$work/out-short" "$BUNDLE_PROFILE" \
	>"$work/short.out" 2>&1
is $? 1 "build with a lock file missing two images fails"
grep -q "$REGISTRY_ADDR/kiln-test/helper:1: referenced but not in the lock file" "$work/short.out" &&
	grep -q "$REGISTRY_ADDR/k8s/etcd:[^ ]*: referenced but not in the lock file" "$work/short.out"
ok $? "the error lists both missing images (the manifest's init container and kubeadm's etcd)" || diag_tail "$work/short.out"
[[ ! -e $work/out-short ]]
ok $? "nothing was written"

# ---- build --offline, twice ----
for n in 1 2; do
	start=$SECONDS
	"$imagegen" build --offline --cache "$cache" -o "$work/out$n" "$BUNDLE_PROFILE" >"$work/build$n.out" 2>&1
	is $? 0 "offline build $n with the registry and the HTTP server down exits 0 ($((SECONDS - start)) s)" || diag_tail "$work/build$n.out"
done
cmp "$work/out1/disk.raw" "$work/out2/disk.raw" >"$work/cmp.out" 2>&1
ok $? "two offline builds give bit-identical disks ($(sha256sum <"$work/out1/disk.raw" | cut -c1-16)...)" ||
	diag_tail "$work/cmp.out"
cmp -s "$work/out1/manifest.json" "$work/out2/manifest.json"
ok $? "and identical manifests"
json() { python3 -c "import json, sys; d = json.load(open(sys.argv[1])); print($2)" "$1"; }
is "$(json "$work/out1/manifest.json" '"\n".join(k + " " + v["version"] for k, v in sorted(d["packages"].items()))')" \
	"$(pins node | LC_ALL=C sort)" "the image holds exactly the Debian packages the lock pins for the node"

# The binaries come from the cache by the lock's digests; crictl out of its tarball.
is "$(json "$work/out1/manifest.json" 'd["kubernetes"]["artifacts"]["kubeadm"]["sha256"]')" \
	"$(sha256sum <"$KUBEADM" | cut -d' ' -f1)" "the image's kubeadm is the one the lock pins"
is "$(json "$work/out1/manifest.json" 'd["kubernetes"]["artifacts"]["crictl"]["sha256"]')" \
	"$(tar -xzOf "$(dirname "$KUBEADM")/crictl.tar.gz" crictl | sha256sum | cut -d' ' -f1)" \
	"crictl was taken out of its release tarball"

# What kubeadm needs on the node, baked and listed (the kubeadm served is the double,
# playing the release the profile names, or the real one with KILN_K8S_ARTIFACTS).
grep -q "Kubeadm configuration: 1 machine, each accepted by kubeadm config validate; a bridge pod network." \
	"$work/build1.out"
ok $? "the build had the shipped kubeadm validate the configuration" || diag_tail "$work/build1.out"
baked=$(python3 -c '
import json, sys
files = json.load(open(sys.argv[1]))["files"]
for path in sys.argv[2:]:
    print(path, files[path]["mode"] if path in files else "missing")' "$work/out1/manifest.json" \
	/usr/lib/kiln/kubeadm/node.yaml /usr/lib/kiln/kubeadm/Corefile /etc/cni/net.d/10-kiln-bridge.conflist \
	/usr/lib/systemd/system/kubelet.service /usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf /etc/crictl.yaml \
	/usr/lib/kiln/kubeadm/admission.yaml /usr/lib/kiln/seccomp/network-service.json)
is "$baked" "/usr/lib/kiln/kubeadm/node.yaml 0644
/usr/lib/kiln/kubeadm/Corefile 0644
/etc/cni/net.d/10-kiln-bridge.conflist 0644
/usr/lib/systemd/system/kubelet.service 0644
/usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf 0644
/etc/crictl.yaml 0644
/usr/lib/kiln/kubeadm/admission.yaml 0644
/usr/lib/kiln/seccomp/network-service.json 0644" \
	"manifest.json lists the node's kubeadm configuration, Corefile, pod network, kubelet unit, crictl's configuration, the API server's admission configuration and the pods' seccomp profiles"
"$imagegen" render --cache "$cache" "$BUNDLE_PROFILE" kubeadm >"$work/render.yaml" 2>"$work/render.err"
is "$? $(json "$work/out1/manifest.json" 'd["files"]["/usr/lib/kiln/kubeadm/node.yaml"]["sha256"]')" \
	"0 $(sha256sum <"$work/render.yaml" | cut -d' ' -f1)" "the baked configuration is what \"render\" prints" ||
	diag_tail "$work/render.err"
grep -qx "  imagePullPolicy: Never" "$work/render.yaml" && grep -qx "imageRepository: $REGISTRY_ADDR/k8s" "$work/render.yaml" &&
	grep -qx "kubernetesVersion: $BUNDLE_K8S_VERSION" "$work/render.yaml"
ok $? "it names the profile's version and registry, and never pulls"
root_start=$(python3 -c '
import json, sys
for p in json.load(open(sys.argv[1]))["partitions"]:
    if p["name"] == "root-a": print(p["start"], p["size"])' "$work/out1/manifest.json")
read -r rstart rsize <<<"$root_start"
dd if="$work/out1/disk.raw" of="$work/root.img" bs=1M iflag=skip_bytes,count_bytes skip="$rstart" count="$rsize" conv=sparse \
	status=none
wants=$(dump.erofs --ls --path=/etc/systemd/system/multi-user.target.wants "$work/root.img" 2>&1)
[[ $wants == *kiln-supervisor.service* && $wants != *kubelet* ]]
ok $? "kiln-supervisor is enabled, the kubelet is not (the supervisor starts it)" || diag "$wants"
rm -f "$work/root.img"

manifest_images=$(python3 -c '
import json, sys
m = json.load(open(sys.argv[1]))
for name, v in sorted(m["images"].items()):
    print(v["reference"], v["digest"])' "$work/out1/manifest.json")
lock_images=$(awk '$1 == "image" { print $2, $3 }' "$lock" | LC_ALL=C sort)
[[ -n $lock_images ]] || lock_images="(the lock has no images)"
is "$manifest_images" "$lock_images" "manifest.json lists every seeded image with the digest the lock pins"

# The addon's manifest, baked: recorded in manifest.json with the digest of the profile's
# file, and in the root file system (read with fsck.erofs --extract, no mounts) with
# image.json listing the addon.
baked=/usr/lib/kiln/addons/01-kiln-test-app/01-app.yaml
is "$(json "$work/out1/manifest.json" "d['files']['$baked']['sha256']")" \
	"$(sha256sum <"$work/profile/app.yaml" | cut -d' ' -f1)" "manifest.json records $baked with the manifest's digest"
read -r rstart rsize < <(python3 -c '
import json, sys
for p in json.load(open(sys.argv[1]))["partitions"]:
    if p["name"] == "root-a": print(p["start"], p["size"])' "$work/out1/manifest.json")
dd if="$work/out1/disk.raw" of="$work/root.img" bs=1M iflag=skip_bytes,count_bytes skip="$rstart" count="$rsize" \
	status=none
if fsck.erofs --extract="$work/root-x" "$work/root.img" >"$work/fsck.out" 2>&1; then
	cmp -s "$work/root-x$baked" "$work/profile/app.yaml"
	ok $? "the root file system has the manifest's bytes at $baked"
	is "$(json "$work/root-x/usr/lib/kiln/image.json" 'json.dumps(d["addons"], sort_keys=True)')" \
		'[{"dependsOn": [], "directory": "/usr/lib/kiln/addons/01-kiln-test-app", "manifests": ["'"$baked"'"], "name": "kiln-test-app", "namespace": "kiln-test", "podSecurity": {"level": "restricted", "reason": null}, "version": "1"}]' \
		"image.json lists the addon: name, version, namespace, dependsOn, its directory and manifests"
else
	skip 2 "this host's fsck.erofs cannot read the image ($(tail -n1 "$work/fsck.out"))"
fi
rm -rf "$work/root-x" "$work/root.img"

# The var partition, read with debugfs (no mounts): the seeded databases are there, are
# valid bbolt files and carry no time later than the epoch.
var_start=$(python3 -c '
import json, sys
for p in json.load(open(sys.argv[1]))["partitions"]:
    if p["name"] == "var": print(p["start"], p["size"])' "$work/out1/manifest.json")
read -r vstart vsize <<<"$var_start"
dd if="$work/out1/disk.raw" of="$work/var.img" bs=1M iflag=skip_bytes,count_bytes skip="$vstart" count="$vsize" \
	status=none
for db in io.containerd.metadata.v1.bolt/meta.db io.containerd.snapshotter.v1.overlayfs/metadata.db; do
	rm -f "$work/db"
	debugfs -R "dump /lib/containerd/$db $work/db" "$work/var.img" >/dev/null 2>&1
	"$bolt_driver" verify "$work/db" >"$work/verify.out" 2>&1
	ok $? "var:/lib/containerd/$db is a valid bbolt database" || diag_tail "$work/verify.out"
done
rm -f "$work/db"
debugfs -R "dump /lib/containerd/io.containerd.metadata.v1.bolt/meta.db $work/db" "$work/var.img" >/dev/null 2>&1
# bolt-driver dump prints keys and values in hex.
pinned_hex=$(printf io.cri-containerd.pinned | od -An -tx1 | tr -d ' \n')
pinned=$("$bolt_driver" dump "$work/db" | grep -c "$pinned_hex")
is "$pinned" "$n_images" "every image record carries the pinned label"
snapshots=$(debugfs -R "ls -p /lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots" "$work/var.img" 2>/dev/null |
	awk -F/ '$6 ~ /^[0-9]+$/' | wc -l)
[[ $snapshots -gt 0 ]]
ok $? "the layers are unpacked for the overlayfs snapshotter ($snapshots snapshots)"

tap_done

#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Integration: the OCI archive kiln-imagegen writes (imagegen/oci-archive.c) imported by
# the host's real containerd with "ctr images import", as the build seeds an image's
# store. containerd runs directly on the host with its own root, state and sockets in a
# temporary directory (CRI plugin off). The images: tests/lib/oci-archive.py's archive
# unpacked into a blob cache, plus tests/lib/oci-images.py's multi-arch index (amd64 blobs
# only) and two-layer whiteout image. Their layers also go through oci_layer_check_fd().
# Checks: names and top digests in "ctr images ls", the unpacked root file systems
# through "ctr images mount" (whiteouts and the opaque directory applied by containerd).
source "$KILN_SRCDIR/tests/lib/tap.sh"
source "$KILN_SRCDIR/tests/lib/containerd.sh"

[[ $(id -u) -eq 0 ]] || skip_all "needs root for containerd"
for t in containerd ctr python3 zstd; do
	command -v "$t" >/dev/null || skip_all "$t is not installed (tools/install-deps)"
done
driver=$KILN_BUILDDIR/tests/integration/oci-archive-driver
[[ -x $driver ]] || bail "$driver is not built"

work=$(mktemp -d "${TMPDIR:-/tmp}/kiln-oci-XXXXXX")
cleanup() {
	local m
	for m in "$work"/mnt-*; do
		mountpoint -q "$m" 2>/dev/null && umount "$m"
	done
	host_containerd_stop
	rm -rf "$work"
}
trap cleanup EXIT
cache=$work/cache
sock=$work/containerd.sock
repo=127.0.0.1:5000/kiln-test
ctr_() { timeout 60 ctr --address "$sock" -n k8s.io "$@"; }

# ---- the blob cache ----
python3 "$KILN_SRCDIR/tests/lib/oci-archive.py" "$repo/hello:1" "$work/hello.tar" &&
	mkdir "$work/hello" && tar -C "$work/hello" -xf "$work/hello.tar" &&
	mkdir -p "$cache/blobs" && cp -r "$work/hello/blobs/sha256" "$cache/blobs/"
ok $? "oci-archive.py's archive unpacked into the blob cache"
# Its descriptor in the same tab-separated form as oci-images.py's lines.
python3 - "$work/hello" >"$work/images.tsv" <<'EOF'
import json, os, sys
d = json.load(open(os.path.join(sys.argv[1], "index.json")))["manifests"][0]
blobs = sorted("sha256:" + f for f in os.listdir(os.path.join(sys.argv[1], "blobs", "sha256")))
blobs.remove(d["digest"])
print("\t".join([d["annotations"]["io.containerd.image.name"], d["digest"], d["mediaType"], str(d["size"]),
                 ",".join([d["digest"]] + blobs)]))
EOF
python3 "$KILN_SRCDIR/tests/lib/oci-images.py" "$cache" "$repo" >>"$work/images.tsv"
ok $? "oci-images.py wrote the multi-arch and whiteout images' blobs"
is "$(cut -f1 "$work/images.tsv" | tr '\n' ' ')" "$repo/hello:1 $repo/multiarch:1 $repo/whiteout:1 " "three images"
[[ ! -e $cache/blobs/sha256/$(python3 -c 'import json,sys
i = json.load(open(sys.argv[1]))
print([m for m in i["manifests"] if m["platform"]["architecture"] == "arm64"][0]["digest"][7:])' \
	"$cache/blobs/sha256/$(awk -F'\t' '$1 ~ /multiarch/ { print substr($2, 8) }' "$work/images.tsv")") ]]
ok $? "the arm64 manifest named by the index is not in the cache"

# ---- the layers pass the safety check; an unsafe one does not ----
mapfile -t layers < <(python3 - "$cache" "$work/images.tsv" <<'EOF'
import json, os, sys
for line in open(sys.argv[2]):
    for b in line.rstrip("\n").split("\t")[4].split(","):
        data = open(os.path.join(sys.argv[1], "blobs", "sha256", b[7:]), "rb").read()
        if not data.startswith(b"{"):
            continue   # a layer itself
        for l in json.loads(data).get("layers", []):
            print(os.path.join(sys.argv[1], "blobs", "sha256", l["digest"][7:]))
EOF
)
is "${#layers[@]}" 4 "four layers (hello, multiarch amd64, whiteout lower and upper)"
out=$("$driver" check-layer "${layers[@]}")
ok $? "every layer is safe (plain, gzip and zstd; whiteouts and an opaque marker)"
python3 - "$work/bad.tar" <<'EOF'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w", format=tarfile.USTAR_FORMAT) as t:
    for name, target in (("etc/", None), ("etc/link", "../../../etc/shadow")):
        i = tarfile.TarInfo(name); i.mtime = 0
        if target:
            i.type, i.linkname = tarfile.SYMTYPE, target
        else:
            i.type = tarfile.DIRTYPE
        t.addfile(i)
EOF
out=$("$driver" check-layer "$work/bad.tar")
ok $(( $? == 1 ? 0 : 1 )) "a layer with an escaping symlink is refused"
is "$out" "refused $work/bad.tar: entry 2 \"etc/link\": symlink leaves the layer" "with the entry named"

# ---- the archive ----
args=()
while IFS=$'\t' read -r name digest media_type size blobs; do
	args+=("$name" "$digest" "$media_type" "$size" "$blobs")
done <"$work/images.tsv"
check "oci_archive_write() of the three images" -- "$driver" write "$work/images.tar" "$cache" 1700000000 "${args[@]}"
check "a second write gives the same bytes" -- \
	bash -c '"$1" write "$2.again" "${@:3}" && cmp -s "$2" "$2.again"' _ "$driver" "$work/images.tar" \
	"$cache" 1700000000 "${args[@]}"

# ---- containerd ----
host_containerd_config "$work" "$work/root" --no-cri
host_containerd_start "$work"
ok $? "containerd serves on $sock" || { cat "$work/containerd.log" | sed 's/^/# /'; tap_done; exit 1; }

out=$(ctr_ images import --platform linux/amd64 "$work/images.tar" 2>&1)
ok $? "ctr images import --platform linux/amd64 of the archive" || diag "$out"

ls_out=$(ctr_ images ls)
while IFS=$'\t' read -r name digest media_type size blobs; do
	got=$(awk -v n="$name" '$1 == n { print $2, $3 }' <<<"$ls_out")
	is "$got" "$media_type $digest" "ctr images ls: $name with its top digest and media type"
done <"$work/images.tsv"

# Without platform filtering the import needs the arm64 blobs, which are not there: the
# archive holds exactly the cache's content.
timeout 60 ctr --address "$sock" -n all-platforms images import --all-platforms "$work/images.tar" >/dev/null 2>&1
ok $(( $? != 0 ? 0 : 1 )) "ctr images import --all-platforms fails: no arm64 blobs in the archive"

# ---- the unpacked root file systems ----
mount_image() {	# mount_image REF DIR
	mkdir -p "$2" && ctr_ images mount "$1" "$2" >/dev/null
}
listing() { (cd "$1" && find . -mindepth 1 | LC_ALL=C sort | tr '\n' ' '); }

m=$work/mnt-whiteout
mount_image "$repo/whiteout:1" "$m"
ok $? "ctr images mount of the whiteout image"
is "$(listing "$m")" "./etc ./etc/keep ./opaque ./opaque/new " \
	"etc/delete-me is gone, opaque/ holds only layer 2's entry, no whiteout files left"
is "$(cat "$m/etc/keep" 2>&1)" "kept" "layer 1's etc/keep is there"
is "$(cat "$m/opaque/new" 2>&1)" "layer 2" "layer 2's opaque/new is there"
ctr_ images unmount "$m" >/dev/null
ok $? "unmounted"

m=$work/mnt-multiarch
mount_image "$repo/multiarch:1" "$m"
ok $? "ctr images mount of the multi-arch image"
is "$(cat "$m/arch" 2>&1)" "amd64" "the amd64 manifest was unpacked"
ctr_ images unmount "$m" >/dev/null
ok $? "unmounted"

m=$work/mnt-hello
mount_image "$repo/hello:1" "$m"
ok $? "ctr images mount of oci-archive.py's image"
is "$(cat "$m/hello" 2>&1)" "kiln" "its /hello"
ctr_ images unmount "$m" >/dev/null
ok $? "unmounted"

tap_done

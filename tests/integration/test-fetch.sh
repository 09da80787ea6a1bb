#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Integration: the download side of "kiln-imagegen fetch" (imagegen/fetch-http.c,
# oci-registry.c), driven by tests/integration/fetch-driver on the host against real
# servers on 127.0.0.1: Debian's docker-registry (CNCF distribution 2.8) serving images
# built here by tests/lib/oci-archive.py and pushed with skopeo, a token server for
# docker's token auth, and a static HTTP file server that logs every request.
#   - HTTP files: sha256 and sha512 verified, a learnt digest, a mismatch (error names
#     the URL, the expected and the actual digest; nothing cached), 404 not retried,
#     an interrupted download resumed, a cached file fetched with zero requests, offline
#   - registry: a multi-arch index resolved to linux/amd64 (and arm64; riscv64 lists the
#     platforms), the blobs of an image, a blob corrupted in the registry's storage, a
#     layer with "../" and one writing through an absolute symlink refused and not cached,
#     a layer writing through a lower layer's symlink refused, downloaded or cached alike,
#     the registry killed mid-download (clear error; the next fetch resumes at byte N > 0
#     and the blob verifies), a cached image fetched with the registry gone, offline
#   - token auth: no credentials and wrong credentials fail clearly without printing them,
#     the right ones work with one token per run, and the blob redirect to storage on
#     another host does not carry the Authorization header
source "$KILN_SRCDIR/tests/lib/tap.sh"
source "$KILN_SRCDIR/tests/lib/registry.sh"

driver=$KILN_BUILDDIR/tests/integration/fetch-driver
[[ -x $driver ]] || bail "$driver is not built"
registry_require

work=$(mktemp -d "${TMPDIR:-/tmp}/kiln-fetch-XXXXXX")
trap 'registry_cleanup; rm -rf "$work"' EXIT
cache=$work/cache
unset KILN_REGISTRY_AUTH KILN_FETCH_MAX_RECV_SPEED

# fetch ARGS...: run the driver (bounded), stdout in $out, stderr in $err, status in $rc.
fetch() {
	out=$(timeout 60 "$driver" --cache "$cache" --backoff-ms 50 "$@" 2>"$work/stderr")
	rc=$?
	err=$(<"$work/stderr")
}
# cached_files: every complete blob, sorted (what "find CACHE/blobs" shows outside .partial).
cached_files() { find "$cache/blobs" -type f -not -path '*/.partial/*' 2>/dev/null | sort; }
partial_files() { find "$cache/blobs/.partial" -type f 2>/dev/null | sort; }
requests() { wc -l <"$HTTP_FILES_LOG"; }
sha256() { echo "sha256:$(sha256sum "$1" | cut -d' ' -f1)"; }
partial_size() { stat -c %s "$1" 2>/dev/null || echo 0; }
partial_over() { (($(partial_size "$1") > $2)); }   # partial_over FILE BYTES

# ---------------------------------------------------------------- HTTP files
mkdir -p "$work/files"
head -c 300000 /dev/urandom >"$work/files/tool.bin"
head -c 8388608 /dev/urandom >"$work/files/big.bin"
echo "another" >"$work/files/other.txt"
http_files_start "$work/files" || bail "cannot start the HTTP file server"
tool_sha256=$(sha256 "$work/files/tool.bin")
tool_sha512="sha512:$(sha512sum "$work/files/tool.bin" | cut -d' ' -f1)"

fetch file "$HTTP_FILES_URL/tool.bin" "$tool_sha256"
ok $rc "a file with its sha256 is fetched" || diag "$err"
is "$(sed -n 's/^digest //p' <<<"$out")" "$tool_sha256" "the cache key is the expected digest"
cmp -s "$(sed -n 's/^path //p' <<<"$out")" "$work/files/tool.bin"
ok $? "the cached blob is the file, at blobs/sha256/<hex>"

fetch file "$HTTP_FILES_URL/tool.bin" "$tool_sha512"
ok $rc "the same file checked against its sha512" || diag "$err"
[[ -f $cache/blobs/sha512/${tool_sha512#sha512:} ]]
ok $? "stored under blobs/sha512/<hex>"

fetch file "$HTTP_FILES_URL/other.txt"
is "$(sed -n 's/^digest //p' <<<"$out")" "$(sha256 "$work/files/other.txt")" "without a digest the sha256 is learnt"

before=$(cached_files)
wrong=sha256:$(printf '%064d' 0)
fetch file "$HTTP_FILES_URL/big.bin" "$wrong"
ok $((rc == 1 ? 0 : 1)) "a file that does not match its digest fails"
grep -qF "$HTTP_FILES_URL/big.bin: expected $wrong, got $(sha256 "$work/files/big.bin")" <<<"$err"
ok $? "the error names the URL, the expected and the actual digest" || diag "$err"
is "$(cached_files)" "$before" "nothing new in the cache"
is "$(partial_files)" "" "and no partial file left"

n=$(requests)
fetch file "$HTTP_FILES_URL/missing.bin" "$wrong"
ok $((rc == 1 ? 0 : 1)) "a 404 fails"
grep -qF "$HTTP_FILES_URL/missing.bin: HTTP 404" <<<"$err"
ok $? "saying HTTP 404" || diag "$err"
is $(($(requests) - n)) 1 "and is not retried"

n=$(requests)
fetch file "$HTTP_FILES_URL/tool.bin" "$tool_sha256"
ok $rc "a cached file is fetched again"
is $(($(requests) - n)) 0 "with no request at all"

fetch --offline file "$HTTP_FILES_URL/other.txt" "$(sha256 "$work/files/tool.bin")"
ok $rc "offline, a cached file is still there"
n=$(requests)
fetch --offline file "$HTTP_FILES_URL/big.bin" "$(sha256 "$work/files/big.bin")"
ok $((rc == 1 ? 0 : 1)) "offline, a file not in the cache fails"
grep -q "offline" <<<"$err"
ok $? "saying offline" || diag "$err"
is $(($(requests) - n)) 0 "without a request"

# An interrupted download: the server dies half-way, the next attempt sends a Range.
big_sha=$(sha256 "$work/files/big.bin")
big_partial=$cache/blobs/.partial/sha256-${big_sha#sha256:}
KILN_FETCH_MAX_RECV_SPEED=2097152 timeout 60 "$driver" --cache "$cache" --retries 1 --backoff-ms 50 \
	file "$HTTP_FILES_URL/big.bin" "$big_sha" >/dev/null 2>"$work/file-cut.err" &
fetch_pid=$!
wait_for 30 partial_over "$big_partial" 1048576
ok $? "the throttled download is under way"
http_files_stop
wait "$fetch_pid"
ok $((${?} == 1 ? 0 : 1)) "the download fails when the server goes away" || diag "$(cat "$work/file-cut.err")"
cut_at=$(partial_size "$big_partial")
ok $((cut_at > 0 && cut_at < 8388608 ? 0 : 1)) "the partial file keeps the $cut_at bytes that arrived"
http_files_start "$work/files" || bail "cannot restart the HTTP file server"
fetch file "$HTTP_FILES_URL/big.bin" "$big_sha"
ok $rc "the next fetch succeeds" || diag "$err"
grep -qF "resuming at byte $cut_at" <<<"$err"
ok $? "resuming at byte $cut_at" || diag "$err"
grep -q "range=$cut_at" "$HTTP_FILES_LOG"
ok $? "with a Range request from there"
is "$(sha256 "$(sed -n 's/^path //p' <<<"$out")")" "$big_sha" "the resumed file verifies"

# Partial files as a crash leaves them: their bytes are hashed again before resuming.
other_sha=$(sha256 "$work/files/other.txt")
other_partial=$cache/blobs/.partial/sha256-${other_sha#sha256:}
tool2=$work/files/tool2.bin
head -c 200000 /dev/urandom >"$tool2"
tool2_sha=$(sha256 "$tool2")
tool2_partial=$cache/blobs/.partial/sha256-${tool2_sha#sha256:}
mkdir -p "$cache/blobs/.partial"
rm -f "$cache/blobs/sha256/${other_sha#sha256:}"
cp "$work/files/other.txt" "$other_partial"
fetch file "$HTTP_FILES_URL/other.txt" "$other_sha"
ok $rc "a complete partial file is verified and stored (the server answers 416)" || diag "$err"
grep -q "range=$(stat -c %s "$work/files/other.txt") status=416\|status=416 .*range=$(stat -c %s "$work/files/other.txt")" "$HTTP_FILES_LOG"
ok $? "after asking for the bytes past its end"
head -c 150000 /dev/urandom >"$tool2_partial"
fetch file "$HTTP_FILES_URL/tool2.bin" "$tool2_sha"
ok $((rc == 1 ? 0 : 1)) "a partial file that is not a prefix of the file fails the digest check"
grep -qF "expected $tool2_sha, got" <<<"$err"
ok $? "as a mismatch" || diag "$err"
[[ ! -e $tool2_partial ]]
ok $? "and the bad partial file is deleted, so the next attempt starts afresh"
head -c 150000 "$tool2" >"$tool2_partial"
http_files_start "$work/files" norange || bail "cannot start the HTTP file server"
fetch file "$HTTP_FILES_URL/tool2.bin" "$tool2_sha"
ok $rc "a server that ignores Range" || diag "$err"
grep -q "starting over" <<<"$err"
ok $? "makes the download start over" || diag "$err"
is "$(sha256 "$(sed -n 's/^path //p' <<<"$out")")" "$tool2_sha" "and the file verifies"
http_files_stop

# A server that accepts the connection and never answers.
timeout 60 python3 -c '
import socket, sys
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(16)
open(sys.argv[1] + ".tmp", "w").write(str(s.getsockname()[1]))
import os; os.rename(sys.argv[1] + ".tmp", sys.argv[1])
held = []
while True: held.append(s.accept()[0])' "$work/mute.port" &
mute_pid=$!
wait_for 10 test -s "$work/mute.port"
t0=$SECONDS
fetch --stall-ms 1000 --retries 1 file "http://127.0.0.1:$(<"$work/mute.port")/x" "$wrong"
t=$((SECONDS - t0))
ok $((rc == 1 && t < 15 ? 0 : 1)) "a server that sends nothing fails the fetch after the stall timeout (${t}s, 2 attempts)"
grep -qi "too slow\|timed out\|timeout" <<<"$err"
ok $? "as a timeout" || diag "$err"
kill "$mute_pid" 2>/dev/null; wait "$mute_pid" 2>/dev/null

# ---------------------------------------------------------------- registry, no auth
registry_start "$work/reg" || bail "cannot start docker-registry: $(tail -n 5 "$work/reg/registry.log" 2>/dev/null)"
reg=$REGISTRY_ADDR
arch=$work/archives
mkdir -p "$arch"
python3 "$KILN_SRCDIR/tests/lib/oci-archive.py" --multi-arch kiln/multi:1 "$arch/multi.tar" &&
	python3 "$KILN_SRCDIR/tests/lib/oci-archive.py" --big-layer 1000 kiln/corrupt:1 "$arch/corrupt.tar" &&
	python3 "$KILN_SRCDIR/tests/lib/oci-archive.py" --bad-layer dotdot kiln/dotdot:1 "$arch/dotdot.tar" &&
	python3 "$KILN_SRCDIR/tests/lib/oci-archive.py" --bad-layer abs-symlink kiln/abssym:1 "$arch/abssym.tar" &&
	python3 "$KILN_SRCDIR/tests/lib/oci-archive.py" --bad-layer cross-symlink kiln/cross:1 "$arch/cross.tar" &&
	python3 "$KILN_SRCDIR/tests/lib/oci-archive.py" --cross-write kiln/crosswrite:1 "$arch/crosswrite.tar" &&
	python3 "$KILN_SRCDIR/tests/lib/oci-archive.py" --big-layer 20971520 kiln/big:1 "$arch/big.tar" &&
	python3 "$KILN_SRCDIR/tests/lib/oci-archive.py" kiln/single:1 "$arch/single.tar"
ok $? "test images built"
registry_push "$arch/multi.tar" kiln/multi:1 --all &&
	for i in corrupt dotdot abssym cross crosswrite big single; do registry_push "$arch/$i.tar" "kiln/$i:1" || break; done
ok $? "pushed with skopeo (the multi-arch one with --all)"

# The index and its amd64 and arm64 manifests, as the registry serves them.
curl -s -H 'Accept: application/vnd.oci.image.index.v1+json' "http://$reg/v2/kiln/multi/manifests/1" >"$work/index.json"
index_digest=$(sha256 "$work/index.json")
platform_digest() {
	python3 -c 'import json, sys
for m in json.load(open(sys.argv[1]))["manifests"]:
    if m["platform"]["architecture"] == sys.argv[2]: print(m["digest"])' "$work/index.json" "$1"
}
amd64=$(platform_digest amd64)
arm64=$(platform_digest arm64)

fetch resolve "$reg/kiln/multi:1"
ok $rc "a multi-arch tag resolves" || diag "$err"
is "$(sed -n 's/^digest //p' <<<"$out")" "$index_digest" "to the digest of the index"
is "$(sed -n 's/^media_type //p' <<<"$out")" application/vnd.oci.image.index.v1+json "an OCI index"
is "$(sed -n 's/^platform_digest //p' <<<"$out")" "$amd64" "its linux/amd64 manifest is the platform digest"
is "$(sed -n 's/^size //p' <<<"$out")" "$(stat -c %s "$work/index.json")" "size is the index's"
fetch --platform linux/arm64/v8 resolve "$reg/kiln/multi:1"
is "$(sed -n 's/^platform_digest //p' <<<"$out")" "$arm64" "linux/arm64/v8 picks the arm64 manifest"
fetch --platform linux/riscv64 resolve "$reg/kiln/multi:1"
ok $((rc == 1 ? 0 : 1)) "linux/riscv64 is not in the index"
grep -qF "no manifest for linux/riscv64 in the index; it has linux/amd64, linux/arm64" <<<"$err"
ok $? "the error lists the platforms there" || diag "$err"
fetch resolve "$reg/kiln/multi:nope"
ok $((rc == 1 ? 0 : 1)) "an unknown tag fails"
grep -q "HTTP 404 (MANIFEST_UNKNOWN" <<<"$err"
ok $? "with the registry's MANIFEST_UNKNOWN" || diag "$err"

fetch image "$reg/kiln/multi:1" "$index_digest"
ok $rc "the multi-arch image is fetched for linux/amd64" || diag "$err"
fetch blobs "$index_digest"
ok $rc "its blobs are listed from the cache"
mapfile -t blobs <<<"$out"
is "${#blobs[@]}" 4 "index, platform manifest, config and layer"
is "${blobs[0]} ${blobs[1]}" "$index_digest $amd64" "in order: the index, then the amd64 manifest"
all_cached=0
for b in "${blobs[@]}"; do [[ -f $cache/blobs/sha256/${b#sha256:} ]] || all_cached=1; done
ok $all_cached "every one of them is in the cache"
is "$(tar -xOf "$cache/blobs/sha256/${blobs[3]#sha256:}" arch 2>/dev/null)" amd64 "the layer is amd64's"
fetch --platform linux/arm64 blobs "$index_digest"
ok $((rc == 1 ? 0 : 1)) "the arm64 blobs are not cached"
grep -qF "manifest $arm64: not in the cache" <<<"$err"
ok $? "and the error names the missing manifest" || diag "$err"

# A layer corrupted inside the registry's storage.
corrupt_digest=$(skopeo inspect --raw --tls-verify=false "docker://$reg/kiln/corrupt:1" | sha256sum | sed 's/^/sha256:/; s/ .*//')
corrupt_layer=$(skopeo inspect --raw --tls-verify=false "docker://$reg/kiln/corrupt:1" |
	python3 -c 'import json, sys; print(json.load(sys.stdin)["layers"][1]["digest"])')
# The config and the first layer are good: those two may enter the cache.
corrupt_good=$(skopeo inspect --raw --tls-verify=false "docker://$reg/kiln/corrupt:1" |
	python3 -c 'import json, sys; m = json.load(sys.stdin); print(m["config"]["digest"]); print(m["layers"][0]["digest"])' |
	sed "s|^sha256:|$cache/blobs/sha256/|" | sort)
printf 'X' | dd of="$(registry_blob_path "$corrupt_layer")" bs=1 seek=600 conv=notrunc status=none
actual=$(sha256 "$(registry_blob_path "$corrupt_layer")")
fetch resolve "$reg/kiln/corrupt:1"
before=$(cached_files)
fetch image "$reg/kiln/corrupt:1" "$corrupt_digest"
ok $((rc == 1 ? 0 : 1)) "a layer that does not match its digest fails the image"
grep -qF "$reg/kiln/corrupt:1: layer $corrupt_layer: expected $corrupt_layer, got $actual" <<<"$err"
ok $? "the error names the image, the layer, the expected and the actual digest" || diag "$err"
is "$(comm -13 <(echo "$before") <(cached_files))" "$corrupt_good" \
	"only the good config and first layer are new in the cache, not the corrupt layer"
is "$(partial_files)" "" "no partial file left"

# Unsafe layers.
for bad in dotdot abssym; do
	manifest=$(skopeo inspect --raw --tls-verify=false "docker://$reg/kiln/$bad:1")
	digest=sha256:$(printf '%s' "$manifest" | sha256sum | cut -d' ' -f1)
	layer=$(python3 -c 'import json, sys; print(json.loads(sys.argv[1])["layers"][1]["digest"])' "$manifest")
	fetch image "$reg/kiln/$bad:1" "$digest"
	ok $((rc == 1 ? 0 : 1)) "$bad: the image is refused"
	grep -qF "$reg/kiln/$bad:1: layer $layer: refused: " <<<"$err"
	ok $? "$bad: the error names the image and the layer" || diag "$err"
	case $bad in
	dotdot) grep -qF '../kiln-escape' <<<"$err" ;;
	abssym) grep -qF 'etc-link' <<<"$err" ;;
	esac
	ok $? "$bad: and says why: ${err##*refused: }"
	[[ ! -e $cache/blobs/sha256/${layer#sha256:} ]]
	ok $? "$bad: the layer is not cached"
	is "$(partial_files)" "" "$bad: no partial file left"
done

# Layer 3 writes through layer 2's symlink: each is safe alone, not in this order. Layer 1
# is cached already (the images above share it), layer 2 gets downloaded, layer 3 is
# refused; once layer 3 is cached through an image where it is harmless, the image is
# refused from the cache alone, with the same error.
cross_manifest=$(skopeo inspect --raw --tls-verify=false "docker://$reg/kiln/cross:1")
cross_digest=sha256:$(printf '%s' "$cross_manifest" | sha256sum | cut -d' ' -f1)
mapfile -t cross_layers < <(python3 -c 'import json, sys
for l in json.loads(sys.argv[1])["layers"]: print(l["digest"])' "$cross_manifest")
fetch image "$reg/kiln/cross:1" "$cross_digest"
ok $((rc == 1 ? 0 : 1)) "cross: the image is refused"
cross_err=$err
why='layer 3, entry 1 "escape/kiln-pwned": path runs through the symlink "escape" (-> "/") made by layer 2'
grep -qF "$reg/kiln/cross:1: layer ${cross_layers[2]}: refused: $why" <<<"$err"
ok $? "cross: the error names the image, the layer, the entry and the symlink" || diag "$err"
[[ -f $cache/blobs/sha256/${cross_layers[1]#sha256:} && ! -e $cache/blobs/sha256/${cross_layers[2]#sha256:} ]]
ok $? "cross: the symlink's layer is cached, the layer writing through it is not"
crosswrite_manifest=$(skopeo inspect --raw --tls-verify=false "docker://$reg/kiln/crosswrite:1")
fetch image "$reg/kiln/crosswrite:1" "sha256:$(printf '%s' "$crosswrite_manifest" | sha256sum | cut -d' ' -f1)"
ok $rc "cross: the writing layer alone on the first is a good image" || diag "$err"
[[ -f $cache/blobs/sha256/${cross_layers[2]#sha256:} ]]
ok $? "cross: which caches that layer"
fetch --offline image "$reg/kiln/cross:1" "$cross_digest"
ok $((rc == 1 ? 0 : 1)) "cross: with every layer cached the image is still refused"
is "${err##*fetch-driver: }" "${cross_err##*fetch-driver: }" "cross: with the same error"

# The registry dies in the middle of a 20 MiB layer.
big_manifest=$(skopeo inspect --raw --tls-verify=false "docker://$reg/kiln/big:1")
big_digest=sha256:$(printf '%s' "$big_manifest" | sha256sum | cut -d' ' -f1)
big_layer=$(python3 -c 'import json, sys; print(json.loads(sys.argv[1])["layers"][1]["digest"])' "$big_manifest")
big_partial=$cache/blobs/.partial/sha256-${big_layer#sha256:}
KILN_FETCH_MAX_RECV_SPEED=4194304 timeout 60 "$driver" --cache "$cache" --retries 2 --backoff-ms 50 \
	image "$reg/kiln/big:1" "$big_digest" >/dev/null 2>"$work/cut.err" &
fetch_pid=$!
wait_for 30 partial_over "$big_partial" 2097152
ok $? "the 20 MiB layer is arriving"
registry_kill
wait "$fetch_pid"
ok $((${?} == 1 ? 0 : 1)) "killing the registry fails the fetch"
cut_err=$(<"$work/cut.err")
grep -qF "$reg/kiln/big:1: layer $big_layer: " <<<"$cut_err" && grep -qi "connect\|partial\|reset\|refused" <<<"$cut_err"
ok $? "with a clear error: ${cut_err##*fetch-driver: }" || diag "$cut_err"
cut_at=$(partial_size "$big_partial")
ok $((cut_at > 0 && cut_at < 20971520 ? 0 : 1)) "$cut_at bytes stay in .partial"
[[ ! -e $cache/blobs/sha256/${big_layer#sha256:} ]]
ok $? "and the layer is not in the cache"
registry_restart || bail "cannot restart docker-registry"
fetch image "$reg/kiln/big:1" "$big_digest"
ok $rc "after a restart the fetch succeeds" || diag "$err"
grep -qF "layer $big_layer: resuming at byte $cut_at" <<<"$err"
ok $? "resuming at byte $cut_at" || diag "$err"
is "$(sha256 "$cache/blobs/sha256/${big_layer#sha256:}")" "$big_layer" "the resumed layer verifies"
is "$(partial_files)" "" "no partial file left"

# Cached images need no registry; offline refuses what is not cached.
registry_stop
fetch image "$reg/kiln/multi:1" "$index_digest"
ok $rc "with the registry gone a cached image is still fetched" || diag "$err"
fetch --offline image "$reg/kiln/multi:1" "$index_digest"
ok $rc "and offline too" || diag "$err"
fetch resolve "$reg/kiln/multi@$index_digest"
is "$(sed -n 's/^platform_digest //p' <<<"$out")" "$amd64" "a digest reference resolves from the cache"
fetch --offline image "$reg/kiln/single:1" "$wrong"
ok $((rc == 1 ? 0 : 1)) "offline, an image not in the cache fails"
grep -q offline <<<"$err"
ok $? "saying offline" || diag "$err"

# ---------------------------------------------------------------- token auth, redirected blobs
# Blob GETs are redirected to a file server on "localhost" (another host than 127.0.0.1)
# serving the registry's storage, as cloud storage would be: no token may go there.
mkdir -p "$work/treg/storage"
http_files_start "$work/treg/storage" || bail "cannot start the storage server"
registry_start "$work/treg" --token kiln:s3cret --redirect "http://localhost:${HTTP_FILES_URL##*:}" ||
	bail "cannot start docker-registry with token auth: $(tail -n 5 "$work/treg/registry.log" 2>/dev/null)"
registry_push "$arch/single.tar" kiln/private:1
ok $? "pushed to the registry with token auth"
treg=$REGISTRY_ADDR
rm -rf "$cache"

fetch resolve "$treg/kiln/private:1"
ok $((rc == 1 ? 0 : 1)) "without credentials the registry refuses"
grep -qF "authentication required: KILN_REGISTRY_AUTH has no credentials for $treg" <<<"$err"
ok $? "saying so" || diag "$err"

printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$treg" "$(printf 'kiln:wrong-pw' | base64)" >"$work/wrong.json"
KILN_REGISTRY_AUTH=$work/wrong.json fetch resolve "$treg/kiln/private:1"
ok $((rc == 1 ? 0 : 1)) "wrong credentials fail"
grep -qF "the token server refused the credentials for $treg from KILN_REGISTRY_AUTH" <<<"$err"
ok $? "with a clear error" || diag "$err"
! grep -qF -e wrong-pw -e "$(printf 'kiln:wrong-pw' | base64)" <<<"$err"
ok $? "that does not print the credentials"

printf '{"auths":{"http://%s/v2/":{"auth":"%s"}}}\n' "$treg" "$(printf 'kiln:s3cret' | base64)" >"$work/auth.json"
export KILN_REGISTRY_AUTH=$work/auth.json
: >"$TOKEN_LOG"
fetch resolve "$treg/kiln/private:1"
ok $rc "the right credentials resolve the image" || diag "$err"
private_digest=$(sed -n 's/^digest //p' <<<"$out")
: >"$TOKEN_LOG"
n=$(requests)
fetch image "$treg/kiln/private:1" "$private_digest"
ok $rc "and fetch it" || diag "$err"
is "$(grep -c 'scope=repository:kiln/private:pull auth=yes status=200' "$TOKEN_LOG")" 1 \
	"with one token for manifest, config and layer"
grep -q '^GET /docker/registry/v2/blobs/sha256/.*/data status=200' "$HTTP_FILES_LOG"
ok $? "blobs came through the redirect to the storage server"
! grep '^GET /docker/registry/v2/blobs/' "$HTTP_FILES_LOG" | grep -q 'auth=yes'
ok $? "which never saw the Authorization header"
fetch blobs "$private_digest"
ok $rc "the image's blobs are all cached"
! grep -qF -e s3cret -e "$(printf 'kiln:s3cret' | base64)" "$work/stderr"
ok $? "no credentials in the driver's output"
unset KILN_REGISTRY_AUTH

registry_cleanup
tap_done

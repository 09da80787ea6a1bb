#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Integration: the node side of the seeded containerd store against the host's real
# containerd (Debian's 1.6), running on a socket and root in a temporary directory:
#   - a seeded store built as the image builder does: two images imported into k8s.io,
#     pinned; containerd stopped; its two databases copied as the seed
#   - kiln-store-check leaves a valid store alone (same inode and mtime), says nothing
#     without a seed
#   (a) meta.db deleted: kiln-store-check restores it; containerd then lists both images
#       at their digests with every blob, past its startup GC and past a GC that sweeps
#       the content store
#   (b) meta.db and the snapshotter's metadata.db corrupted on both meta pages: moved
#       aside and restored, same checks, snapshots kept
#   (c) control, without kiln-store-check: containerd 1.6 on a deleted meta.db lists no
#       image and no content at once, and its first content GC deletes the seeded blobs
#       from disk (the test proves it can fail)
#   (d) the images phase's check (images-check-driver) on that containerd: all ok, then
#       the pin removed, a name retagged to another digest, an image deleted
#   - a restore that cannot happen (no seed copy) exits 1 and logs KILN_STORE_FAILED
# containerd is killed on exit; nothing listens outside the temporary directory.
source "$KILN_SRCDIR/tests/lib/tap.sh"
source "$KILN_SRCDIR/tests/lib/containerd.sh"

[[ $(id -u) -eq 0 ]] || skip_all "containerd needs root"
command -v containerd >/dev/null && command -v ctr >/dev/null || skip_all "containerd and ctr are not installed"
command -v python3 >/dev/null || skip_all "python3 is not installed"
check=$KILN_BUILDDIR/supervisor/kiln-store-check
driver=$KILN_BUILDDIR/tests/integration/images-check-driver
[[ -x $check && -x $driver ]] || bail "kiln-store-check or images-check-driver is not built"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/kiln-store-seed-XXXXXX") || bail "mktemp failed"
root=$tmp/root
sock=$tmp/containerd.sock
meta=io.containerd.metadata.v1.bolt/meta.db
snapdb=io.containerd.snapshotter.v1.overlayfs/metadata.db
blobs=io.containerd.content.v1.content/blobs/sha256
pause=127.0.0.1:5000/k8s/pause:3.10
coredns=127.0.0.1:5000/k8s/coredns:v1.11.3
# containerd's GC runs this long after it starts (the default, written out).
gc_delay=0.1

stop_containerd() { host_containerd_stop; }
cleanup() {
	stop_containerd
	# overlayfs mounts of a test that died halfway
	grep -F " $tmp/" /proc/mounts | cut -d' ' -f2 | sort -r | xargs -r -n1 umount -l 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

host_containerd_config "$tmp" "$root" '[plugins."io.containerd.gc.v1.scheduler"]' "  startup_delay = \"${gc_delay}s\""

start_containerd() { host_containerd_start "$tmp"; }
ctrk() { timeout 30 ctr --address "$sock" -n k8s.io "$@"; }
digest_of() { ctrk images ls | awk -v n="$1" '$1 == n { print $3 }'; }
images_of() { ctrk images ls -q | grep -v '^sha256:' | sort | tr '\n' ' '; }
content_of() { ctrk content ls -q | sort | tr '\n' ' '; }
disk_blobs() { (cd "$root/$blobs" 2>/dev/null && ls | sort | tr '\n' ' '); }

# A content GC on demand: a blob added and removed in a namespace of its own marks the
# content store dirty; the collection that follows deletes every blob on disk that the
# metadata does not know. The probe's own blob vanishing says the collection ran.
probe=$tmp/probe.txt
echo "kiln gc probe" >"$probe"
probe_digest=sha256:$(sha256sum "$probe" | cut -d' ' -f1)
force_content_gc() {
	timeout 30 ctr --address "$sock" -n kiln-gc-probe content ingest --expected-size "$(stat -c %s "$probe")" \
		--expected-digest "$probe_digest" probe <"$probe" >/dev/null &&
	[[ -e $root/$blobs/${probe_digest#sha256:} ]] &&
	timeout 30 ctr --address "$sock" -n kiln-gc-probe content rm "$probe_digest" >/dev/null &&
	wait_for 10 test ! -e "$root/$blobs/${probe_digest#sha256:}"
}

# --- The seeded store, as kiln-imagegen leaves it.
python3 "$KILN_SRCDIR/tests/lib/oci-archive.py" "$pause" "$tmp/pause.tar" pause &&
python3 "$KILN_SRCDIR/tests/lib/oci-archive.py" "$coredns" "$tmp/coredns.tar" coredns
ok $? "two tiny OCI archives with different content"
start_containerd
ok $? "containerd $(containerd --version | awk '{print $3}') starts in $tmp"
ctrk images import "$tmp/pause.tar" >/dev/null && ctrk images import "$tmp/coredns.tar" >/dev/null &&
	ctrk images label "$pause" io.cri-containerd.pinned=pinned >/dev/null &&
	ctrk images label "$coredns" io.cri-containerd.pinned=pinned >/dev/null &&
	# ctr import keeps each archive's index.json as a blob no image refers to, until a
	# collection: collect now, so the seed holds what kiln-imagegen's does (it drops that
	# blob too) and the blobs below do not depend on when containerd's GC ran.
	force_content_gc
ok $? "both imported into k8s.io and pinned"
pause_digest=$(digest_of "$pause")
coredns_digest=$(digest_of "$coredns")
[[ $pause_digest == sha256:* && $coredns_digest == sha256:* && $pause_digest != "$coredns_digest" ]]
ok $? "two different digests ($pause_digest, $coredns_digest)"
want_images=$(images_of)
want_content=$(content_of)
want_snapshots=$(ctrk snapshots ls | tail -n +2 | awk '{print $1}' | sort | tr '\n' ' ')
is "$want_images" "$coredns $pause " "the store lists both"
stop_containerd
want_disk=$(disk_blobs)
[[ -n $want_content && $want_disk == *"${pause_digest#sha256:}"* ]]
ok $? "$(wc -w <<<"$want_disk") blobs on disk, $(wc -w <<<"$want_snapshots") snapshots"

mkdir -p "$tmp/seed/${meta%/*}" "$tmp/seed/${snapdb%/*}" &&
	cp "$root/$meta" "$tmp/seed/$meta" && cp "$root/$snapdb" "$tmp/seed/$snapdb"
ok $? "the two databases copied as the seed"
cat >"$tmp/image.json" <<EOF
{"kubernetes": {"present": true}, "images": [
  {"name": "$coredns", "digest": "$coredns_digest"},
  {"name": "$pause", "digest": "$pause_digest"}]}
EOF
cp -a "$root" "$tmp/pristine"
reset_store() { rm -rf "$root" && cp -a "$tmp/pristine" "$root"; }

run_check() { timeout 10 "$check" --root="$root" --seed="$tmp/seed" >"$tmp/check.out" 2>"$tmp/check.err"; }

# --- A valid store is only read.
before=$(stat -c '%i %Y %s' "$root/$meta" "$root/$snapdb")
t0=$(date +%s%N)
run_check
ok $? "kiln-store-check on a valid store exits 0 ($(( ($(date +%s%N) - t0) / 1000 )) us)"
is "$(stat -c '%i %Y %s' "$root/$meta" "$root/$snapdb")" "$before" "both databases untouched (inode, mtime, size)"
is "$(cat "$tmp/check.out" "$tmp/check.err")" "" "and nothing said"
KILN_LOG_LEVEL=debug timeout 10 "$check" --root="$root" --seed="$tmp/seed" 2>&1 | grep -c 'is valid' >"$tmp/n"
is "$(cat "$tmp/n")" 2 "at debug level: both found valid by bolt_verify (real bbolt files)"
timeout 10 "$check" --root="$root" --seed="$tmp/no-seed" >"$tmp/check.out" 2>&1
ok $? "without a seed (an image built --without-kubernetes): exit 0"
is "$(cat "$tmp/check.out")" "" "quietly"

# after_restore CASE: containerd on the restored store keeps both images and every blob.
after_restore() {
	start_containerd || { ok 1 "$1 containerd starts"; return; }
	sleep "$gc_delay"; sleep 2
	is "$(images_of)" "$want_images" "$1 2 s past the GC delay, both images are listed"
	is "$(digest_of "$pause") $(digest_of "$coredns")" "$pause_digest $coredns_digest" "$1 at the same digests"
	is "$(content_of)" "$want_content" "$1 ctr content ls has every blob"
	force_content_gc
	ok $? "$1 a content GC ran (its probe blob is gone from disk)"
	is "$(disk_blobs)" "$want_disk" "$1 the seeded blobs are still on disk"
	is "$(ctrk snapshots ls | tail -n +2 | awk '{print $1}' | sort | tr '\n' ' ')" "$want_snapshots" \
		"$1 the unpacked snapshots are still there"
	timeout 10 "$driver" "$sock" "$tmp/image.json" >"$tmp/driver.out"
	ok $? "$1 the images phase's check passes ($(sed -n 's/^detail: //p' "$tmp/driver.out"))"
	stop_containerd
}

# --- (a) meta.db deleted.
reset_store
rm "$root/$meta"
run_check
ok $? "(a) kiln-store-check on a store without meta.db exits 0"
grep -q "\[KILN_STORE_RESTORED=$root/$meta\] \[KILN_STORE_REASON=missing\]" "$tmp/check.err"
ok $? "(a) one line: KILN_STORE_RESTORED=<meta.db>, reason missing" || diag "$(cat "$tmp/check.err")"
grep -q "\[KILN_STORE_RESTORED=$root/io.containerd.snapshotter.v1.overlayfs/metadata.db\] \[KILN_STORE_REASON=valid, but its partner was restored\]" "$tmp/check.err"
ok $? "(a) and the snapshotter's database with it, as its partner" || diag "$(cat "$tmp/check.err")"
is "$(wc -l <"$tmp/check.err")" 2 "(a) and nothing else (no snapshot directory the seed does not know)"
cmp -s "$root/$meta" "$tmp/seed/$meta"
ok $? "(a) meta.db is the seed's copy"
after_restore "(a)"

# --- (b) both databases corrupted on both meta pages (4096-byte pages: containerd's).
reset_store
for f in "$root/$meta" "$root/$snapdb"; do
	printf 'kiln-corrupt' | dd of="$f" bs=1 seek=16 conv=notrunc status=none &&
	printf 'kiln-corrupt' | dd of="$f" bs=1 seek=$((4096 + 16)) conv=notrunc status=none
done
cp "$root/$meta" "$tmp/corrupt-meta.db"
run_check
ok $? "(b) kiln-store-check on corrupt databases exits 0"
is "$(grep -c 'KILN_STORE_MOVED_ASIDE=' "$tmp/check.err") $(grep -c 'KILN_STORE_RESTORED=' "$tmp/check.err")" "2 2" \
	"(b) two moved aside, two restored" || diag "$(cat "$tmp/check.err")"
grep -q "KILN_STORE_REASON=no valid meta page (page 0: bad magic" "$tmp/check.err"
ok $? "(b) the reason is bbolt's magic"
aside=$(ls "$root/${meta%/*}" | grep '^meta.db.corrupt-')
cmp -s "$root/${meta%/*}/$aside" "$tmp/corrupt-meta.db"
ok $? "(b) the corrupt meta.db is kept as $aside"
cmp -s "$root/$meta" "$tmp/seed/$meta" && cmp -s "$root/$snapdb" "$tmp/seed/$snapdb"
ok $? "(b) both databases are the seed's copies"
after_restore "(b)"

# --- (c) control: what happens without kiln-store-check.
reset_store
rm "$root/$meta"
start_containerd
ok $? "(c) containerd starts on a store without meta.db (no kiln-store-check)"
sleep "$gc_delay"; sleep 2
is "$(images_of)" "" "(c) it lists no image: the records are gone"
is "$(ctrk content ls -q | wc -l)" 0 "(c) and no content"
diag "(c) blobs on disk after the startup GC: $(disk_blobs | wc -w) of $(wc -w <<<"$want_disk")"
force_content_gc
ok $? "(c) a content GC ran"
is "$(disk_blobs)" "" "(c) the seeded blobs are deleted from disk: the images are lost for good"
timeout 10 "$driver" "$sock" "$tmp/image.json" >"$tmp/driver.out"
is "$? $(grep -c '^missing ' "$tmp/driver.out")" "1 2" "(c) the images phase's check reports both missing"
stop_containerd

# --- (d) the images phase's verdicts on a live store.
reset_store
start_containerd
ok $? "(d) containerd starts on the seeded store"
verdicts() { timeout 10 "$driver" "$sock" "$tmp/image.json" >"$tmp/driver.out"; echo "$?"; cat "$tmp/driver.out"; }
is "$(verdicts)" "0
ok $coredns
ok $pause
detail: 2 seeded images present, pinned, at their digests" "(d) all ok"

ctrk images label "$pause" io.cri-containerd.pinned= >/dev/null
is "$(verdicts)" "1
ok $coredns
not-pinned $pause
detail: 1 of 2 seeded images wrong: $pause not pinned (no io.cri-containerd.pinned=pinned label)" \
	"(d) the pin removed: not-pinned"

ctrk images tag --force "$pause" "$coredns" >/dev/null
is "$(digest_of "$coredns")" "$pause_digest" "(d) $coredns retagged to pause's digest"
is "$(verdicts)" "1
wrong-digest $coredns $pause_digest
not-pinned $pause
detail: 2 of 2 seeded images wrong: $coredns has $pause_digest (want $coredns_digest); $pause not pinned (no io.cri-containerd.pinned=pinned label)" \
	"(d) retagged: wrong-digest, with the digest found"

ctrk images rm "$pause" >/dev/null
is "$(verdicts)" "1
wrong-digest $coredns $pause_digest
missing $pause
detail: 2 of 2 seeded images wrong: $coredns has $pause_digest (want $coredns_digest); $pause missing" \
	"(d) deleted: missing"
stop_containerd
timeout 10 "$driver" "$sock" "$tmp/image.json" >/dev/null 2>"$tmp/driver.err"
is "$? $(cat "$tmp/driver.err")" "2 containerd_list_images $sock: No such file or directory" \
	"(d) containerd stopped: the check cannot run (-ENOENT)"

# --- A restore that cannot happen fails the start of containerd.
reset_store
rm "$root/$meta" "$tmp/seed/$meta"
run_check
is "$?" 1 "no seed copy for a missing meta.db: exit 1 (containerd must not start)"
grep -q "\[KILN_STORE_FAILED=$root/$meta\] Failed to restore .*: the seed has no copy of it" "$tmp/check.err"
ok $? "logged with KILN_STORE_FAILED=<meta.db>" || diag "$(cat "$tmp/check.err")"
[[ ! -e $root/$meta && $(ls -A "$root/${meta%/*}") == "" ]]
ok $? "nothing written"

tap_done

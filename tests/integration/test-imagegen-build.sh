#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Integration: kiln-imagegen build against the real mmdebstrap, Debian mirror (from the
# host's apt configuration), tools tree and file system tools.
#   - two independent builds, each with its own empty cache, are bit-identical: disk.raw,
#     disk.qcow2, kiln.iso, every file of pxe/, kiln.box (--format raw,qcow2,iso,pxe,box)
#     and manifest.json
#   - kiln.box holds metadata.json (virtual_size: box.img's, in GiB), a Vagrantfile and
#     box.img; the box's root file system has sshd, the vagrant user, its key and sudo,
#     and disk.raw's has none of them; a file both kiln and the box's packages change
#     fails the box build
#   - disk.qcow2 is a qcow2 of disk.raw's virtual size and content (qemu-img info, compare)
#   - a rebuild after a hostname change reuses the cached root file system; --format qcow2
#     alone leaves no disk.raw in OUTDIR
#   - manifest.json agrees with the disk's partition table, the installed programs and the
#     output files' digests
#   - bad input (an unknown format, missing package, too little disk, too small partition,
#     a diskless PXE set over its RAM budget, no lock file for a build with Kubernetes, an
#     occupied OUTDIR) and SIGINT leave no partial output
source "$KILN_SRCDIR/tests/lib/tap.sh"

[[ $(id -u) -eq 0 ]] || skip_all "building images needs root"
for t in mmdebstrap unshare sfdisk python3; do
	command -v "$t" >/dev/null || skip_all "$t is not installed (tools/install-deps)"
done

imagegen=$KILN_BUILDDIR/imagegen/kiln-imagegen
work=$(mktemp -d "${TMPDIR:-/tmp}/kiln-build-it-XXXXXX")
trap 'rm -rf "$work"' EXIT
export SOURCE_DATE_EPOCH=1700000000

profile() {	# profile NAME HOSTNAME: the boot test profile renamed, with a hostname
	sed -e "s/^name: .*/name: $1/" "$KILN_SRCDIR/tests/boot/boot.yaml" > "$work/$1-$2.yaml"
	python3 - "$work/$1-$2.yaml" "$2" <<'PY'
import sys
p, host = sys.argv[1], sys.argv[2]
s = open(p).read().replace("  role: single\n", "  role: single\n  hostname: %s\n" % host)
open(p, "w").write(s)
PY
	echo "$work/$1-$2.yaml"
}

no_partial() {	# no_partial OUTDIR: nothing named OUTDIR or OUTDIR.partial-* exists
	! compgen -G "$1*" >/dev/null
}

json() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$@"; }

# --- An unknown format: refused before any work.
p=$(profile repro node-a)
for f in nope; do
	"$imagegen" build --without-kubernetes --format "raw,$f" --cache "$work/cache-1" -o "$work/out-$f" "$p" >"$work/f-$f.log" 2>&1
	status=$?
	want="--format raw,$f: unknown format \"$f\"; the formats are raw, iso, pxe, qcow2 and box, comma-separated."
	is "$status" 2 "--format raw,$f is refused (exit 2)"
	grep -qF -- "$want" "$work/f-$f.log"
	ok $? "the refusal names the format: $(head -n 1 "$work/f-$f.log")"
	[[ ! -e $work/out-$f && ! -e $work/cache-1 ]]
	ok $? "before any work: no output, no cache"
done

# --- Reproducibility: two cold builds from separate empty caches, side by side.
"$imagegen" build --without-kubernetes --format raw,qcow2,iso,pxe,box --cache "$work/cache-1" -o "$work/out-1" "$p" >"$work/b1.log" 2>&1 &
pid1=$!
"$imagegen" build --without-kubernetes --format raw,qcow2,iso,pxe,box --cache "$work/cache-2" -o "$work/out-2" "$p" >"$work/b2.log" 2>&1 &
pid2=$!
wait $pid1; s1=$?
wait $pid2; s2=$?
ok $((s1 | s2)) "two cold builds succeed (exit $s1 and $s2)" || { tail -n 30 "$work/b1.log" "$work/b2.log" | sed 's/^/# /'; }
h1=$(sha256sum < "$work/out-1/disk.raw" | cut -c1-64)
h2=$(sha256sum < "$work/out-2/disk.raw" | cut -c1-64)
is "$h1" "$h2" "disk.raw is bit-identical across two independent builds ($h1)"
q1=$(sha256sum < "$work/out-1/disk.qcow2" | cut -c1-64)
q2=$(sha256sum < "$work/out-2/disk.qcow2" | cut -c1-64)
is "$q1" "$q2" "disk.qcow2 is bit-identical too ($q1, $(stat -c %s "$work/out-1/disk.qcow2") bytes)"
i1=$(sha256sum < "$work/out-1/kiln.iso" | cut -c1-64)
i2=$(sha256sum < "$work/out-2/kiln.iso" | cut -c1-64)
is "$i1" "$i2" "kiln.iso is bit-identical too ($i1, $(stat -c %s "$work/out-1/kiln.iso") bytes)"
x1=$(sha256sum < "$work/out-1/kiln.box" | cut -c1-64)
x2=$(sha256sum < "$work/out-2/kiln.box" | cut -c1-64)
is "$x1" "$x2" "kiln.box is bit-identical too ($x1, $(stat -c %s "$work/out-1/kiln.box") bytes)"
pxe_sums() { (cd "$1/pxe" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum); }
check "every file of pxe/ is identical too ($(find "$work/out-1/pxe" -type f | wc -l) files, $(du -sb "$work/out-1/pxe" | cut -f1) bytes)" -- \
	cmp -s <(pxe_sums "$work/out-1") <(pxe_sums "$work/out-2")
check "manifest.json is identical too" -- cmp -s "$work/out-1/manifest.json" "$work/out-2/manifest.json"
rm -rf "$work/cache-2" "$work/out-2"

# --- The installer's confinement: the initrd ends with the cpio archive initrd-confine.c
# appends, holding this build's static kiln-confine and the install-* profiles.
appended=$(python3 "$KILN_SRCDIR/tests/lib/initrd-appended.py" "$work/out-1/pxe/initrd.img")
ok $? "pxe/initrd.img ends with an appended newc cpio archive"
want=$(
	for d in usr usr/lib usr/lib/kiln usr/lib/kiln/install usr/lib/kiln/install/security; do
		echo "40755 0 0 $SOURCE_DATE_EPOCH 0 - $d"
	done
	entry() { echo "$1 0 0 $SOURCE_DATE_EPOCH $(stat -c %s "$2") $(sha256sum <"$2" | cut -c1-64) $3"; }
	entry 100755 "$KILN_BUILDDIR/supervisor/kiln-confine.static" usr/lib/kiln/install/kiln-confine
	for p in install-fetch install-mount install-read install-write; do
		entry 100644 "$KILN_SRCDIR/profiles/security/$p.yaml" "usr/lib/kiln/install/security/$p.yaml"
	done)
is "$appended" "$want" "it holds the static kiln-confine and the four install-* profiles, root's, at SOURCE_DATE_EPOCH"

# --- disk.qcow2 is disk.raw for a VM.
m=$work/out-1/manifest.json
raw_size=$(stat -c %s "$work/out-1/disk.raw")
if command -v qemu-img >/dev/null; then
	info=$(qemu-img info --output=json "$work/out-1/disk.qcow2")
	is "$(python3 -c 'import json, sys; i = json.load(sys.stdin); print(i["format"], i["virtual-size"])' <<<"$info")" \
		"qcow2 $raw_size" "qemu-img info: format qcow2, virtual size disk.raw's ($raw_size)"
	out=$(qemu-img compare -f raw -F qcow2 "$work/out-1/disk.raw" "$work/out-1/disk.qcow2" 2>&1)
	ok $? "qemu-img compare: disk.raw and disk.qcow2 have the same content ($out)"
else
	skip 2 "qemu-img is not installed on this host: disk.qcow2 is not read"
fi
is "$(json "$m" '" ".join(sorted(d["outputs"]))')" "disk.qcow2 disk.raw kiln.box kiln.iso pxe" "manifest outputs: disk.qcow2, disk.raw, kiln.box, kiln.iso and pxe, not itself"
is "$(json "$m" '" ".join("%s:%s" % (f, o["sha256"]) for f, o in sorted(d["outputs"]["pxe"]["files"].items()))')" \
	"$(cd "$work/out-1/pxe" && find . -type f | sed 's|^\./||' | LC_ALL=C sort | while read -r f; do printf '%s:%s ' "$f" "$(sha256sum <"$f" | cut -c1-64)"; done | sed 's/ $//')" \
	"manifest outputs: every file of pxe/ with its sha256"
is "$(json "$m" '"%s %s %d" % tuple(d["outputs"]["kiln.box"][k] for k in ("format", "sha256", "size"))')" \
	"vagrant $x1 $(stat -c %s "$work/out-1/kiln.box")" "manifest outputs: kiln.box's format, sha256 and size"

# --- kiln.box: a Vagrant box for libvirt, whose root alone has what Vagrant needs.
# root_tree DISK DIR: the root-a partition's erofs of the raw DISK, extracted into DIR.
root_tree() {
	local start size
	read -r start size < <(sfdisk -J "$1" | python3 -c '
import json, sys
p = [p for p in json.load(sys.stdin)["partitiontable"]["partitions"] if p.get("name") == "root-a"][0]
print(p["start"] * 512, p["size"] * 512)')
	dd if="$1" of="$2.erofs" iflag=skip_bytes,count_bytes skip="$start" count="$size" conv=sparse status=none &&
		mkdir -p "$2" && fsck.erofs --extract="$2" "$2.erofs" >/dev/null 2>&1
	local s=$?
	rm -f "$2.erofs"
	return $s
}
mkdir "$work/box"
tar -xf "$work/out-1/kiln.box" -C "$work/box"
is "$(TZ=UTC tar -tvf "$work/out-1/kiln.box" | awk '{print $1, $2, $4, $5}' | sort -u | tr '\n' ';')" \
	"-rw-r--r-- root/root 2023-11-14 22:13;" "kiln.box: every member 0644, root/root, SOURCE_DATE_EPOCH's time" ||
	TZ=UTC tar -tvf "$work/out-1/kiln.box" | sed 's/^/# /'
is "$(tar -tf "$work/out-1/kiln.box" | tr '\n' ' ')" "metadata.json Vagrantfile box.img " "kiln.box: metadata.json, Vagrantfile, box.img, in this order"
is "$(json "$work/box/metadata.json" '"%s %s" % (d["provider"], d["format"])')" "libvirt qcow2" "metadata.json: provider libvirt, format qcow2"
if command -v qemu-img >/dev/null && command -v fsck.erofs >/dev/null; then
	vsize=$(qemu-img info --output=json "$work/box/box.img" | python3 -c 'import json, sys; i = json.load(sys.stdin); print(i["format"], i["virtual-size"])')
	gib=$(json "$work/box/metadata.json" 'd["virtual_size"]')
	is "$vsize" "qcow2 $((gib * 1024 * 1024 * 1024))" "metadata.json's virtual_size ($gib GiB) is box.img's (qemu-img info: $vsize)"
	qemu-img convert -f qcow2 -O raw "$work/box/box.img" "$work/box/box.raw" && rm -f "$work/box/box.img"
	root_tree "$work/box/box.raw" "$work/box/root" && root_tree "$work/out-1/disk.raw" "$work/node-root"
	ok $? "the root file systems of box.img and disk.raw extracted (fsck.erofs)"
	rm -f "$work/box/box.raw"
	has() {	# has ROOT: what the box needs, one word each, "-" where it is missing
		local r=$1
		[[ -x $r/usr/sbin/sshd ]] && echo -n "sshd " || echo -n "- "
		[[ -L $r/etc/systemd/system/multi-user.target.wants/ssh.service ]] && echo -n "ssh-enabled " || echo -n "- "
		grep -q '^vagrant:x:1000:1000:' "$r/etc/passwd" && echo -n "user " || echo -n "- "
		grep -q 'vagrant insecure public key' "$r/home/vagrant/.ssh/authorized_keys" 2>/dev/null && echo -n "key " || echo -n "- "
		grep -q '^vagrant ALL=(ALL) NOPASSWD: ALL' "$r/etc/sudoers.d/vagrant" 2>/dev/null && echo -n "sudo " || echo -n "- "
		[[ -e $r/etc/systemd/network/10-kiln-box.network ]] && echo -n "dhcp" || echo -n "-"
	}
	is "$(has "$work/box/root")" "sshd ssh-enabled user key sudo dhcp" "the box's root: sshd (enabled), the vagrant user, its key, sudo, DHCP"
	is "$(has "$work/node-root")" "- - - - - -" "disk.raw's root: none of them"
	is "$(stat -c '%u %a' "$work/box/root/home/vagrant/.ssh" "$work/box/root/home/vagrant/.ssh/authorized_keys" | tr '\n' ' ')" \
		"1000 700 1000 600 " "the key is the vagrant user's (uid 1000), as sshd's StrictModes wants"
	ls "$work/box/root/etc/ssh/" | grep -q ssh_host_
	ok $(( $? == 0 ? 1 : 0 )) "no sshd host key in the box's image (each machine makes its own)"
	is "$(cmp -s "$work/box/root/usr/bin/kilnctl" "$work/node-root/usr/bin/kilnctl" && echo same)" same "the box's root has the node's kilnctl"
	rm -rf "$work/box"
else
	skip 7 "qemu-img or fsck.erofs is not installed on this host: box.img is not read"
fi
# A file that kiln's tree (here an --extra-tree) and the box's packages both change: the
# box build fails and names it, rather than one side silently winning.
mkdir -p "$work/conflict/etc/ssh" && echo "# not Debian's" >"$work/conflict/etc/ssh/sshd_config"
"$imagegen" build --without-kubernetes --format box --extra-tree "$work/conflict" --cache "$work/cache-1" \
	-o "$work/out-conflict" "$p" >"$work/conflict.log" 2>&1
ok $(( $? == 1 ? 0 : 1 )) "a file both the node's tree and the box's packages change fails the box build"
grep -q "/etc/ssh/sshd_config: changed both by the box's packages" "$work/conflict.log"
ok $? "the error names the file" || diag_tail "$work/conflict.log" 3
no_partial "$work/out-conflict"
ok $? "no partial output"
is "$(json "$m" '"%s %s %d" % tuple(d["outputs"]["kiln.iso"][k] for k in ("format", "sha256", "size"))')" \
	"iso $i1 $(stat -c %s "$work/out-1/kiln.iso")" "manifest outputs: kiln.iso's format, sha256 and size"
is "$(json "$m" '"%s %s %d" % (d["outputs"]["disk.raw"]["format"], d["outputs"]["disk.raw"]["sha256"], d["outputs"]["disk.raw"]["size"])')" \
	"raw $h1 $raw_size" "manifest outputs: disk.raw's format, sha256 (sha256sum's) and size"
is "$(json "$m" '"%s %s %d %d" % tuple(d["outputs"]["disk.qcow2"][k] for k in ("format", "sha256", "size", "virtualSize"))')" \
	"qcow2 $q1 $(stat -c %s "$work/out-1/disk.qcow2") $raw_size" \
	"manifest outputs: disk.qcow2's format, sha256 (sha256sum's), size and virtual size"

# --- The manifest tells the truth about the disk.
is "$(json "$m" 'len(d["partitions"])')" 4 "manifest lists four partitions"
gpt=$(sfdisk -J "$work/out-1/disk.raw" | python3 -c '
import json, sys
t = json.load(sys.stdin)["partitiontable"]
print(" ".join("%s:%d:%d" % (p["uuid"].lower(), p["start"] * 512, p["size"] * 512) for p in t["partitions"]))')
man=$(json "$m" '" ".join("%s:%d:%d" % (p["uuid"], p["start"], p["size"]) for p in d["partitions"])')
is "$gpt" "$man" "the GPT on disk.raw matches the manifest's partition table"
is "$(json "$m" '"systemd" in d["packages"] and "containerd" in d["packages"]')" True \
	"manifest lists installed packages with versions (systemd $(json "$m" 'd["packages"]["systemd"]["version"]'))"
is "$(json "$m" '" ".join(sorted(n for n, p in d["packages"].items() if not p["version"] or not p["origin"]))')" "" \
	"every package has a version and the suites it came from"
suites=$(json "$m" '" ".join(sorted(set(s for p in d["packages"].values() for s in p["origin"])))')
diag "suites packages came from: $suites; from trixie-security: $(json "$m" 'sum(1 for p in d["packages"].values() if "trixie-security" in p["origin"])'), from trixie-updates: $(json "$m" 'sum(1 for p in d["packages"].values() if "trixie-updates" in p["origin"])')"
is "$(json "$m" 'sorted(set(s for p in d["packages"].values() for s in p["origin"]) - {"trixie", "trixie-security", "trixie-updates"})')" "[]" \
	"packages come from trixie, trixie-security and trixie-updates only"
is "$(json "$m" 'any("trixie-security" in p["origin"] for p in d["packages"].values())')" True \
	"the image takes security updates by default (kernel $(json "$m" 'd["kernel"]'))"
is "$(json "$m" 'd["files"]["/usr/bin/kilnctl"]["sha256"]')" "$(sha256sum < "$KILN_BUILDDIR/supervisor/kilnctl" | cut -c1-64)" \
	"manifest records kilnctl with the digest of the binary that was installed"
is "$(json "$m" 'd["kubernetes"]["present"]')" False "manifest records that Kubernetes is absent"
is "$(json "$m" '" ".join(sorted(f for f in d["files"] if "kubeadm" in f or "kubelet" in f or "/cni/" in f or "crictl" in f))')" "" \
	"without Kubernetes: no kubeadm configuration, kubelet unit, pod network or crictl configuration"
is "$(json "$m" 'd["files"]["/etc/hostname"]["sha256"]')" "$(printf 'node-a\n' | sha256sum | cut -c1-64)" \
	"the profile's hostname is in the image"

# --- Rebuild after changing only the hostname: the root file system comes from the cache.
# qcow2 alone: disk.raw is made, converted, and not left in OUTDIR.
p2=$(profile repro node-b)
start=$SECONDS
"$imagegen" build --without-kubernetes --format qcow2 --cache "$work/cache-1" -o "$work/out-3" "$p2" >"$work/b3.log" 2>&1
ok $? "rebuild with another hostname, --format qcow2, succeeds in $((SECONDS - start)) s"
grep -q "Root file system: cached" "$work/b3.log"
ok $? "the rebuild reused the cached root file system"
is "$(ls "$work/out-3" | tr '\n' ' ')" "disk.qcow2 manifest.json " "--format qcow2: OUTDIR holds disk.qcow2 and manifest.json, no disk.raw"
is "$(json "$work/out-3/manifest.json" '" ".join(sorted(d["outputs"]))')" "disk.qcow2" "and the manifest lists disk.qcow2 alone"
isnt_same=$(cmp -s "$work/out-1/disk.qcow2" "$work/out-3/disk.qcow2" && echo same || echo differs)
is "$isnt_same" differs "a different hostname gives a different image"

# --- A package that does not exist: the error names it, nothing is written.
sed 's/^  packages: \[\]/  packages: [kiln-no-such-package]/' "$p" > "$work/badpkg.yaml"
"$imagegen" build --without-kubernetes --cache "$work/cache-1" -o "$work/out-bad" "$work/badpkg.yaml" >"$work/bad.log" 2>&1
status=$?
ok $((status == 1 ? 0 : 1)) "a missing package fails the build (exit $status)"
grep -q 'Package "kiln-no-such-package" does not exist' "$work/bad.log"
ok $? "the error names the missing package" || sed 's/^/# /' "$work/bad.log" | tail -n 5
no_partial "$work/out-bad"
ok $? "no partial output"

# --- A partition smaller than its content: refused with the sizes.
sed 's/rootSize: 1GiB/rootSize: 256MiB/' "$p" > "$work/small.yaml"
"$imagegen" build --without-kubernetes --cache "$work/cache-1" -o "$work/out-small" "$work/small.yaml" >"$work/small.log" 2>&1
ok $(( $? == 1 ? 0 : 1 )) "a root partition smaller than the root file system fails the build"
grep -qE 'root file system needs [0-9]+ MiB, but outputs.disk.rootSize is 256 MiB' "$work/small.log"
ok $? "the error gives both sizes" || tail -n 3 "$work/small.log" | sed 's/^/# /'
no_partial "$work/out-small"
ok $? "no partial output"

# --- A diskless PXE set over the profile's RAM budget: refused with both sizes.
sed 's/ramBudget: 512MiB/ramBudget: 64MiB/' "$p" > "$work/ram.yaml"
"$imagegen" build --without-kubernetes --format pxe --cache "$work/cache-1" -o "$work/out-ram" "$work/ram.yaml" >"$work/ram.log" 2>&1
ok $(( $? == 1 ? 0 : 1 )) "a diskless PXE set over install.ramBudget fails the build"
grep -qE 'pxe: a diskless node holds the root image \([0-9]+ MiB\) and var \([0-9]+ MiB\) in RAM: [0-9]+ MiB, over install.ramBudget \(64 MiB\)' "$work/ram.log"
ok $? "the error gives the sizes and the limit: $(grep -m1 -o 'pxe: a diskless.*ramBudget (64 MiB)' "$work/ram.log")"
no_partial "$work/out-ram"
ok $? "no partial output"

# --- Not enough free disk: refused before any work, with the numbers.
if unshare -m true 2>/dev/null; then
	mkdir "$work/tiny"
	out=$(unshare -m bash -c "mount -t tmpfs -o size=64m tmpfs '$work/tiny' && \
		timeout 60 '$imagegen' build --without-kubernetes --cache '$work/tiny/cache' -o '$work/tiny/out' '$p' 2>&1; \
		echo \"exit=\$?\"; ls -A '$work/tiny/cache' 2>/dev/null | tr '\n' ' '")
	grep -q "exit=1" <<<"$out"
	ok $? "a build that cannot fit is refused"
	grep -qE 'Not enough free disk space for the build: .* has [0-9]+ MiB free, the build needs about [0-9]+ MiB there' <<<"$out"
	ok $? "the refusal gives free and needed MiB" || sed 's/^/# /' <<<"$out" | tail -n 3
	grep -q "mmdebstrap" <<<"$out"
	ok $(( $? == 0 ? 1 : 0 )) "it was refused before any download started"
else
	skip 3 "cannot make a mount namespace for a small tmpfs"
fi

# --- With Kubernetes, the bundle comes from a lock file: without one the build stops at
# once, before any Debian work, and says what to run (tests/integration/
# test-imagegen-bundle.sh builds with a lock file, binaries and images).
"$imagegen" build --cache "$work/cache-1" -o "$work/out-k8s" "$p" >"$work/k8s.log" 2>&1
ok $(( $? == 1 ? 0 : 1 )) "without a lock file or --without-kubernetes the build stops"
grep -q "No lock file $(dirname "$p")/kiln.lock: run \"kiln-imagegen lock\" and \"kiln-imagegen fetch\"" "$work/k8s.log"
ok $? "the error names the lock file and the commands that make it" || sed 's/^/# /' "$work/k8s.log" | tail -n 3
grep -q "mmdebstrap" "$work/k8s.log"
ok $(( $? == 0 ? 1 : 0 )) "it stopped before the Debian steps"
[[ ! -e $work/out-k8s ]]
ok $? "nothing was written"

# --- OUTDIR that is not an earlier build's output is left alone.
mkdir "$work/occupied" && echo precious > "$work/occupied/file"
"$imagegen" build --without-kubernetes --cache "$work/cache-1" -o "$work/occupied" "$p" >"$work/occ.log" 2>&1
ok $(( $? == 1 ? 0 : 1 )) "an occupied OUTDIR is refused"
is "$(cat "$work/occupied/file")" precious "and its content is untouched"
ls -d "$work"/occupied.partial-* >/dev/null 2>&1
ok $(( $? == 0 ? 1 : 0 )) "no staging directory is left behind"
# An earlier build's output is replaced.
"$imagegen" build --without-kubernetes --cache "$work/cache-1" -o "$work/out-3" "$p" >"$work/re.log" 2>&1
ok $? "an earlier build's OUTDIR is replaced"
is "$(sha256sum < "$work/out-3/disk.raw" | cut -c1-64)" "$h1" "with the new image"
[[ ! -e $work/out-3/disk.qcow2 ]]
ok $? "the earlier build's disk.qcow2 is gone with it (the profile asks for raw only)"

# --- SIGINT in the middle: exit 130, nothing left behind.
"$imagegen" build --without-kubernetes --cache "$work/cache-1" -o "$work/out-int" "$p2" >"$work/int.log" 2>&1 &
pid=$!
wait_for 60 grep -q "Image tree ..." "$work/int.log"
kill -INT $pid
wait $pid
status=$?
is "$status" 130 "SIGINT stops the build with status 130"
grep -q 'Interrupted during step' "$work/int.log"
ok $? "the build says which step was interrupted"
no_partial "$work/out-int"
ok $? "no output and no staging directory"
left=$(find "$work/cache-1/tools" -mindepth 3 -maxdepth 3 -path '*/work/build-*' | wc -l)
is "$left" 0 "no work directory is left in the cache"

tap_done

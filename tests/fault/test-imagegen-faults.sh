#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Fault tier: kiln-imagegen build tried as an unlucky operator would, against the real
# mmdebstrap, Debian mirror (from the host's apt configuration) and file system tools.
# Each case checks the exit status, the message, that nothing outside OUT and the cache
# changed (no process, no mount, no staging directory, no lock file left) and that the
# next build gives the same disk.raw as an undisturbed one:
#   A  a user's directory with a manifest.json as -o: refused before any work, intact
#   B  outputs that cannot work, refused before the first step; "-o out/" works
#   C  ENOSPC at each step from the image tree to the manifest (a tmpfs filled while the
#      build is stopped before the step): the step, the file system and the need named,
#      no hang (mkfs.erofs waits forever after ENOSPC); SIGTERM stops a hung tool
#   D  ENOSPC while dpkg installs the root file system and while mmdebstrap writes a
#      tarball: exit 1, ENOSPC said, no mmdebstrap left behind (its SIGHUP to its process
#      group used to reach kiln)
#   E  SIGKILL during mmdebstrap and in a later step, two quick ^C: nothing keeps running,
#      nothing stays mounted, and the next build removes what was left and says so; a
#      second build that needs the cache meanwhile waits and says for whom
#   F  a damaged cache (bytes changed in libc, systemd truncated, a module directory
#      deleted, a tool truncated): named, made again, the image unchanged
#   G  two builds into one OUTDIR: the second waits, says for whom, and both succeed
# The stops before a step come from KILN_IMAGEGEN_TEST_STOP_BEFORE (kiln-imagegen(1)):
# a fault hook, so that filling a file system or killing the build does not depend on
# timing. Small file systems are tmpfs mounted in this test's own mount namespace.
source "$KILN_SRCDIR/tests/lib/tap.sh"

[[ $(id -u) -eq 0 ]] || skip_all "building images needs root"
for t in mmdebstrap unshare fallocate python3 setsid; do
	command -v "$t" >/dev/null || skip_all "$t is not installed (tools/install-deps)"
done
# A mount namespace of our own: every tmpfs below goes away with the test.
if [[ -z ${KILN_FAULTS_NS:-} ]]; then
	KILN_FAULTS_NS=1 exec unshare --mount --propagation private "$0" "$@"
fi

imagegen=$KILN_BUILDDIR/imagegen/kiln-imagegen
work=$(mktemp -d "${TMPDIR:-/tmp}/kiln-faults-XXXXXX")
cleanup() {
	local p
	for p in $(pgrep -f "$work" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
	grep -o " $work[^ ]*" /proc/self/mountinfo | sort -r | while read -r m; do umount -l "$m"; done
	rm -rf "$work"
}
trap cleanup EXIT
export SOURCE_DATE_EPOCH=1700000000
profile=$work/faults.yaml
sed -e "s/^name: .*/name: kiln-faults/" "$KILN_SRCDIR/tests/boot/boot.yaml" >"$profile"

n=0
# run LOG OUT CACHE [ENV=VALUE...]: start a build in the background (its own session, as
# from a terminal of its own); BUILD is its pid.
run() {
	local log=$1 out=$2 cache=$3; shift 3
	setsid env "$@" "$imagegen" build --without-kubernetes --cache "$cache" -o "$out" "$profile" >"$log" 2>&1 &
	BUILD=$!
}
# finish PID SECONDS: its exit status; 255 (after SIGKILL) if it did not end in time.
finish() {
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		kill -0 "$1" 2>/dev/null || { wait "$1"; return; }
		sleep 0.1
	done
	kill -9 "$1" 2>/dev/null
	wait "$1"
	return 255
}
stopped() { [[ $(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) == T ]]; }
# build OUT CACHE [ENV=VALUE...]: a whole build in the foreground; its log is $LOG.
build() {
	LOG=$work/log.$((++n))
	run "$LOG" "$@"
	finish "$BUILD" 900
}
sha() { sha256sum <"$1/disk.raw" | cut -c1-64; }
# Leftovers of the builds that used CACHE or OUT: processes, mounts, staging directories,
# scratch directories, lock files. Prints what it finds.
leftovers() {
	local cache=$1 out=$2
	pgrep -af "$cache|$out" | grep -v pgrep
	grep -F " $cache" /proc/self/mountinfo
	compgen -G "$out.partial-*"
	find "$cache/tmp" "$cache"/tools/*/work -mindepth 1 -maxdepth 1 2>/dev/null
	compgen -G "$cache/mmdebstrap.*"
	local parent
	parent=$(realpath "$(dirname "$out")")
	compgen -G "/run/lock/kiln-imagegen/output-$(printf '%s' "$parent/$(basename "$out")" | sha256sum | cut -c1-16).lock"
}
running() { pgrep -f "$1" >/dev/null; }
gone() { ! pgrep -f "$1" >/dev/null; }
none_left() {	# none_left CACHE OUT DESCRIPTION
	local l
	l=$(leftovers "$1" "$2")
	is "$l" "" "$3"
}
fill() {	# fill DIR MiB: leave that much room on DIR's file system
	local avail
	avail=$(df -B1 --output=avail "$1" | tail -1)
	fallocate -l $((avail - $2 * 1048576)) "$1/filler"
}

# --- The undisturbed build: the reference image and cache.
build "$work/ref" "$work/cache"
ok $? "an undisturbed build succeeds" || diag_tail "$LOG"
ref=$(sha "$work/ref")
diag "reference disk.raw $ref"
cache_size() { du -sb --exclude=logs --exclude='*.lock' "$1" | cut -f1; }
cache_bytes=$(cache_size "$work/cache")
none_left "$work/cache" "$work/ref" "it leaves nothing behind but the cache and the output"

# --- A: a user's directory that happens to hold a manifest.json.
proj=$work/project
mkdir -p "$proj/src" "$proj/.git"
echo '{}' >"$proj/manifest.json"
echo "my project" >"$proj/README"
echo 'console.log("hi")' >"$proj/src/main.js"
echo 'ref: refs/heads/main' >"$proj/.git/HEAD"
snap() { (cd "$1" && find . -printf '%p %y %m %s %T@\n' | sort && find . -type f -exec sha256sum {} + | sort) | sha256sum; }
before=$(snap "$proj")
build "$proj" "$work/cache"
is $? 1 "a user's directory with a manifest.json as OUTDIR: exit 1"
grep -q "Refusing to write the image to $proj: it holds \".git\", which kiln did not write. Nothing was changed." "$LOG"
ok $? "the refusal names a file kiln did not write" || diag_tail "$LOG" 3
grep -q '\[1/12\]' "$LOG"
ok $(($? == 0 ? 1 : 0)) "refused before the first step"
is "$(snap "$proj")" "$before" "the directory is byte for byte intact"
none_left "$work/cache" "$proj" "nothing left behind"
# A kiln manifest among the user's files is no better.
cp "$work/ref/manifest.json" "$proj/manifest.json"
before=$(snap "$proj")
build "$proj" "$work/cache"
is $? 1 "the same with kiln's own manifest.json in it: exit 1"
is "$(snap "$proj")" "$before" "and intact"

# --- B: outputs that cannot work, refused before the first step.
echo data >"$work/a-file"
build "$work/a-file" "$work/cache"
is $? 1 "a file as OUTDIR: exit 1"
grep -q "Refusing to write the image to $work/a-file: it is not a directory" "$LOG" && ! grep -q '\[1/12\]' "$LOG"
ok $? "refused before the first step" || diag_tail "$LOG" 3
is "$(cat "$work/a-file")" data "the file is intact"
mkdir "$work/ro" && mount -t tmpfs -o ro,size=1m tmpfs "$work/ro"
build "$work/ro" "$work/cache"
is $? 1 "a (read-only) mount point as OUTDIR: exit 1"
grep -q "it is a mount point" "$LOG" && ! grep -q '\[1/12\]' "$LOG"
ok $? "refused before the first step, saying why" || diag_tail "$LOG" 3
build "$work/ro/out" "$work/cache"
is $? 1 "an OUTDIR on a read-only file system: exit 1"
grep -q "Cannot write next to $work/ro/out ($work/ro): Read-only file system" "$LOG" && ! grep -q '\[1/12\]' "$LOG"
ok $? "refused before the first step, saying why" || diag_tail "$LOG" 3
build "$work/slash/" "$work/cache"
ok $? "-o with a trailing slash works" || diag_tail "$LOG"
is "$(sha "$work/slash")" "$ref" "and gives the reference image"
none_left "$work/cache" "$work/slash" "nothing left behind"
build "$work/slash" "$work/cache"
ok $? "an earlier output is replaced"
is "$(ls -A "$work/slash" | tr '\n' ' ')" ".kiln-output disk.raw manifest.json " "by kiln's files only"
rm -rf "$work/slash"

# --- C: ENOSPC at each step, the build stopped just before it and the disk filled.
mkdir "$work/small" && mount -t tmpfs -o size=3g tmpfs "$work/small"
cp -a "$work/cache" "$work/small/cache"
sc=$work/small/cache
for spec in tree:0 root-image:40 var-image:0 esp:0 disk:40 manifest:0; do
	step=${spec%%:*} leave=${spec#*:}
	out=$work/small/out-$step
	LOG=$work/log.$((++n))
	run "$LOG" "$out" "$sc" KILN_IMAGEGEN_TEST_STOP_BEFORE="$step"
	wait_for 120 stopped "$BUILD"
	ok $? "ENOSPC in $step: the build stopped before the step" || { diag_tail "$LOG"; continue; }
	fill "$work/small" "$leave"
	start=$SECONDS
	kill -CONT "$BUILD"
	finish "$BUILD" 120
	status=$?
	took=$((SECONDS - start))
	is "$status" 1 "ENOSPC in $step: exit 1 after $took s (no hang)"
	grep -q "Out of disk space (ENOSPC) in step \"$step\": the file system of .* (mounted on $work/small) has [0-9]* MiB free; this step needs about [0-9]* MiB there" "$LOG"
	ok $? "ENOSPC in $step: the step, the file system and the room needed are named" || diag_tail "$LOG" 6
	rm -f "$work/small/filler"
	none_left "$sc" "$out" "ENOSPC in $step: nothing left behind"
	[[ ! -e $out ]]
	ok $? "ENOSPC in $step: no output"
done
grep -h "mkfs.erofs (root file system): the file system holding" "$work"/log.* | head -n 1 | sed 's/^/# /'
build "$work/small/out" "$sc"
ok $? "after the full disks, a build succeeds"
is "$(sha "$work/small/out")" "$ref" "with the reference image"
rm -rf "$work/small/out"
# A tool that hangs on a full disk stops at SIGTERM, with everything it started.
LOG=$work/log.$((++n))
run "$LOG" "$work/small/out" "$sc" KILN_IMAGEGEN_TEST_STOP_BEFORE=root-image
wait_for 120 stopped "$BUILD"
fill "$work/small" 40
kill -CONT "$BUILD"
wait_for 30 running "mkfs.erofs.*/work/build-"
ok $? "mkfs.erofs runs into the full disk"
sleep 1
kill -TERM "$BUILD"
finish "$BUILD" 10
is $? 143 "SIGTERM ends the build at once (exit 143)"
grep -q 'Interrupted during step "root-image" (signal 15)' "$LOG"
ok $? "saying where" || diag_tail "$LOG" 3
rm -f "$work/small/filler"
none_left "$sc" "$work/small/out" "mkfs.erofs and its namespace are gone"
umount "$work/small"

# --- D: ENOSPC in mmdebstrap: while dpkg installs the root file system, and while
# mmdebstrap writes the tools tree's tarball (the small tree: a quicker run of the same).
mkdir "$work/small2" && mount -t tmpfs -o size=4g tmpfs "$work/small2"
sc=$work/small2/cache
for spec in rootfs:install:400 tools:tarball:220; do
	IFS=: read -r tree what leave <<<"$spec"
	rm -rf "$sc" && cp -a "$work/cache" "$sc" && rm -rf "${sc:?}/$tree"
	out=$work/small2/out-$what
	LOG=$work/log.$((++n))
	run "$LOG" "$out" "$sc" KILN_IMAGEGEN_TEST_STOP_BEFORE="$([[ $tree == rootfs ]] && echo rootfs || echo tools)"
	wait_for 120 stopped "$BUILD"
	fill "$work/small2" "$leave"
	kill -CONT "$BUILD"
	finish "$BUILD" 900
	is $? 1 "ENOSPC while mmdebstrap ${what}s the $tree ($leave MiB left): exit 1, not a signal"
	grep -q 'Out of disk space (ENOSPC) in step "rootfs"' "$LOG" &&
		grep -qE "^  .*(No space left on device|You don't have enough free space)" "$LOG"
	ok $? "the message says ENOSPC, the step and mmdebstrap's own words" || diag_tail "$LOG" 8
	rm -f "$work/small2/filler"
	none_left "$sc" "$out" "no mmdebstrap, mount or chroot left behind"
done
umount "$work/small2"

# --- E: SIGKILL and ^C, while mmdebstrap makes the tools tree (the root file system's
# run is the same job, only longer: D and F make that one).
tools_mmdebstrap() { running "mmdebstrap --quiet --variant=minbase --include [^ ]*e2fsprogs.*$1"; }
ck=$work/cache-kill
cp -a "$work/cache" "$ck" && rm -rf "$ck/tools"
# SIGKILL while mmdebstrap works: it and its mounts go at once.
LOG=$work/log.$((++n))
run "$LOG" "$work/out-kill" "$ck"
wait_for 300 tools_mmdebstrap "$ck"
ok $? "mmdebstrap runs"
sleep 6
kill -9 "$BUILD"
wait "$BUILD" 2>/dev/null
wait_for 5 gone "$ck"
ok $? "SIGKILL: no process of the build is left 5 s later" || pgrep -af "$ck" | sed 's/^/# /'
is "$(grep -cF " $ck" /proc/self/mountinfo)" 0 "and nothing is mounted under the cache"
left=$(du -sm "$ck/tmp" | cut -f1)
diag "the killed build left ${left} MiB in $ck/tmp"
# SIGKILL while stopped before a later step: a work directory and a staging directory stay.
LOG=$work/log.$((++n))
run "$LOG" "$work/out-kill2" "$work/cache" KILN_IMAGEGEN_TEST_STOP_BEFORE=root-image
wait_for 120 stopped "$BUILD"
kill -9 "$BUILD"
wait "$BUILD" 2>/dev/null
compgen -G "$work/out-kill2.partial-*" >/dev/null && compgen -G "$work/cache/tools/*/work/build-*" >/dev/null
ok $? "SIGKILL in a later step leaves a work and a staging directory"
build "$work/out-kill2" "$work/cache"
ok $? "the next build succeeds"
grep -q "Removed $work/cache/tools/[0-9a-f]*/work/build-[A-Za-z0-9]* ([0-9]* MiB), left by an interrupted build." "$LOG" &&
	grep -q "Removed $work/out-kill2.partial-[A-Za-z0-9]*, left by an interrupted build." "$LOG"
ok $? "and removes both, saying so" || diag_tail "$LOG" 20
is "$(sha "$work/out-kill2")" "$ref" "with the reference image"
none_left "$work/cache" "$work/out-kill2" "nothing left behind"
is "$(cache_size "$work/cache")" "$cache_bytes" "the cache is as large as before the kill"
rm -rf "$work/out-kill2"
# Two quick ^C during mmdebstrap (the terminal signals the whole foreground group).
ci=$work/cache-int
cp -a "$work/cache" "$ci" && rm -rf "$ci/tools"
LOG=$work/log.$((++n))
run "$LOG" "$work/out-int" "$ci"
wait_for 300 tools_mmdebstrap "$ci"
sleep 4
kill -INT -- -"$BUILD"; kill -INT -- -"$BUILD" 2>/dev/null
finish "$BUILD" 20
is $? 130 "two quick ^C: exit 130"
grep -q 'Interrupted during step "rootfs" (signal 2)' "$LOG"
ok $? "saying where" || diag_tail "$LOG" 3
none_left "$ci" "$work/out-int" "no process, mount, chroot or tarball left behind"
is "$(find "$ci" -type f -not -path "$ci/rootfs/*" -not -path "$ci/logs/*" -not -name '*.lock')" "" \
	"the cache holds nothing more than before"
rm -rf "$ci"

# The build after the SIGKILL sweeps, and makes the tools tree; a second build that
# shares the cache waits for it and says for whom.
LOG=$work/log.$((++n)); first_log=$LOG
run "$LOG" "$work/out-kill" "$ck"
first=$BUILD
wait_for 120 tools_mmdebstrap "$ck"
LOG=$work/log.$((++n)); second_log=$LOG
run "$LOG" "$work/out-kill-2" "$ck"
second=$BUILD
wait_for 60 grep -q "Waiting for the cached tools tree: it is held by kiln-imagegen build (PID $first, since" "$second_log"
ok $? "a build waiting for the cache says for whom" || diag_tail "$second_log" 5
finish "$first" 900; s1=$?
finish "$second" 900; s2=$?
ok $((s1 | s2)) "both builds succeed (exit $s1 and $s2)" || { diag_tail "$first_log"; diag_tail "$second_log"; }
grep -q "Removed $ck/tmp/build-[A-Za-z0-9]* ([0-9]* MiB), left by an interrupted build." "$first_log"
ok $? "the first removed what the killed build left, saying so" || diag_tail "$first_log" 20
is "$(sha "$work/out-kill")" "$ref" "the first gives the reference image"
is "$(sha "$work/out-kill-2")" "$ref" "and so does the second"
none_left "$ck" "$work/out-kill" "nothing left behind"
is "$(cache_size "$ck")" "$cache_bytes" "the cache is as large as an undisturbed one"
rm -rf "$ck" "$work/out-kill" "$work/out-kill-2"

# --- F: a damaged cache.
cd=$work/cache-damaged
cp -a "$work/cache" "$cd"
tree=$(echo "$cd"/rootfs/*.tree)
libc=$(cd "$tree" && find usr/lib -name 'libc.so.6' | head -n 1)
net=$(cd "$tree" && find usr/lib/modules -type d -path '*kernel/drivers/net' | head -n 1)
printf 'KILN' | dd of="$tree/$libc" bs=1 seek=4096 conv=notrunc status=none
: >"$tree/usr/lib/systemd/systemd"
rm -rf "${tree:?}/$net"
build "$work/out-damaged" "$cd"
ok $? "a build from a damaged root file system succeeds" || diag_tail "$LOG"
grep -qF "The cached root file system ($tree) is damaged; making it again." "$LOG"
ok $? "it says the cached tree is damaged and made again" || diag_tail "$LOG" 12
grep -q "changed content: $libc" "$LOG"
ok $? "bytes changed in $libc are named"
grep -q "truncated to 0 bytes: usr/lib/systemd/systemd" "$LOG"
ok $? "the truncated systemd is named"
grep -qF "missing, with all it held: $net" "$LOG"
ok $? "the deleted $net is named"
is "$(sha "$work/out-damaged")" "$ref" "the image is the reference image"
rm -rf "$work/out-damaged"
# A tool damaged after the check: named when it fails; the next build repairs it.
LOG=$work/log.$((++n))
run "$LOG" "$work/out-tool" "$cd" KILN_IMAGEGEN_TEST_STOP_BEFORE=root-image
wait_for 120 stopped "$BUILD"
: >"$(echo "$cd"/tools/*/usr/bin/mkfs.erofs)"
kill -CONT "$BUILD"
finish "$BUILD" 120
is $? 1 "a truncated mkfs.erofs fails the build"
grep -q "mkfs.erofs (in $cd/tools/[0-9a-f]*) exited with status 0 but did not write .*/root.img: the tool is damaged or broken." "$LOG"
ok $? "and is named" || diag_tail "$LOG" 4
build "$work/out-tool" "$cd"
ok $? "the next build succeeds"
grep -q "The cached tools tree ($cd/tools/[0-9a-f]*) is damaged; making it again." "$LOG" &&
	grep -q "truncated to 0 bytes: usr/bin/mkfs.erofs" "$LOG"
ok $? "having found and named the damaged tool" || diag_tail "$LOG" 8
is "$(sha "$work/out-tool")" "$ref" "with the reference image"
none_left "$cd" "$work/out-tool" "nothing left behind"
rm -rf "$cd" "$work/out-tool"

# --- G: two builds into one OUTDIR.
LOG=$work/log.$((++n)); first_log=$LOG
run "$LOG" "$work/shared" "$work/cache" KILN_IMAGEGEN_TEST_STOP_BEFORE=disk
first=$BUILD
wait_for 120 stopped "$first"
LOG=$work/log.$((++n)); second_log=$LOG
run "$LOG" "$work/shared" "$work/cache"
second=$BUILD
wait_for 30 grep -q "Waiting for the output directory: it is held by kiln-imagegen build (PID $first, since .*) writing $work/shared" "$second_log"
ok $? "the second build into one OUTDIR waits, and says for whom" || diag_tail "$second_log" 3
kill -CONT "$first"
finish "$first" 300; s1=$?
finish "$second" 300; s2=$?
ok $((s1 | s2)) "both succeed, one after the other (exit $s1 and $s2)"
is "$(sha "$work/shared")" "$ref" "OUTDIR holds the reference image"
none_left "$work/cache" "$work/shared" "nothing left behind"

tap_done

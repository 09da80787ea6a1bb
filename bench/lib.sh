# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
# Helpers shared by the benchmarks (bash; source it). Nothing here is a test: the
# benchmarks print figures and ratios against a goal, they do not pass or fail on them.
#
#   bench_init NAME [BUILT...]   check root, set BENCH_SRCDIR, BENCH_BUILDDIR (KILN_BUILDDIR,
#                            default ./build; it must hold each BUILT program, by default
#                            imagegen/kiln-imagegen), BENCH_WORK (a fresh temporary directory,
#                            removed on exit with everything mounted or looped under it;
#                            TMPDIR points into it)
#   bench_run TIMEOUT LOG CMD...   run CMD under timeout(1) with its output in LOG;
#                            interrupting the benchmark stops it
#   bench_secs T0 [T1]       seconds (one decimal) from T0 to T1 ($EPOCHREALTIME values)
#   bench_ratio A B          A / B, two decimals
#   bench_goal RATIO MAX     "met" or "not met"
#   bench_median VALUES...   the median (mean of the middle two for an even count)
#   bench_wait_quiet         wait (bounded) until no other heavy process runs
#   bench_host_note          the load and any other heavy process: figures taken on a busy
#                            host are not comparable
#   bench_profile OUT HOSTNAME MIRROR   the benchmark profile: tests/boot/boot.yaml with
#                            node.hostname and base.mirror set (no "nodes")

bench_die() { echo "bench: $*" >&2; exit 1; }

BENCH_CHILD=
BENCH_WORK=

bench_cleanup_dir() {
	local dir=$1 m
	[[ -n $dir && -d $dir ]] || return 0
	# Mounts left behind by an interrupted mmdebstrap or mkosi: deepest first.
	findmnt -rn -o TARGET | awk -v d="$dir/" 'index($0, d) == 1' | sort -r |
		while read -r m; do umount -l "$m" 2>/dev/null; done
	# Loop devices on files under it (mkosi's raw image).
	losetup -n -l -O NAME,BACK-FILE 2>/dev/null | awk -v d="$dir/" 'index($2, d) == 1 { print $1 }' |
		while read -r m; do losetup -d "$m" 2>/dev/null; done
	rm -rf --one-file-system "$dir"
}

bench_cleanup() {
	local deadline
	# A second Ctrl-C must not cut the cleanup short (every wait in it is bounded).
	trap '' INT TERM
	if [[ -n $BENCH_CHILD ]] && kill -0 "$BENCH_CHILD" 2>/dev/null; then
		kill -TERM "$BENCH_CHILD" 2>/dev/null
		deadline=$((SECONDS + 30))
		while kill -0 "$BENCH_CHILD" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
		kill -KILL "$BENCH_CHILD" 2>/dev/null
		wait "$BENCH_CHILD" 2>/dev/null
		# What it started may still be cleaning up (mmdebstrap's own mounts): its process
		# group is timeout's pid.
		deadline=$((SECONDS + 30))
		while pgrep -g "$BENCH_CHILD" >/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
		pkill -KILL -g "$BENCH_CHILD" 2>/dev/null
	fi
	BENCH_CHILD=
	[[ $(type -t bench_cleanup_extra) == function ]] && bench_cleanup_extra
	bench_cleanup_dir "$BENCH_WORK"
	BENCH_WORK=
}

bench_init() {
	local name=$1 need
	shift
	[[ $EUID -eq 0 ]] || bench_die "run as root (kiln-imagegen build and mkosi need it): sudo $0"
	BENCH_SRCDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
	BENCH_BUILDDIR=$(realpath -m "${KILN_BUILDDIR:-$BENCH_SRCDIR/build}")
	for need in "${@:-imagegen/kiln-imagegen}"; do
		[[ -x $BENCH_BUILDDIR/$need ]] ||
			bench_die "no $BENCH_BUILDDIR/$need: build kiln first (meson setup build && ninja -C build) or set KILN_BUILDDIR"
	done
	BENCH_WORK=$(mktemp -d "${KILN_BENCH_TMPDIR:-/var/tmp}/kiln-bench-$name.XXXXXX") || bench_die "mktemp failed"
	# Whatever the tools leave in TMPDIR (mmdebstrap's keyrings, QEMU's -snapshot files)
	# goes with the rest.
	mkdir -p "$BENCH_WORK/tmp" && export TMPDIR=$BENCH_WORK/tmp
	trap bench_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

bench_run() {
	local limit=$1 log=$2 rc; shift 2
	# timeout(1) puts the command in a process group of its own and signals all of it; the
	# exec makes $! timeout's own pid (bash would otherwise keep a subshell in between).
	( trap - EXIT INT TERM; exec timeout -k 15 "$limit" "$@" ) </dev/null >"$log" 2>&1 &
	BENCH_CHILD=$!
	wait "$BENCH_CHILD"
	rc=$?
	BENCH_CHILD=
	((rc == 124)) && echo "bench: timed out after $limit s: $*" >>"$log"
	return "$rc"
}

bench_secs() { awk -v a="$1" -v b="${2:-$EPOCHREALTIME}" 'BEGIN { printf "%.1f", b - a }'; }
bench_ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
bench_goal() { awk -v r="$1" -v m="$2" 'BEGIN { print (r != "n/a" && r + 0 <= m + 0) ? "met" : "not met" }'; }

bench_median() {
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
		if (NR == 0) { print "n/a"; exit }
		if (NR % 2) printf "%.1f", v[(NR + 1) / 2]; else printf "%.1f", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# Other heavy work on the host (VMs, Debian bootstraps, compilers): its count.
BENCH_HEAVY='^(qemu-system-x86|mmdebstrap|debootstrap|mkosi|cc1|dpkg|apt-get|mkfs.erofs|mkfs.ext4)$'
bench_others() { ps -eo comm= | grep -cE "$BENCH_HEAVY"; }

# Wait, at most KILN_BENCH_QUIET_WAIT seconds (default 180), until none is left; call it
# while nothing of ours runs.
bench_wait_quiet() {
	local deadline=$((SECONDS + ${KILN_BENCH_QUIET_WAIT:-180}))
	while (($(bench_others) > 0)) && ((SECONDS < deadline)); do sleep 1; done
}

bench_host_note() {
	local others
	others=$(ps -eo comm= | grep -E "$BENCH_HEAVY" | sort | uniq -c | awk '{ printf "%s%s x%s", sep, $2, $1; sep = ", " }')
	echo "host: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)${others:+; also running: $others (figures not comparable)}"
}

bench_profile() {
	local out=$1 hostname=$2 mirror=$3
	sed -e "/^node:/a\\  hostname: $hostname" -e "/^base:/a\\  mirror: \"$mirror\"" \
		"$BENCH_SRCDIR/tests/boot/boot.yaml" >"$out"
	grep -q "^  hostname: $hostname\$" "$out" && ! grep -q '^nodes:' "$out" ||
		bench_die "cannot derive the benchmark profile from tests/boot/boot.yaml"
}

# The Debian mirror both sides use: KILN_BENCH_MIRROR, else the host's own (as kiln does).
bench_mirror() {
	# shellcheck source=../tests/lib/apt-mirror.sh
	source "$BENCH_SRCDIR/tests/lib/apt-mirror.sh"
	if [[ -n ${KILN_BENCH_MIRROR:-} ]]; then
		echo "$KILN_BENCH_MIRROR"
	else
		host_apt_mirror || bench_die "no Debian archive in this host's apt sources; set KILN_BENCH_MIRROR"
	fi
}

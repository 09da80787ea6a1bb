#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Benchmark: the helper security profiles (profiles/security/). For each profile:
#   a. syscalls allowed and capabilities kept (kiln-confine show: the compiled filter's
#      own count). Goal: under half of the ~360 a container runtime allows by default
#      (containerd's and Docker's default seccomp profiles allow about that many on
#      x86_64): < 180.
#   b. the time the harden-then-exec path adds to a helper's start: the median of N starts
#      of /bin/true to its exit with the profile's Confinement, minus the median of N plain
#      starts, interleaved in one run (bench/confine-spawn). Goal: under 1 ms.
#   c. what the installer pays per tool it starts: the static kiln-confine of the initrd
#      loads the install-* profile, compiles it, hardens and execs /bin/true, against
#      /bin/true alone, the medians of N interleaved starts. No goal: the installer starts
#      a few tools per range it writes, each moving MiBs.
#
#   sudo bench/confine.sh        KILN_BUILDDIR (default ./build), KILN_BENCH_RUNS (N, default 500)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${KILN_BUILDDIR:-build}
runs=${KILN_BENCH_RUNS:-500}
[[ $(id -u) -eq 0 ]] || { echo "bench/confine.sh: needs root" >&2; exit 1; }
confine=$build/supervisor/kiln-confine
profiles=(profiles/security/*.yaml)

# A profile's writable paths exist on a node (the supervisor makes them); here they may
# not: make the missing components (the profiles write them as a flow list) and remove
# exactly those at the end.
made=()
trap 'for ((i = ${#made[@]} - 1; i >= 0; i--)); do rmdir "${made[i]}"; done' EXIT
for f in "${profiles[@]}"; do
	for p in $(sed -n 's/^writablePaths: \[\(.*\)\]$/\1/p' "$f" | tr ',' ' '); do
		prefix=
		IFS=/ read -ra parts <<<"${p#/}"
		for c in "${parts[@]}"; do
			prefix+=/$c
			[[ -e $prefix ]] || { mkdir "$prefix" && made+=("$prefix"); }
		done
	done
done

echo "== a. allow-lists and capabilities (goal: syscalls < 180)"
printf '%-15s %9s %6s  %s\n' profile syscalls ratio "capabilities kept"
for f in "${profiles[@]}"; do
	out=$("$confine" show "$f")
	name=$(head -n1 <<<"$out" | cut -d: -f1)
	n=$(awk '/syscalls allowed/ { print $3 }' <<<"$out")
	caps=$(awk -F'capabilities kept *' '/capabilities kept/ { print $2 }' <<<"$out")
	ratio=$(awk -v n="$n" 'BEGIN { printf "%.2f", n / 360 }')
	verdict=met; (( n < 180 )) || verdict="not met"
	printf '%-15s %9s %6s  %s  (%s)\n' "$name" "$n" "$ratio" "$caps" "$verdict"
done

echo
echo "== b. start of /bin/true, median of $runs, plain vs confined (goal: added < 1 ms)"
"$build/bench/confine-spawn" "$runs" "${profiles[@]}"

echo
echo "== c. the installer's start of a tool, median of $runs: /bin/true vs the static kiln-confine running it"
static=$build/supervisor/kiln-confine.static
usec() { local t=${1/./}; echo $((10#$t)); }
printf '%-15s %10s %12s %10s %7s\n' profile "plain us" "confined us" "added ms" ratio
for p in install-fetch install-mount install-read install-write; do
	plain=() confined=()
	for ((i = 0; i < runs; i++)); do
		t0=$EPOCHREALTIME; /bin/true; t1=$EPOCHREALTIME
		"$static" --profile-dir=profiles/security run "$p" -- /bin/true; t2=$EPOCHREALTIME
		plain+=($(($(usec "$t1") - $(usec "$t0")))) confined+=($(($(usec "$t2") - $(usec "$t1"))))
	done
	mp=$(printf '%s\n' "${plain[@]}" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
	mc=$(printf '%s\n' "${confined[@]}" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
	printf '%-15s %10s %12s %10s %7s\n' "$p" "$mp" "$mc" "$(awk -v a="$mc" -v b="$mp" 'BEGIN { printf "%.2f", (a - b) / 1000 }')" \
		"$(awk -v a="$mc" -v b="$mp" 'BEGIN { printf "%.1f", a / b }')"
done

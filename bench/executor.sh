#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Benchmark: what the privilege split costs a privileged helper. In a Debian trixie machine
# booted with systemd-nspawn -b (the integration tier's, tests/lib/supervisor-machine.sh),
# interleaved in one run, R times each, timed by the wall clock inside the machine:
#   executor   systemd-run --quiet --pipe --wait --collect --service-type=exec
#              -p CapabilityBoundingSet=CAP_NET_ADMIN CAP_SETPCAP -- kiln-confine run
#              systemd-sysctl -- systemd-sysctl --prefix=net.ipv4.ip_forward: what the
#              supervisor runs since it keeps no CAP_NET_ADMIN (helper-executor.c)
#   child      kiln-confine run systemd-sysctl -- systemd-sysctl --prefix=...: the same
#              helper started as a child, as before the split (the baseline)
# Prints both medians, the difference and the ratio. A helper of this kind runs only when a
# preflight fix is needed, a few times per boot at most.
#
#   sudo bench/executor.sh       KILN_BUILDDIR (default ./build), KILN_BENCH_RUNS (R, 30)
set -euo pipefail
cd "$(dirname "$0")/.."
export KILN_SRCDIR=$PWD
KILN_BUILDDIR=$(realpath "${KILN_BUILDDIR:-build}")
export KILN_BUILDDIR
runs=${KILN_BENCH_RUNS:-30}
[[ $(id -u) -eq 0 ]] || { echo "bench/executor.sh: needs root" >&2; exit 1; }
source tests/lib/tap.sh
source tests/lib/rootfs.sh
source tests/lib/nspawn.sh
source tests/lib/supervisor-machine.sh

tar=$(supervisor_machine_tar) || { echo "bench/executor.sh: cannot build the machine's root" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/kiln-bench-executor-XXXXXX")
trap 'machine_stop; rm -rf "$work"' EXIT
root=$work/root
mkdir "$root" && tar -C "$root" -xf "$tar"
supervisor_machine_prepare "$root" "$SUPERVISOR_MACHINE_IGNORE" >/dev/null
# The supervisor is not what is measured: it would only run preflight alongside.
rm -f "$root/etc/systemd/system/multi-user.target.wants/kiln-supervisor.service"
MACHINE_BOOT_TIMEOUT=120 machine_boot "$root" "${SUPERVISOR_MACHINE_NSPAWN_ARGS[@]}" >/dev/null ||
	{ echo "bench/executor.sh: the machine did not boot" >&2; exit 1; }

# shellcheck disable=SC2016 # expanded inside the machine
out=$(machine_exec /bin/bash -c '
	runs=$1
	helper=(/usr/bin/kiln-confine run systemd-sysctl -- /usr/lib/systemd/systemd-sysctl --prefix=net.ipv4.ip_forward)
	executor=(systemd-run --quiet --pipe --wait --collect --service-type=exec
		"--property=CapabilityBoundingSet=CAP_NET_ADMIN CAP_SETPCAP" -- "${helper[@]}")
	for ((i = 0; i < runs; i++)); do
		t0=$EPOCHREALTIME; "${executor[@]}" </dev/null || exit 1; t1=$EPOCHREALTIME
		"${helper[@]}" </dev/null || exit 1; t2=$EPOCHREALTIME
		echo "${t0/./} ${t1/./} ${t2/./}"
	done' _ "$runs") || { echo "bench/executor.sh: a run failed" >&2; exit 1; }

python3 - "$runs" <<EOF
import statistics, sys
rows = [list(map(int, l.split())) for l in """$out""".splitlines() if l.strip()]
ex = statistics.median(r[1] - r[0] for r in rows)
ch = statistics.median(r[2] - r[1] for r in rows)
print(f"privileged helper (systemd-sysctl --prefix=net.ipv4.ip_forward), {len(rows)} runs each, medians:")
print(f"  through systemd (kiln-helper unit)  {ex / 1000:8.1f} ms")
print(f"  as a child (before the split)       {ch / 1000:8.1f} ms")
print(f"  added by the executor               {(ex - ch) / 1000:8.1f} ms   ratio {ex / ch:.1f}")
EOF

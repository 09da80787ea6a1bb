#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Integration: supervisor/systemd-client.c and runtime.c against the real systemd, D-Bus
# and containerd of a Debian trixie machine booted with systemd-nspawn -b, driven by
# tests/integration/systemd-client-driver (copied into the machine):
#   - start/stop/restart jobs report systemd's result; a missing unit and a failing
#     unit report errors; the job reply/JobRemoved race and a hang-up are covered
#     against a fake PID 1 in the driver
#   - a watched containerd that is killed with SIGKILL is noticed within 5 s; a watch
#     on the system bus survives daemon-reexec, one on PID 1's private socket reports
#     the hang-up
#   - runtime_cri_ready() answers 0 with containerd up, an error with it stopped
#   - mask_runtime links /run/systemd/system/NAME to /dev/null
#   - the image's containerd config.toml is accepted by the machine's containerd 1.7
source "$KILN_SRCDIR/tests/lib/tap.sh"
source "$KILN_SRCDIR/tests/lib/rootfs.sh"
source "$KILN_SRCDIR/tests/lib/nspawn.sh"

driver=$KILN_BUILDDIR/tests/integration/systemd-client-driver
[[ -x $driver ]] || bail "$driver is not built"

# --- The reply/signal race, deterministically: a fake PID 1 on a socketpair sends
# JobRemoved after or before its reply to the second of two calls merged into one job.
out=$(timeout 30 "$driver" fake-race 2>&1)
ok $? "the client runs against a fake PID 1 in both orders" || diag "$out"
for order in reply-before-signal signal-before-reply; do
	block=$(awk -v o="race order=$order" '$0 == o { f = 1; next } /^race order=/ { f = 0 } f' <<<"$out")
	is "$(grep -c '^race fake.service result=0 job_result=done$' <<<"$block")" 2 \
		"$order: both calls merged into one job finish with done"
	grep -q '^race missing.service result=-2 job_result=org.freedesktop.systemd1.NoSuchUnit$' <<<"$block"
	ok $? "$order: a call PID 1 refuses reports its D-Bus error as -ENOENT"
	grep -q '^race calls=2 subscribed=1 done=3 loop=0$' <<<"$block"
	ok $? "$order: subscribed once, three callbacks, no timeout"
done
block=$(awk '$0 == "race order=hang-up" { f = 1; next } /^race order=/ { f = 0 } f' <<<"$out")
grep -q '^race fake.service result=-104 job_result=org.freedesktop.DBus.Local.Disconnected$' <<<"$block"
ok $? "PID 1 hanging up fails the job waiting for JobRemoved with -ECONNRESET"
grep -q '^race new-job=-104$' <<<"$block"
ok $? "and the client refuses new jobs on the dead connection"

# --- runtime_cri_ready() against sockets that are not containerd, on the host.
if command -v python3 >/dev/null; then
	sockdir=$(mktemp -d "${TMPDIR:-/tmp}/kiln-sdc-sock-XXXXXX")
	# Bound, never listened on: what a SIGKILLed server leaves behind.
	python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$sockdir/dead.sock"
	# Accepts connections and never says a word.
	timeout 30 python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(16)
held = []
while True: held.append(s.accept()[0])' "$sockdir/mute.sock" &
	mute_pid=$!
	wait_for 10 test -S "$sockdir/mute.sock"
	out=$(timeout 30 "$driver" cri "$sockdir/absent.sock")
	is "$(sed -n 's/^cri r=\([^ ]*\).*/\1/p' <<<"$out")" -2 "no socket: -ENOENT ($out)"
	out=$(timeout 30 "$driver" cri "$sockdir/dead.sock")
	is "$(sed -n 's/^cri r=\([^ ]*\).*/\1/p' <<<"$out")" -111 "a socket nobody listens on: -ECONNREFUSED ($out)"
	t0=$SECONDS
	out=$(timeout 30 "$driver" cri "$sockdir/mute.sock")
	is "$(sed -n 's/^cri r=\([^ ]*\).*/\1/p' <<<"$out")" -110 "a listener that does not answer: -ETIMEDOUT ($out)"
	((SECONDS - t0 <= 4))
	ok $? "and within the 2 s budget ($((SECONDS - t0)) s)"
	# The probe is a gRPC call of our own: it needs no program on PATH.
	out=$(timeout 30 env PATH=/nonexistent "$driver" cri "$sockdir/mute.sock")
	is "$(sed -n 's/^cri r=\([^ ]*\).*/\1/p' <<<"$out")" -110 "with an empty PATH the answer is the same ($out)"
	kill "$mute_pid" 2>/dev/null; wait "$mute_pid" 2>/dev/null
	rm -rf "$sockdir"
else
	skip 5 "python3 is not installed on the host"
fi

[[ $(id -u) -eq 0 ]] || { skip 1 "the machine part needs root for systemd-nspawn"; tap_done; exit; }
for t in systemd-nspawn mmdebstrap script nsenter; do
	command -v "$t" >/dev/null || { skip 1 "$t is not installed (tools/install-deps)"; tap_done; exit; }
done
# A sanitizer build's driver needs libasan, which the machine does not have.
if ldd "$driver" | grep -q 'libasan\|libubsan'; then
	skip 1 "the driver is built with sanitizers and cannot run inside the machine"
	tap_done; exit
fi

tar=$(test_rootfs_tar trixie containerd runc containernetworking-plugins \
	libyaml-0-2 libjansson4 libssl3t64 libarchive13t64 libcap2) ||
	bail "could not build the test rootfs with mmdebstrap"

# runc in nspawn writes into the host's cgroup v1 hierarchies: remove k8s.io directories
# that appear while this test runs (rmdir only: a cgroup still in use stays).
k8s_cgroups() { timeout 20 find /sys/fs/cgroup -mindepth 1 -maxdepth 8 -type d -name k8s.io 2>/dev/null | sort; }
cgroups_before=$(k8s_cgroups)

work=$(mktemp -d "${TMPDIR:-/tmp}/kiln-sdc-XXXXXX")
watch_pid= private_pid=
cleanup() {
	[[ -n $watch_pid ]] && kill "$watch_pid" 2>/dev/null
	[[ -n $private_pid ]] && kill "$private_pid" 2>/dev/null
	machine_stop
	rm -rf "$work"
	local d
	comm -13 <(echo "$cgroups_before") <(k8s_cgroups) | while read -r d; do
		[[ -n $d ]] && find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
	done
}
trap cleanup EXIT
root=$work/root
mkdir "$root" && tar -C "$root" -xf "$tar" || bail "extracting $tar failed"

install -m 0755 "$driver" "$root/usr/local/bin/systemd-client-driver"
install -D -m 0644 "$KILN_SRCDIR/rootfs/etc/containerd/config.toml" "$root/etc/containerd/config.toml"
# The driver starts containerd, so it must not be running already.
rm -f "$root/etc/systemd/system/multi-user.target.wants/containerd.service"
# runc needs the cgroup v1 controllers writable, which nspawn mounts read-only.
cat > "$root/etc/systemd/system/kiln-test-cgroup-rw.service" <<'EOF'
[Unit]
Description=Make the cgroup v1 controllers writable for runc (nspawn test machine)
DefaultDependencies=no
Before=containerd.service

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/sh -ec 'for c in cpu cpuacct cpuset memory devices freezer blkio pids; do if [ -d /sys/fs/cgroup/$$c ]; then mount -o remount,bind,rw /sys/fs/cgroup/$$c; fi; done'
EOF
mkdir -p "$root/etc/systemd/system/containerd.service.wants"
ln -s ../kiln-test-cgroup-rw.service "$root/etc/systemd/system/containerd.service.wants/"
# A unit whose start job fails, for the "failed" job result.
cat > "$root/etc/systemd/system/kiln-test-fails.service" <<'EOF'
[Service]
Type=oneshot
ExecStart=/bin/false
EOF

machine_boot "$root" --system-call-filter=@keyring
ok $? "the trixie rootfs boots under systemd-nspawn -b" || { tap_done; exit 1; }

inside() { machine_exec "$@"; }
drv() { machine_exec /usr/local/bin/systemd-client-driver "$@"; }
main_pid() { inside systemctl show -p MainPID --value containerd.service; }
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"; }

is "$(inside systemctl is-active containerd.service)" inactive "containerd is not running before the driver starts it"

out=$(drv cri)
is "$(field r "$out")" -2 "runtime_cri_ready() is -ENOENT before containerd runs ($out)"

# --- Start, through the system bus.
out=$(drv job start containerd.service)
ok $? "start job exits 0"
[[ $out =~ ^job\ containerd.service\ start\ result=0\ job_result=done\ usec=([0-9]+)$ ]]
ok $? "start job reports done ($out)"
start_usec=${BASH_REMATCH[1]:-}
is "$(inside systemctl is-active containerd.service)" active "systemd agrees containerd is active"
is "$(inside systemctl is-active kiln-test-cgroup-rw.service)" active "the cgroup remount oneshot ran before it"
is "$(inside findmnt -no OPTIONS /sys/fs/cgroup/memory | cut -d, -f1)" rw "it left the memory controller writable for runc"

out=$(drv cri)
is "$(field r "$out")" 0 "runtime_cri_ready() is 0 with containerd up ($out)"
server=$(field version "$out")
[[ -n $server && $(inside containerd --version) == *" $server "* ]]
ok $? "the version came from the machine's containerd ($server)"

dump=$(inside containerd --config /etc/containerd/config.toml config dump)
ok $? "containerd $server accepts rootfs/etc/containerd/config.toml"
grep -q '^ *SystemdCgroup = true$' <<<"$dump"
ok $? "the runc runtime uses the systemd cgroup driver"
grep -q '^ *sandbox_image = "registry.k8s.io/pause:3.10"$' <<<"$dump"
ok $? "the sandbox image is registry.k8s.io/pause:3.10"
grep -q '^ *snapshotter = "overlayfs"$' <<<"$dump"
ok $? "the snapshotter is overlayfs"

# --- Watch, then SIGKILL containerd's main process behind systemd's back.
MACHINE_EXEC_TIMEOUT=60 machine_exec /usr/local/bin/systemd-client-driver watch containerd.service 45 \
	>"$work/watch.log" 2>&1 &
watch_pid=$!
wait_for 10 grep -q '^state containerd.service active running t=' "$work/watch.log"
ok $? "the watch reports the initial state: active running"

pid1=$(main_pid)
t_kill=$(date +%s%6N)
# minbase has no procps: the shell's own kill, inside the machine's PID namespace.
inside /bin/sh -c "kill -9 $pid1"
ok $? "SIGKILL to containerd's main PID $pid1"
# The first report after the initial one that is not "active".
down() { awk 'NR > 1 && $3 != "active" { print; exit }' "$work/watch.log" | grep .; }
wait_for 5 eval 'down >/dev/null'
ok $? "the watch reports containerd leaving active within 5 s"
line=$(down)
t_down=$(field t "$line")
# Restart=always waits RestartSec=5 in Debian's unit: the socket is left behind meanwhile.
out=$(drv cri)
is "$(field r "$out")" -111 "runtime_cri_ready() is -ECONNREFUSED on the dead containerd's socket ($out)"
latency=$(( ${t_down:-0} - t_kill ))
((latency >= 0 && latency < 5000000))
ok $? "detection latency after kill -9: ${latency} us ($line)"

# Restart=always (RestartSec=5 in Debian's unit) brings it back; the watch sees that too.
up() {
	[[ -n $t_down ]] &&
		awk -v t="$t_down" '$3 == "active" && substr($5, 3) + 0 > t + 0 { print; exit }' "$work/watch.log" | grep .
}
wait_for 20 eval 'up >/dev/null'
ok $? "the watch reports containerd active again after systemd's restart ($(up))"
pid2=$(main_pid)
[[ -n $pid2 && $pid2 != 0 && $pid2 != "$pid1" ]]
ok $? "systemd restarted it: main PID $pid1 -> $pid2"

# --- Restart through PID 1's private socket (a direct connection, no dbus-daemon).
out=$(drv --private job restart containerd.service)
[[ $out =~ ^job\ containerd.service\ restart\ result=0\ job_result=done\ usec=([0-9]+)$ ]]
ok $? "restart job over /run/systemd/private reports done ($out)"
restart_usec=${BASH_REMATCH[1]:-}
pid3=$(main_pid)
[[ -n $pid3 && $pid3 != 0 && $pid3 != "$pid2" ]]
ok $? "the restart replaced the main PID $pid2 -> $pid3"

# --- Errors.
out=$(drv job start kiln-no-such-unit.service)
ok $(( $? != 0 ? 0 : 1 )) "a job for a missing unit fails"
[[ $out =~ result=-2\ job_result=org.freedesktop.systemd1.NoSuchUnit ]]
ok $? "it reports -ENOENT and systemd's NoSuchUnit ($out)"
out=$(drv job start kiln-test-fails.service)
ok $(( $? != 0 ? 0 : 1 )) "a job for a failing unit fails"
[[ $out =~ result=-5\ job_result=failed ]]
ok $? "it reports -EIO and systemd's word \"failed\" ($out)"

# --- daemon-reexec: PID 1 closes its private socket, the system bus connection stays.
MACHINE_EXEC_TIMEOUT=30 machine_exec /usr/local/bin/systemd-client-driver --private watch containerd.service 20 \
	>"$work/private.log" 2>&1 &
private_pid=$!
wait_for 10 grep -q '^state containerd.service active running t=' "$work/private.log"
ok $? "a watch over /run/systemd/private reports the initial state"
inside systemctl daemon-reexec
ok $? "systemctl daemon-reexec"
wait_for 10 grep -q '^state containerd.service (null) org.freedesktop.DBus.Local.Disconnected t=' "$work/private.log"
ok $? "the private-socket watch is told that PID 1 hung up"
wait "$private_pid"
ok $(( $? != 0 ? 0 : 1 )) "and the driver ends with an error at once"
private_pid=

# --- Stop: the CRI probe must then fail.
out=$(drv job stop containerd.service)
[[ $out =~ ^job\ containerd.service\ stop\ result=0\ job_result=done\ usec=([0-9]+)$ ]]
ok $? "stop job reports done ($out)"
stop_usec=${BASH_REMATCH[1]:-}
is "$(inside systemctl is-active containerd.service)" inactive "systemd agrees containerd is stopped"
out=$(drv cri)
r=$(field r "$out")
[[ $r == -2 || $r == -111 ]]
ok $? "runtime_cri_ready() is -ENOENT or -ECONNREFUSED with containerd stopped ($out)"
grep -q '^state containerd.service inactive dead t=' "$work/watch.log"
ok $? "the system bus watch saw the stop after daemon-reexec: inactive dead"

# --- Runtime masking.
out=$(drv mask kiln-test-masked.service)
is "$out" "mask kiln-test-masked.service r=0" "mask_runtime succeeds"
is "$(inside readlink /run/systemd/system/kiln-test-masked.service)" /dev/null \
	"/run/systemd/system/kiln-test-masked.service -> /dev/null"
out=$(drv mask kiln-test-masked.service)
is "$out" "mask kiln-test-masked.service r=0" "masking again is fine (force)"
out=$(drv mask 'not a unit name')
[[ $out =~ r=-[0-9]+$ ]]
ok $? "an invalid unit name is refused ($out)"

diag "job times: start ${start_usec:-?} us, restart ${restart_usec:-?} us, stop ${stop_usec:-?} us; kill -9 noticed after ${latency} us"
tap_done

# SPDX-License-Identifier: LGPL-2.1-or-later
# containerd run directly on this host for tests and benchmarks (bash; source it): its root,
# state and sockets in directories of the caller, so nothing of the host's containerd is
# touched. One containerd at a time per sourcing script.
#
#   host_containerd_config DIR ROOT [--no-cri] [TOML...]
#       write DIR/config.toml: root ROOT, state DIR/state, gRPC socket DIR/containerd.sock,
#       ttrpc DIR/ttrpc.sock, the "opt" plugin's directory under ROOT (nothing lands in
#       /opt); --no-cri disables the CRI plugin; the TOML lines (tables) go last
#   host_containerd_start DIR [WAIT]
#       start containerd on DIR/config.toml, output appended to DIR/containerd.log; sets
#       HOST_CONTAINERD_PID; with WAIT (seconds, default 20; 0: do not wait) it returns once
#       "ctr version" answers on the socket, and fails if it did not within WAIT
#   host_containerd_stop [LIMIT]
#       SIGTERM, up to LIMIT seconds (default 10), then SIGKILL; fails when it had to be
#       killed (the store may be torn)

HOST_CONTAINERD_PID=

host_containerd_config() {
	local dir=$1 root=$2 cri=; shift 2
	[[ ${1:-} == --no-cri ]] && { cri='disabled_plugins = ["io.containerd.grpc.v1.cri"]'; shift; }
	mkdir -p "$dir" "$root"
	{
		printf 'version = 2\nroot = "%s"\nstate = "%s/state"\n' "$root" "$dir"
		[[ -n $cri ]] && printf '%s\n' "$cri"
		printf '[grpc]\n  address = "%s/containerd.sock"\n[ttrpc]\n  address = "%s/ttrpc.sock"\n' "$dir" "$dir"
		printf '%s\n' "$@"
		printf '[plugins."io.containerd.internal.v1.opt"]\n  path = "%s/opt"\n' "$root"
	} >"$dir/config.toml"
}

host_containerd_start() {
	local dir=$1 wait=${2:-20} deadline
	containerd --config "$dir/config.toml" >>"$dir/containerd.log" 2>&1 &
	HOST_CONTAINERD_PID=$!
	((wait > 0)) || return 0
	deadline=$((SECONDS + wait))
	until timeout 5 ctr --address "$dir/containerd.sock" version >/dev/null 2>&1; do
		((SECONDS < deadline)) && kill -0 "$HOST_CONTAINERD_PID" 2>/dev/null || return 1
		sleep 0.1
	done
}

host_containerd_stop() {
	local deadline=$((SECONDS + ${1:-10})) rc=0
	[[ -n $HOST_CONTAINERD_PID ]] || return 0
	kill -TERM "$HOST_CONTAINERD_PID" 2>/dev/null
	while kill -0 "$HOST_CONTAINERD_PID" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.05; done
	kill -0 "$HOST_CONTAINERD_PID" 2>/dev/null && { kill -KILL "$HOST_CONTAINERD_PID" 2>/dev/null; rc=1; }
	wait "$HOST_CONTAINERD_PID" 2>/dev/null
	HOST_CONTAINERD_PID=
	return "$rc"
}

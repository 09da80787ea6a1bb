#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# kiln-imagegen render: what it prints for the shipped profiles, machine by machine, the
# same bytes every time, kubeadm's verdict on it, and its refusals with their exit
# statuses and the profile's line. The kubeadm asked is the double playing v1.37.2 (the
# release the shipped profiles name), given with --artifacts; with KILN_K8S_ARTIFACTS=DIR
# holding DIR/kubeadm, the real one instead.
source "$KILN_SRCDIR/tests/lib/tap.sh"

imagegen=$KILN_BUILDDIR/imagegen/kiln-imagegen
profiles=$KILN_SRCDIR/profiles
work=$(mktemp -d "${TMPDIR:-/tmp}/kiln-render-XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir "$work/artifacts" "$work/cache"
if [[ -n ${KILN_K8S_ARTIFACTS:-} && -x $KILN_K8S_ARTIFACTS/kubeadm ]]; then
	ln -s "$KILN_K8S_ARTIFACTS/kubeadm" "$work/artifacts/kubeadm"
	diag "asking the real $KILN_K8S_ARTIFACTS/kubeadm"
else
	ln -s "$KILN_SRCDIR/tests/doubles/kubeadm" "$work/artifacts/kubeadm"
	export KILN_KUBEADM_DOUBLE_VERSION=v1.37.2
fi
kubeadm=$work/artifacts/kubeadm

render() {	# render ARGS...: stdout in $work/out, stderr in $work/err, the exit status
	"$imagegen" render --artifacts "$work/artifacts" --cache "$work/cache" "$@" >"$work/out" 2>"$work/err"
}
validates() {	# validates FILE: kubeadm config validate says ok
	"$kubeadm" config validate --config "$1" >"$work/verdict" 2>&1 && [[ $(cat "$work/verdict") == ok ]]
}

# The default profile: one machine, "node", forming the cluster.
render kubeadm
is "$?" 0 "the default profile's kubeadm configuration: exit 0"
cp "$work/out" "$work/default.yaml"
grep -qx "kind: InitConfiguration" "$work/out" && grep -qx "kind: ClusterConfiguration" "$work/out" &&
	grep -qx "kind: KubeletConfiguration" "$work/out" && grep -qx "kind: KubeProxyConfiguration" "$work/out"
ok $? "Init, Cluster, Kubelet and KubeProxy configuration"
grep -qx "kubernetesVersion: v1.37.2" "$work/out" && grep -qx "  taints: \[\]" "$work/out"
ok $? "the shipped version, no taint for role single"
check "kubeadm config validate accepts it" -- validates "$work/default.yaml"
render "$profiles/single-node.yaml" --node node kubeadm
is "$? $(md5sum <"$work/out")" "0 $(md5sum <"$work/default.yaml")" \
	"single-node.yaml, --node node: the same bytes as the embedded default"

# homelab: four machines, one forms the cluster.
render "$profiles/homelab.yaml" kubeadm
rc=$?
is "$rc $(cat "$work/err")" "2 kiln-imagegen: The profile lists 4 machines: pick one with --node (cp1, worker1, worker2, worker3)." \
	"homelab without --node: exit 2, the machines named"
render "$profiles/homelab.yaml" --node cp1 kubeadm
rc=$?
is "$rc $(grep -c '^kind: ' "$work/out")" "0 4" "homelab cp1: exit 0, four documents"
grep -qx "controlPlaneEndpoint: 192.168.1.10:6443" "$work/out" && grep -qx -- "  - 192.168.1.10" "$work/out" &&
	! grep -q "^  taints:" "$work/out"
ok $? "homelab cp1: the endpoint, its certSANs, the control-plane taint kept"
check "homelab cp1: kubeadm config validate accepts it" -- validates "$work/out"
render "$profiles/homelab.yaml" --node worker2 kubeadm
rc=$?
is "$rc $(grep '^kind: ' "$work/out")" "0 kind: JoinConfiguration" "homelab worker2: a JoinConfiguration only"
grep -qx "    apiServerEndpoint: 192.168.1.10:6443" "$work/out" && grep -q "discovery.bootstrapToken.token" "$work/out"
ok $? "homelab worker2: the endpoint, and the join material it lacks named in its comment"
cp "$work/out" "$work/worker2.yaml"
render "$profiles/homelab.yaml" --node worker2 kubeadm
cmp -s "$work/out" "$work/worker2.yaml"
ok $? "homelab worker2: the same bytes again"
render "$profiles/homelab.yaml" --node nope kubeadm
is "$? $(cat "$work/err")" "2 kiln-imagegen: The profile has no machine \"nope\"; its machines: cp1, worker1, worker2, worker3." \
	"an unknown machine: exit 2"

# The other files.
render corefile
rc=$?
grep -q "^    forward . /etc/resolv.conf {" "$work/out"
ok $((rc || $?)) "the default Corefile forwards to the node's resolvers"
render "$profiles/homelab.yaml" corefile
rc=$?
! grep -q forward "$work/out" && grep -q "^    kubernetes cluster.local in-addr.arpa ip6.arpa {" "$work/out"
ok $((rc || $?)) "homelab (offline): its Corefile forwards nowhere"
render cni
is "$? $(python3 -c 'import json,sys; c = json.load(sys.stdin); print(c["cniVersion"], [p["type"] for p in c["plugins"]])' <"$work/out")" \
	"0 1.0.0 ['bridge', 'portmap']" "the default profile's bridge pod network"
render "$profiles/homelab.yaml" cni
is "$? $(cat "$work/err")" \
	"2 kiln-imagegen: Only a one-machine cluster (role single) has kiln's bridge pod network; this profile's has none." \
	"homelab: no bridge pod network"

# Refusals.
sed 's/^  version: v1.37.2$/  version: v1.35.4/' "$profiles/single-node.yaml" >"$work/old.yaml"
line=$(grep -n "^  version: v1.35.4" "$work/old.yaml" | cut -d: -f1)
render "$work/old.yaml" kubeadm
is "$? $(head -n1 "$work/err")" \
	"2 $work/old.yaml:$line:12: kubernetes.version v1.35.4 cannot be deployed by the kubeadm the image ships, v1.37.2 (v1.36.x or v1.37.x, or a kubeadm of the profile's release)" \
	"a version the kubeadm cannot deploy: exit 2, at the profile's line"
"$imagegen" render --cache "$work/cache" --lock "$work/none.lock" kubeadm >"$work/out" 2>"$work/err"
rc=$?
[[ $rc -eq 1 ]] && grep -q "No lock file $work/none.lock" "$work/err"
ok $? "no lock file and no --artifacts: exit 1, saying what to run"
render kubeadm extra
is "$?" 2 "an extra argument: exit 2"
render pictures
is "$? $(cat "$work/err")" "2 kiln-imagegen: Unknown thing to render \"pictures\": kubeadm, admission, corefile or cni." "an unknown thing to render"
render
is "$?" 2 "nothing to render: exit 2"
"$imagegen" render --help >"$work/out"
is "$? $(head -n1 "$work/out")" "0 kiln-imagegen render [PROFILE] [OPTIONS...] kubeadm|admission|corefile|cni" "render --help"
is "$(find "$work/cache" -mindepth 1 | wc -l)" 0 "nothing was written to the cache"

tap_done

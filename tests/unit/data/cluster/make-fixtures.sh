#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Make the kubectl fixtures of test-cluster-health.c and test-addons.c from a real
# control plane: etcd, kube-apiserver, kube-controller-manager and kube-scheduler of
# tools/k8s-artifacts, started here as plain processes on 127.0.0.1 (no kubelet: this
# host's cgroup v1 rules one out), the objects created by kubeadm's own init phases
# (upload-config, mark-control-plane, bootstrap-token, addon) and by applying an addon's
# manifests as the supervisor does, and the output taken from the real kubectl.
#
# What no kubelet writes here is written the way a kubelet would: the Node object (its
# registration) and the status of the node and of pods, with kubectl patch --subresource=
# status, using the condition types, reasons and messages of kubelet's node status setters
# and pod status manager (as read in the kubelet sources). The Deployment and DaemonSet
# statuses of "forming" are the controllers' own; those of "ready" and "degraded" are
# patched (with the controller manager stopped) to what the controllers write once the
# pods are available. The script says which file is which.
#
# Not run by the test suite (it needs the real binaries and ~1 GB of memory for a
# minute); run by hand: tests/unit/data/cluster/make-fixtures.sh K8S-ARTIFACTS-DIR
set -euo pipefail

art=${1:?usage: $0 K8S-ARTIFACTS-DIR}
out=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/kiln-fixtures-XXXXXX")
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

# Ports of our own: other tests on this machine may hold the default ones.
api=36443 etcd_client=32379 etcd_peer=32380
node=kiln-node-1
kubeadm=$art/kubeadm
kc() { "$art/kubectl" --kubeconfig "$work/super-admin.conf" "$@"; }

cat >"$work/kubeadm.yaml" <<EOF
apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
# A QEMU guest's address (kubeadm refuses a loopback one); the API server listens on
# 127.0.0.1, which the certificate names too.
localAPIEndpoint:
  advertiseAddress: 10.0.2.15
  bindPort: $api
nodeRegistration:
  name: $node
  criSocket: unix:///run/containerd/containerd.sock
  imagePullPolicy: Never
  taints: []
---
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
kubernetesVersion: $("$kubeadm" version -o short)
certificatesDir: $work/pki
# Where a kiln node's images come from: the mirror the profile names (seeded, never pulled).
imageRepository: 127.0.0.1:5000/k8s
apiServer:
  certSANs: [127.0.0.1]
controlPlaneEndpoint: 127.0.0.1:$api
networking:
  podSubnet: 10.244.0.0/16
  serviceSubnet: 10.96.0.0/12
  dnsDomain: cluster.local
EOF
export KUBEADM_INIT_DRYRUN_DIR=$work/dry
"$kubeadm" init phase certs all --config "$work/kubeadm.yaml" >/dev/null
"$kubeadm" init phase kubeconfig super-admin --config "$work/kubeadm.yaml" --kubeconfig-dir "$work" >/dev/null

"$art/etcd" --name default --data-dir "$work/etcd" \
	--listen-client-urls "http://127.0.0.1:$etcd_client" --advertise-client-urls "http://127.0.0.1:$etcd_client" \
	--listen-peer-urls "http://127.0.0.1:$etcd_peer" --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer" \
	--initial-cluster "default=http://127.0.0.1:$etcd_peer" >"$work/etcd.log" 2>&1 &
etcd_pid=$!
pids+=("$etcd_pid")
start_apiserver() {
	"$art/kube-apiserver" --etcd-servers "http://127.0.0.1:$etcd_client" --bind-address 127.0.0.1 \
		--advertise-address 10.0.2.15 --secure-port "$api" --authorization-mode Node,RBAC --allow-privileged=true \
		--client-ca-file "$work/pki/ca.crt" --tls-cert-file "$work/pki/apiserver.crt" \
		--tls-private-key-file "$work/pki/apiserver.key" --enable-bootstrap-token-auth \
		--service-account-issuer https://kubernetes.default.svc.cluster.local \
		--service-account-key-file "$work/pki/sa.pub" --service-account-signing-key-file "$work/pki/sa.key" \
		--service-cluster-ip-range 10.96.0.0/12 --kubelet-client-certificate "$work/pki/apiserver-kubelet-client.crt" \
		--kubelet-client-key "$work/pki/apiserver-kubelet-client.key" >>"$work/apiserver.log" 2>&1 &
	api_pid=$!
	pids+=("$api_pid")
	for _ in $(seq 120); do
		kc get --raw /readyz >/dev/null 2>&1 && return 0
		kill -0 "$api_pid" 2>/dev/null || break
		sleep 1
	done
	echo "kube-apiserver did not get ready" >&2
	tail -n 20 "$work/apiserver.log" >&2
	return 1
}
start_apiserver

# What kubeadm init does once the API answers (phases run one by one, as init runs them).
for phase in "upload-config kubeadm" "upload-config kubelet" "bootstrap-token" "addon all"; do
	# shellcheck disable=SC2086
	"$kubeadm" init phase $phase --config "$work/kubeadm.yaml" --kubeconfig "$work/super-admin.conf" >/dev/null
done

# The kubelet's registration: the labels it sets, then its first status (NotReady until
# the network plugin answers).
now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
kc create -f - >/dev/null <<EOF
{"apiVersion": "v1", "kind": "Node", "metadata": {"name": "$node", "labels": {
  "beta.kubernetes.io/arch": "amd64", "beta.kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
  "kubernetes.io/hostname": "$node", "kubernetes.io/os": "linux"},
  "annotations": {"node.alpha.kubernetes.io/ttl": "0", "volumes.kubernetes.io/controller-managed-attach-detach": "true"}}}
EOF
# kubeadm's mark-control-plane phase (it takes no --kubeconfig: /etc/kubernetes/admin.conf
# only): the labels it adds; taints: [] adds none.
kc label node "$node" node-role.kubernetes.io/control-plane= node.kubernetes.io/exclude-from-external-load-balancers= >/dev/null

cond() {	# cond TYPE STATUS REASON MESSAGE
	printf '{"type": "%s", "status": "%s", "reason": "%s", "message": "%s", "lastHeartbeatTime": "%s", "lastTransitionTime": "%s"}' \
		"$1" "$2" "$3" "$4" "$now" "$now"
}
node_status() {	# node_status READY-STATUS REASON MESSAGE
	kc patch node "$node" --subresource=status --type=merge -p "{\"status\": {
	  \"conditions\": [$(cond MemoryPressure False KubeletHasSufficientMemory 'kubelet has sufficient memory available'),
	    $(cond DiskPressure False KubeletHasNoDiskPressure 'kubelet has no disk pressure'),
	    $(cond PIDPressure False KubeletHasSufficientPID 'kubelet has sufficient PID available'),
	    $(cond Ready "$1" "$2" "$3")],
	  \"addresses\": [{\"type\": \"InternalIP\", \"address\": \"10.0.2.15\"}, {\"type\": \"Hostname\", \"address\": \"$node\"}],
	  \"capacity\": {\"cpu\": \"2\", \"memory\": \"2030036Ki\", \"pods\": \"110\", \"ephemeral-storage\": \"3030800Ki\"},
	  \"allocatable\": {\"cpu\": \"2\", \"memory\": \"1927636Ki\", \"pods\": \"110\", \"ephemeral-storage\": \"2793166176\"},
	  \"nodeInfo\": {\"architecture\": \"amd64\", \"bootID\": \"6c1f0a35-7c5e-4b0e-9d6f-1c1b5e6a2f10\",
	    \"containerRuntimeVersion\": \"containerd://1.7.24\", \"kernelVersion\": \"6.12.48+deb13-amd64\",
	    \"kubeProxyVersion\": \"\", \"kubeletVersion\": \"$("$kubeadm" version -o short)\",
	    \"machineID\": \"0f6d1f4e8a1b4c6f9d2e3a4b5c6d7e8f\", \"operatingSystem\": \"linux\",
	    \"osImage\": \"Debian GNU/Linux 13 (trixie)\", \"systemUUID\": \"0f6d1f4e-8a1b-4c6f-9d2e-3a4b5c6d7e8f\"}}}" >/dev/null
}
node_status False KubeletNotReady \
	'container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized'

# The controllers make the ReplicaSet and the pods, the scheduler binds them.
"$art/kube-controller-manager" --kubeconfig "$work/super-admin.conf" --leader-elect=false \
	--service-account-private-key-file "$work/pki/sa.key" --root-ca-file "$work/pki/ca.crt" \
	--secure-port 0 --use-service-account-credentials=false >"$work/kcm.log" 2>&1 &
kcm=$!
pids+=("$kcm")
"$art/kube-scheduler" --kubeconfig "$work/super-admin.conf" --leader-elect=false --secure-port 0 \
	>"$work/scheduler.log" 2>&1 &
sched=$!
pids+=("$sched")
# Forming: kube-proxy (it tolerates every taint) is bound to the node, CoreDNS is not:
# the node lifecycle controller taints a NotReady node with node.kubernetes.io/not-ready.
bound() {	# bound N: N pods have a node
	[[ $(kc get pods -n kube-system -o jsonpath='{range .items[*]}{.spec.nodeName}{"\n"}{end}' | grep -c "$node") -ge $1 ]]
}
unschedulable() {
	[[ $(kc get pods -n kube-system -l k8s-app=kube-dns -o jsonpath='{range .items[*]}{.status.conditions[0].reason}{"\n"}{end}' |
		grep -c Unschedulable) -ge 2 ]]
}
for _ in $(seq 90); do bound 1 && unschedulable && break; sleep 1; done
bound 1 && unschedulable || { echo "the pods were not scheduled as expected" >&2; tail -n 20 "$work/kcm.log" "$work/scheduler.log" >&2; exit 1; }
sleep 3   # one more status sync of the controllers

save() {	# save NAME KUBECTL-ARGS...: stdout, and the exit status in NAME.rc
	local name=$1; shift
	set +e
	kc "$@" >"$out/$name" 2>"$out/$name.err"
	echo $? >"$out/$name.rc"
	set -e
	[[ -s $out/$name.err ]] || rm -f "$out/$name.err"
}
# forming: right after init, before the network plugin answers (statuses are the real
# controllers' and scheduler's; the node's is the kubelet's first).
save forming-nodes.json get nodes -o json
save forming-workloads.json get deploy,ds -n kube-system -o json
save forming-pods.json get pods -n kube-system -o json
save readyz.txt get --raw /readyz
save adopt-complete.txt get -n kube-system configmap/kubeadm-config deployment/coredns daemonset/kube-proxy \
	-o name --ignore-not-found
save coredns-configmap.json get configmap coredns -n kube-system -o json

# Ready: the kubelet posts Ready; the taint goes, the scheduler binds CoreDNS. Then the
# controllers stop, so that the statuses only a kubelet would write stay as set.
now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
node_status True KubeletReady 'kubelet is posting ready status'
for _ in $(seq 90); do bound 3 && break; sleep 1; done
bound 3 || { echo "CoreDNS was not scheduled once the node was ready" >&2; exit 1; }

# An addon as the supervisor applies one (supervisor/addons-*.c): its namespace created,
# its baked manifest directory applied server-side, then its workloads asked for. Two
# namespaces: kiln-addon's Deployment, DaemonSet, StatefulSet and Job become available;
# kiln-stuck's Deployment never does and its Job fails. The controllers write the first
# statuses ("pending": pods created, none running without a kubelet). The manifests are
# in addon/ next to this script, laid out as kiln-imagegen bakes them; test-addons.c
# reads the same files.
addon=$out/addon/01-kiln-test-app
stuck=$out/addon/02-kiln-stuck
save addon-namespace.txt create namespace kiln-addon
save addon-namespace-again.txt create namespace kiln-addon
kc create namespace kiln-stuck >/dev/null
save addon-apply.txt apply --server-side --force-conflicts --field-manager=kiln -n kiln-addon -f "$addon"
save addon-apply-again.txt apply --server-side --force-conflicts --field-manager=kiln -n kiln-addon -f "$addon"
save addon-apply-wrong-namespace.txt apply --server-side --force-conflicts --field-manager=kiln -n kiln-addon \
	-f "$out/addon/wrong"
kc apply --server-side --force-conflicts --field-manager=kiln -n kiln-stuck -f "$stuck" >/dev/null
workloads="deployments.apps,daemonsets.apps,statefulsets.apps,jobs.batch"
settled() {	# the controllers have written each workload's first status
	local s
	s=$(kc get "$workloads" -n kiln-addon -o jsonpath='{range .items[*]}{.kind}={.status.observedGeneration}{.status.desiredNumberScheduled}{.status.currentRevision}{.status.startTime}{" "}{end}')
	[[ $s == *Deployment=1* && $s == *DaemonSet=11* && $s == *StatefulSet=1db-* && $s == *Job=2* ]]
}
for _ in $(seq 60); do settled && break; sleep 1; done
settled || { echo "the addon's workloads got no status from the controllers" >&2; exit 1; }
sleep 3   # one more status sync
save addon-pending.json get "$workloads" -n kiln-addon -o json
save addon-none.json get "$workloads" -n kube-node-lease -o json
kill "$kcm" "$sched"
wait "$kcm" "$sched" 2>/dev/null || true

pod_running() {	# pod_running NAME READY [WAITING-REASON WAITING-MESSAGE RESTARTS]
	local name=$1 ready=$2 image cname state
	image=$(kc get pod "$name" -n kube-system -o jsonpath='{.spec.containers[0].image}')
	cname=$(kc get pod "$name" -n kube-system -o jsonpath='{.spec.containers[0].name}')
	if [[ $ready == True ]]; then
		state="\"running\": {\"startedAt\": \"$now\"}"
	else
		state="\"waiting\": {\"reason\": \"$3\", \"message\": \"$4\"}"
	fi
	kc patch pod "$name" -n kube-system --subresource=status --type=merge -p "{\"status\": {
	  \"phase\": \"Running\", \"hostIP\": \"10.0.2.15\", \"podIP\": \"10.244.0.${RANDOM: -1}\", \"startTime\": \"$now\",
	  \"conditions\": [
	    {\"type\": \"PodReadyToStartContainers\", \"status\": \"True\", \"lastTransitionTime\": \"$now\"},
	    {\"type\": \"Initialized\", \"status\": \"True\", \"lastTransitionTime\": \"$now\"},
	    {\"type\": \"Ready\", \"status\": \"$ready\", \"lastTransitionTime\": \"$now\"$([[ $ready == True ]] || echo ", \"reason\": \"ContainersNotReady\", \"message\": \"containers with unready status: [$cname]\"")},
	    {\"type\": \"ContainersReady\", \"status\": \"$ready\", \"lastTransitionTime\": \"$now\"$([[ $ready == True ]] || echo ", \"reason\": \"ContainersNotReady\", \"message\": \"containers with unready status: [$cname]\"")},
	    {\"type\": \"PodScheduled\", \"status\": \"True\", \"lastTransitionTime\": \"$now\"}],
	  \"containerStatuses\": [{\"name\": \"$cname\", \"image\": \"$image\", \"imageID\": \"$image\",
	    \"containerID\": \"containerd://$(printf '%064d' "${5:-0}")\", \"ready\": $([[ $ready == True ]] && echo true || echo false),
	    \"started\": $([[ $ready == True ]] && echo true || echo false), \"restartCount\": ${5:-0}, \"state\": {$state}}]}}" >/dev/null
}
workloads_available() {	# workloads_available COREDNS-AVAILABLE
	local avail=$1 unavail=$((2 - $1)) gen rs
	gen=$(kc get deploy coredns -n kube-system -o jsonpath='{.metadata.generation}')
	rs=$(kc get rs -n kube-system -l k8s-app=kube-dns -o jsonpath='{.items[0].metadata.name}')
	# What the deployment controller writes; with maxUnavailable 1, one of two is enough
	# for Available. unavailableReplicas 0 is omitted (omitempty): null removes it.
	kc patch deploy coredns -n kube-system --subresource=status --type=merge -p "{\"status\": {
	  \"observedGeneration\": $gen, \"replicas\": 2, \"updatedReplicas\": 2, \"readyReplicas\": $avail,
	  \"availableReplicas\": $avail, \"unavailableReplicas\": $([[ $unavail -gt 0 ]] && echo $unavail || echo null),
	  \"conditions\": [
	    {\"type\": \"Available\", \"status\": \"True\", \"reason\": \"MinimumReplicasAvailable\",
	     \"message\": \"Deployment has minimum availability.\", \"lastUpdateTime\": \"$now\", \"lastTransitionTime\": \"$now\"},
	    {\"type\": \"Progressing\", \"status\": \"True\", \"reason\": \"NewReplicaSetAvailable\",
	     \"message\": \"ReplicaSet \\\"$rs\\\" has successfully progressed.\", \"lastUpdateTime\": \"$now\", \"lastTransitionTime\": \"$now\"}]}}" >/dev/null
	gen=$(kc get ds kube-proxy -n kube-system -o jsonpath='{.metadata.generation}')
	kc patch ds kube-proxy -n kube-system --subresource=status --type=merge -p "{\"status\": {
	  \"observedGeneration\": $gen, \"desiredNumberScheduled\": 1, \"currentNumberScheduled\": 1,
	  \"updatedNumberScheduled\": 1, \"numberReady\": 1, \"numberAvailable\": 1, \"numberMisscheduled\": 0,
	  \"numberUnavailable\": null}}" >/dev/null
}

# ready: every pod runs and is ready, the workloads are available.
for p in $(kc get pods -n kube-system -o name); do pod_running "${p#pod/}" True; done
workloads_available 2
save ready-nodes.json get nodes -o json
save ready-workloads.json get deploy,ds -n kube-system -o json
save ready-pods.json get pods -n kube-system -o json

# degraded: one CoreDNS pod in CrashLoopBackOff, its Deployment one short.
crash=$(kc get pods -n kube-system -l k8s-app=kube-dns -o jsonpath='{.items[0].metadata.name}')
pod_running "$crash" False CrashLoopBackOff \
	"back-off 2m40s restarting failed container=coredns pod=${crash}_kube-system($(kc get pod "$crash" -n kube-system -o jsonpath='{.metadata.uid}'))" 5
workloads_available 1
save degraded-workloads.json get deploy,ds -n kube-system -o json
save degraded-pods.json get pods -n kube-system -o json

# The addon's workloads available, as the controllers write it once the pods run and are
# ready (the Job's pod succeeded); kiln-stuck's Deployment past its progress deadline
# (the deployment controller's ProgressDeadlineExceeded) and its Job failed (the job
# controller's BackoffLimitExceeded).
now=$(date -u +%Y-%m-%dT%H:%M:%SZ)   # not before the Job's startTime
status() {	# status KIND NAME NAMESPACE JSON
	kc patch "$1" "$2" -n "$3" --subresource=status --type=merge -p "{\"status\": $4}" >/dev/null
}
rs=$(kc get rs -n kiln-addon -l app=app -o jsonpath='{.items[0].metadata.name}')
status deployment app kiln-addon "{\"observedGeneration\": 1, \"replicas\": 2, \"updatedReplicas\": 2,
  \"readyReplicas\": 2, \"availableReplicas\": 2, \"unavailableReplicas\": null, \"conditions\": [
  {\"type\": \"Available\", \"status\": \"True\", \"reason\": \"MinimumReplicasAvailable\",
   \"message\": \"Deployment has minimum availability.\", \"lastUpdateTime\": \"$now\", \"lastTransitionTime\": \"$now\"},
  {\"type\": \"Progressing\", \"status\": \"True\", \"reason\": \"NewReplicaSetAvailable\",
   \"message\": \"ReplicaSet \\\"$rs\\\" has successfully progressed.\", \"lastUpdateTime\": \"$now\", \"lastTransitionTime\": \"$now\"}]}"
status daemonset agent kiln-addon '{"observedGeneration": 1, "desiredNumberScheduled": 1, "currentNumberScheduled": 1,
  "updatedNumberScheduled": 1, "numberReady": 1, "numberAvailable": 1, "numberMisscheduled": 0, "numberUnavailable": null}'
status statefulset db kiln-addon '{"observedGeneration": 1, "replicas": 1, "readyReplicas": 1, "currentReplicas": 1,
  "updatedReplicas": 1, "availableReplicas": 1}'
status job migrate kiln-addon "{\"active\": 0, \"ready\": 0, \"succeeded\": 1, \"terminating\": 0,
  \"completionTime\": \"$now\", \"conditions\": [
  {\"type\": \"SuccessCriteriaMet\", \"status\": \"True\", \"reason\": \"CompletionsReached\",
   \"message\": \"Reached expected number of succeeded pods\", \"lastProbeTime\": \"$now\", \"lastTransitionTime\": \"$now\"},
  {\"type\": \"Complete\", \"status\": \"True\", \"reason\": \"CompletionsReached\",
   \"message\": \"Reached expected number of succeeded pods\", \"lastProbeTime\": \"$now\", \"lastTransitionTime\": \"$now\"}]}"
save addon-available.json get "$workloads" -n kiln-addon -o json
rs=$(kc get rs -n kiln-stuck -l app=stuck -o jsonpath='{.items[0].metadata.name}')
status deployment stuck kiln-stuck "{\"observedGeneration\": 1, \"replicas\": 1, \"updatedReplicas\": 1,
  \"unavailableReplicas\": 1, \"conditions\": [
  {\"type\": \"Available\", \"status\": \"False\", \"reason\": \"MinimumReplicasUnavailable\",
   \"message\": \"Deployment does not have minimum availability.\", \"lastUpdateTime\": \"$now\", \"lastTransitionTime\": \"$now\"},
  {\"type\": \"Progressing\", \"status\": \"False\", \"reason\": \"ProgressDeadlineExceeded\",
   \"message\": \"ReplicaSet \\\"$rs\\\" has timed out progressing.\", \"lastUpdateTime\": \"$now\", \"lastTransitionTime\": \"$now\"}]}"
status job broken kiln-stuck "{\"active\": 0, \"ready\": 0, \"failed\": 1, \"terminating\": 0, \"conditions\": [
  {\"type\": \"FailureTarget\", \"status\": \"True\", \"reason\": \"BackoffLimitExceeded\",
   \"message\": \"Job has reached the specified backoff limit\", \"lastProbeTime\": \"$now\", \"lastTransitionTime\": \"$now\"},
  {\"type\": \"Failed\", \"status\": \"True\", \"reason\": \"BackoffLimitExceeded\",
   \"message\": \"Job has reached the specified backoff limit\", \"lastProbeTime\": \"$now\", \"lastTransitionTime\": \"$now\"}]}"
save addon-stuck.json get "$workloads" -n kiln-stuck -o json

# The offline Corefile: patched into the ConfigMap (twice: the second changes nothing),
# then CoreDNS restarted.
corefile='.:53 {\n    errors\n    health {\n       lameduck 5s\n    }\n    ready\n    kubernetes cluster.local in-addr.arpa ip6.arpa {\n       pods insecure\n       fallthrough in-addr.arpa ip6.arpa\n       ttl 30\n    }\n    cache 30\n    loop\n    reload\n    loadbalance\n}\n'
save patch-corefile.txt patch configmap coredns -n kube-system --type merge -p "{\"data\": {\"Corefile\": \"$corefile\"}}"
save patch-corefile-again.txt patch configmap coredns -n kube-system --type merge -p "{\"data\": {\"Corefile\": \"$corefile\"}}"
save rollout-restart.txt rollout restart deployment/coredns -n kube-system

# The contract of the calls the supervisor makes, where they fail.
kc delete deployment coredns -n kube-system >/dev/null
save adopt-incomplete.txt get -n kube-system configmap/kubeadm-config deployment/coredns daemonset/kube-proxy \
	-o name --ignore-not-found
save get-missing.txt get deployment coredns -n kube-system -o json
# etcd gone under a running API server: /readyz fails (HTTP 500) and says which check.
kill -STOP "$etcd_pid"
sleep 12
save readyz-etcd-down.txt get --raw /readyz
kill -CONT "$etcd_pid"
kill "$api_pid"
wait "$api_pid" 2>/dev/null || true
save readyz-refused.txt get --raw /readyz
set +e
"$art/kubectl" --kubeconfig "$work/missing.conf" get --raw /readyz >"$out/no-kubeconfig.txt" 2>"$out/no-kubeconfig.txt.err"
echo $? >"$out/no-kubeconfig.txt.rc"
set -e
# Make the files independent of this run's temporary directory.
sed -i "s#$work#/tmp/kiln-fixtures#g" "$out"/*.json "$out"/*.txt "$out"/*.err 2>/dev/null || true
echo "fixtures written to $out"

#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Real tier: the real Kubernetes release (built from its Go modules by tools/k8s-artifacts,
# tests/lib/k8s-real.sh) fed to kiln as a site with a mirror would (binaries over a local
# HTTP server, images in a local registry: tests/lib/bundle-fixture.sh), locked, fetched
# and built with "build --offline" and the servers stopped; then the single-node image
# booted in QEMU (TCG) with a NIC that reaches nothing (restrict=on). The image carries
# tests/real/fixtures, which reports the cluster as KILN-REAL lines on the console.
#   every boot: Pod Security as the real API server enforces it in each namespace, and a
#     pod under kiln's own Localhost seccomp profile (runs; mkdir refused)
#   node A, first boot: the supervisor forms the cluster by itself; the node is Ready at
#     the release's version, every pod is Running, the dns-check addon (a Job from a
#     seeded image) resolved kubernetes.default through CoreDNS, containerd's content
#     store holds no blob younger than the build (nothing pulled), KILN-BOOTED
#   node A, rebooted: Ready again without a second kubeadm init
#   node B: the power is cut while kubeadm init runs (its static pods written); the next
#     boot recognises the init cut short, cleans it with kubeadm reset, and forms the
#     cluster by itself
# One VM at a time, one image built once.
source "$KILN_SRCDIR/tests/lib/tap.sh"
source "$KILN_SRCDIR/tests/lib/image.sh"
source "$KILN_SRCDIR/tests/lib/qemu.sh"
# A guest kernel that panics before /init (the TCG int3 race, about one boot in fifteen
# on a loaded host) is booted again, once.
QEMU_RETRY_EARLY_PANIC=1
source "$KILN_SRCDIR/tests/lib/registry.sh"
source "$KILN_SRCDIR/tests/lib/bundle-fixture.sh"
source "$KILN_SRCDIR/tests/lib/k8s-real.sh"

[[ $(id -u) -eq 0 ]] || skip_all "building images needs root"
reason=$(qemu_check) || skip_all "$reason"
registry_require
k8s_real_require

imagegen=$KILN_BUILDDIR/imagegen/kiln-imagegen
# Under emulation the control plane takes minutes: kubeadm's timeouts are raised in the
# profile (not in kiln's defaults), and the waits here are long but bounded.
READY_TIMEOUT=1500	# QEMU start to KILN-REAL-END of a boot that forms or rejoins the cluster
CUT_TIMEOUT=900		# QEMU start to KILN-REAL-KUBEADM
export QEMU_MEMORY=4096 QEMU_LIFETIME=3300

qemu_test_setup real-cluster
trap 'registry_cleanup; _qemu_test_finish' EXIT

# ---- The bundle, the profile, the image.
bundle_fixture_setup "$work/bundle" || bail "cannot set up the registry and the release's images"
export KILN_REGISTRY_AUTH=$BUNDLE_AUTH
diag "Kubernetes $BUNDLE_K8S_VERSION from $KILN_K8S_ARTIFACTS; images under $BUNDLE_REPO"
mkdir -p "$work/profile"
cat >"$work/profile/dns-check.yaml" <<EOF
# A pod from a seeded image resolves the API server's name through CoreDNS.
apiVersion: batch/v1
kind: Job
metadata: {name: dns-check, namespace: kiln-test}
spec:
  backoffLimit: 20
  template:
    spec:
      restartPolicy: OnFailure
      containers:
        - name: nslookup
          image: $BUNDLE_APP
          imagePullPolicy: Never
          command: [/bin/busybox, nslookup, kubernetes.default.svc.cluster.local]
          # Pod Security restricted (kiln-test's level): not root, no privilege, no
          # capability, the runtime's seccomp profile.
          securityContext:
            runAsNonRoot: true
            runAsUser: 65534
            allowPrivilegeEscalation: false
            capabilities: {drop: [ALL]}
            seccompProfile: {type: RuntimeDefault}
EOF
# An addon whose namespace the profile puts at baseline, with its reason (a ConfigMap:
# nothing to run, only the namespace's labels to look at).
cat >"$work/profile/psa-baseline.yaml" <<EOF
apiVersion: v1
kind: ConfigMap
metadata: {name: psa-baseline, namespace: kiln-psa}
data: {level: baseline}
EOF
profile=$work/profile/real.yaml
cat >"$profile" <<EOF
# A test profile (tests only): the single-node appliance with the real release.
schema: 1
name: kiln-real-test
base:
  suite: trixie
  architecture: amd64
  packages: []
kernel:
  package: linux-image-amd64
  cmdline:
    - console=tty0
    - console=ttyS0,115200
kubernetes:
  version: $BUNDLE_K8S_VERSION
  imageRepository: $BUNDLE_REPO
  offline: true
  timeouts:
    controlPlaneComponentHealthCheck: 40m
    kubeletHealthCheck: 40m
    kubernetesAPICall: 15m
    etcdAPICall: 15m
  artifacts:
$BUNDLE_ARTIFACTS
containerd:
  sandboxImage: $BUNDLE_SANDBOX
addons:
  - name: dns-check
    version: "1"
    namespace: kiln-test
    manifests: [dns-check.yaml]
  - name: psa-baseline
    version: "1"
    namespace: kiln-psa
    manifests: [psa-baseline.yaml]
    podSecurity: {level: baseline, reason: "the real tier's baseline namespace"}
node:
  role: single
  network:
    mode: static
    addresses: [10.0.2.15/24]
    gateway: 10.0.2.2
    dns: [10.0.2.3]
outputs:
  formats: [raw]
  disk:
    size: 10GiB
    espSize: 128MiB
    rootSize: 1536MiB
    varSize: 6GiB
    rootFilesystem: erofs
EOF
cache=$(test_kiln_cache)
for verb in lock fetch; do
	SOURCE_DATE_EPOCH=$TEST_EPOCH timeout 1800 "$imagegen" "$verb" --cache "$cache" "$profile" >"$work/$verb.out" 2>&1 ||
		{ diag_tail "$work/$verb.out"; bail "kiln-imagegen $verb failed"; }
done
registry_stop
http_files_stop
SOURCE_DATE_EPOCH=$TEST_EPOCH timeout 1800 "$imagegen" build --offline --cache "$cache" -o "$work/out" \
	--extra-tree "$KILN_SRCDIR/tests/real/fixtures" "$profile" >"$work/build.out" 2>&1 ||
	{ diag_tail "$work/build.out"; bail "kiln-imagegen build --offline failed"; }
ok 0 "the image is built offline from the lock file ($(grep -c . <<<"$BUNDLE_IMAGES") images in the bundle)"
n_seeded=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["images"]))' "$work/out/manifest.json")
diag "image: $n_seeded seeded images, $(du -m --apparent-size "$work/out/disk.raw" | cut -f1) MiB disk"
cp --sparse=always "$work/out/disk.raw" "$work/a.raw"
cp --sparse=always "$work/out/disk.raw" "$work/b.raw"

# report NAME WHAT: the checks on a boot's KILN-REAL lines; WHAT names the boot.
line() { qemu_grep "$1" "$2" | tail -n 1; }
report() {
	local name=$1 what=$2 l
	if ! qemu_wait "$name" 'KILN-REAL-END' "$READY_TIMEOUT"; then
		ok 1 "$what: the report within $READY_TIMEOUT s"
		qemu_grep "$name" 'KILN-REAL|kiln-supervisor|Oops|panic' | tail -n 20 | sed 's/^/#   /'
		return 1
	fi
	l=$(line "$name" 'KILN-REAL-PHASES')
	ok $([[ $l == *"cluster=done addons=done ready=done"* ]]; echo $?) "$what: cluster, addons and ready phases done (${l#*KILN-REAL-PHASES })"
	l=$(line "$name" 'KILN-REAL-NODE')
	ok $([[ $l == *" ready=True version=$BUNDLE_K8S_VERSION"* ]]; echo $?) "$what: the node is Ready at $BUNDLE_K8S_VERSION (${l#*KILN-REAL-NODE })"
	l=$(line "$name" 'KILN-REAL-PODS')
	local total running
	total=$(sed -n 's/.*total=\([0-9]*\).*/\1/p' <<<"$l") running=$(sed -n 's/.*running=\([0-9]*\).*/\1/p' <<<"$l")
	ok $([[ -n $total && $total -ge 8 && $total == "$running" ]]; echo $?) "$what: every pod Running or Succeeded (${l#*KILN-REAL-PODS })"
	l=$(line "$name" 'KILN-REAL-DNS')
	ok $([[ $l == *"Name:"*"kubernetes.default.svc.cluster.local"*"Address: 10.96.0.1"* ]]; echo $?) \
		"$what: a pod from a seeded image resolved kubernetes.default through CoreDNS"
	[[ $l == *"Address: 10.96.0.1"* ]] || diag "  ${l#*KILN-REAL-DNS }"
	l=$(line "$name" 'KILN-REAL-BLOBS')
	ok $([[ $l =~ count=([0-9]+)\ young=0\ old=([0-9]+) && ${BASH_REMATCH[1]} -gt 0 && ${BASH_REMATCH[1]} == "${BASH_REMATCH[2]}" ]]; echo $?) \
		"$what: no blob in containerd's store is younger than the build: nothing pulled (${l#*KILN-REAL-BLOBS })"
	l=$(line "$name" 'KILN-REAL-PROFILES')
	ok $([[ $l == *" kubectl "* ]]; echo $?) "$what: the supervisor ran its kubectl calls under the kubectl security profile (${l#*KILN-REAL-PROFILES })"
	PROFILES=${l#*KILN-REAL-PROFILES }
	l=$(line "$name" 'KILN-REAL-CONFINE ')
	is "${l#*KILN-REAL-CONFINE }" "CapEff:0000000000000000 CapBnd:0000000000000000 NoNewPrivs:1 Seccomp:2 " \
		"$what: under the kubectl profile the kernel shows no capability, no_new_privs and a seccomp filter"
	l=$(line "$name" 'KILN-REAL-SPLIT')
	ok $([[ $l =~ capbnd=0000000000000101\ exposure=([0-9.]+) ]] &&
		python3 -c 'import sys; sys.exit(float(sys.argv[1]) > 2.5)' "${BASH_REMATCH[1]}"; echo $?) \
		"$what: the supervisor keeps only CAP_CHOWN and CAP_SETPCAP, and its unit's exposure is at most 2.5 (${l#*KILN-REAL-SPLIT })"
	l=$(line "$name" 'KILN-REAL-CONFINED-KUBECTL')
	ok $([[ $l == *"rc=0 node/"* ]]; echo $?) "$what: the real kubectl works under its profile (${l#*KILN-REAL-CONFINED-KUBECTL })"
	l=$(line "$name" 'KILN-REAL-MODPROBE ')
	ok $([[ $l == *"rc=0 loaded=1 "* ]]; echo $?) "$what: the real modprobe loads a module under its profile (${l#*KILN-REAL-MODPROBE })"
	l=$(line "$name" 'KILN-REAL-MODPROBE-DENIED')
	ok $([[ $l == *"rc=1 loaded=0 "* ]]; echo $?) \
		"$what: under swapoff's profile modprobe cannot load one (${l#*KILN-REAL-MODPROBE-DENIED })"
	l=$(line "$name" 'KILN-REAL-SWAPOFF')
	ok $([[ $l == *"rc=0 "* ]]; echo $?) "$what: the real swapoff -a runs under its profile (${l#*KILN-REAL-SWAPOFF })"
	report_pod_security "$name" "$what"
	l=$(line "$name" 'KILN-REAL-SECCOMP')
	# The pod's stdout ("Seccomp: 2", "mkdir-refused", "done") and stderr (mkdir's refusal)
	# reach kubectl logs as two streams: the refusal may come anywhere among the others.
	local refusal="mkdir: can't create directory '/work/d': Operation not permitted " out
	out=${l/"$refusal"/}
	ok $([[ $out != "$l" && $out == *"phase=Succeeded link=/usr/lib/kiln/seccomp Seccomp: 2 mkdir-refused done"* ]]; echo $?) \
		"$what: a pod under kiln's Localhost profile kiln/network-service.json runs, and its mkdir is refused (${l#*KILN-REAL-SECCOMP })"
	# kilnctl audit on the node: every process as declared, every running pod audited.
	l=$(line "$name" 'KILN-REAL-AUDIT ')
	ok $([[ $l =~ rc=0\ supervisor=1\ helpers=[0-9]+\ containers=([0-9]+)\ .*\ violations=0\ notaudited=0 &&
		${BASH_REMATCH[1]} -ge 8 ]]; echo $?) "$what: kilnctl audit finds every process as declared (${l#*KILN-REAL-AUDIT })"
	qemu_grep "$name" 'KILN-REAL-AUDIT-LINE' | sed 's/.*KILN-REAL-AUDIT-LINE /#   /'
	AUDIT=${l#*KILN-REAL-AUDIT }
	# Running (the dns-check Job's pod has Succeeded): etcd, the API server, the controller
	# manager, the scheduler, kube-proxy and CoreDNS's two, at least.
	l=$(line "$name" 'KILN-REAL-AUDIT-PODS')
	ok $([[ $l =~ running=([0-9]+)\ audited=([0-9]+)\ missing=$ && ${BASH_REMATCH[1]} -ge 7 &&
		${BASH_REMATCH[1]} -le ${BASH_REMATCH[2]} ]]; echo $?) \
		"$what: every running pod has its container processes audited (${l#*KILN-REAL-AUDIT-PODS })"
	qemu_wait "$name" 'KILN-BOOTED' 60
	ok $? "$what: KILN-BOOTED, $QEMU_ELAPSED s after QEMU started"
	RUNS=$(line "$name" 'KILN-REAL-RUNS')
	RUNS=${RUNS#*KILN-REAL-RUNS }
}

# Pod Security from the real API server: per namespace its enforce label and the verdicts
# on a privileged pod and on a root pod (server-side dry runs). kube-system is exempt (no
# label needed), the namespaces without labels are restricted by the API server's default,
# the profile's baseline namespace admits the root pod only.
report_pod_security() {
	local name=$1 what=$2 l
	l=$(line "$name" 'KILN-REAL-PSA ')
	ok $([[ $l == *" kube-system=-:admitted,admitted "* && $l == *" default=-:refused,refused "* &&
		$l == *" kube-public=-:refused,refused "* && $l == *" kube-node-lease=-:refused,refused "* &&
		$l == *" kiln-test=restricted:refused,refused "* && $l == *" kiln-psa=baseline:refused,admitted "* ]]; echo $?) \
		"$what: Pod Security per namespace: kube-system exempt, the rest restricted, kiln-psa baseline (${l#*KILN-REAL-PSA })"
	l=$(line "$name" 'KILN-REAL-PSA-REFUSED')
	ok $([[ $l == *'is forbidden: violates PodSecurity "restricted:latest": privileged'* ]]; echo $?) \
		"$what: the API server refuses a privileged pod in default (${l#*KILN-REAL-PSA-REFUSED })"
	l=$(line "$name" 'KILN-REAL-PSA-REASON')
	is "${l#*KILN-REAL-PSA-REASON }" "kiln-psa: the real tier's baseline namespace" "$what: the profile's reason is on the namespace"
}

# One VM at a time: two TCG control planes side by side on two cores starve each other
# (measured: after 23 min neither had its system workloads, etcd failing its checks),
# while one alone is Ready in about 5 min.
# ---- A forms its cluster, then reboots into it.
qemu_start a "$work/a.raw" --firmware=uefi --persist --mac=52:54:00:4b:00:0a
report a "A, first boot"
a_runs=$RUNS
is "$a_runs" "boot: init=1 reset=0; all boots: init=1 reset=0" "A, first boot: one kubeadm init, no reset"
ok $([[ " $PROFILES" == *" systemd-run "* && " $PROFILES" == *" kubeadm-init "* ]]; echo $?) \
	"A, first boot: kubeadm was started through systemd-run under its security profile, itself under kubeadm-init's"
l=$(qemu_grep a 'KILN-REAL-KUBEADM running' | tail -n 1)
# The unit's bounding set is kubeadm-init's capabilities and CAP_SETPCAP; kiln-confine in
# it drops CAP_SETPCAP before it execs kubeadm (0x20042f: CAP_CHOWN, DAC_OVERRIDE,
# DAC_READ_SEARCH, FOWNER, KILL, NET_BIND_SERVICE, SYS_ADMIN), as the profile says.
ok $([[ $l == *"running nnp=yes bounding=cap_chown cap_dac_override cap_dac_read_search cap_fowner cap_kill cap_setpcap cap_net_bind_service cap_sys_admin kubeadm=comm:kubeadm capbnd:000000000020042f capamb:000000000020042f nnp:1 seccomp:2" ]]; echo $?) \
	"A, first boot: kubeadm ran in its transient unit under kiln-confine and its kubeadm-init profile (${l#*KILN-REAL-KUBEADM })"
l=$(qemu_grep a 'KILN-REAL-KUBEADM-AUDIT' | tail -n 1)
ok $([[ $l == *"ok "*" - helper kiln-kubeadm.service/kubeadm (pid "*"): Seccomp filter, NoNewPrivs 1, CapEff 000000000020042f;"* &&
	$l != *"not ok"* ]]; echo $?) \
	"A, first boot: kilnctl audit, while init ran, found kubeadm's unit as its profile declares (${l#*KILN-REAL-KUBEADM-AUDIT })"
qemu_stop a 120
ok $? "A powers off cleanly"
qemu_start a "$work/a.raw" --firmware=uefi --persist --mac=52:54:00:4b:00:0a
report a "A, rebooted"
is "$RUNS" "boot: init=0 reset=0; all boots: init=1 reset=0" "A, rebooted: no second kubeadm init"
qemu_stop a 10

# ---- B: the power is cut while kubeadm init runs; the next boot forms the cluster.
qemu_start b "$work/b.raw" --firmware=uefi --persist --mac=52:54:00:4b:00:0b
if qemu_cut b 'KILN-REAL-KUBEADM running' "$CUT_TIMEOUT" 5; then
	ok 0 "B: power cut ${QEMU_CUT_AT} s after QEMU started, 5 s into kubeadm init's control plane"
	qemu_start b "$work/b.raw" --firmware=uefi --persist --mac=52:54:00:4b:00:0b
	report b "B, after the cut"
	# This boot's count only: the cut boot's journal lines are usually lost with the power
	# (journald had not written them yet); that boot's init is its KILN-REAL-KUBEADM line.
	is "${RUNS%%;*}" "boot: init=1 reset=1" \
		"B, after the cut: the init cut short was reset, and init ran again (once) ($RUNS)"
	ok $([[ " $PROFILES" == *" kubeadm-reset "* && " $PROFILES" == *" kubeadm-init "* ]]; echo $?) \
		"B, after the cut: reset ran under the kubeadm-reset profile, init under kubeadm-init's ($PROFILES)"
else
	ok 1 "B: kubeadm init was seen running within $CUT_TIMEOUT s"
	qemu_grep b 'KILN-REAL|Oops|panic' | tail -n 10 | sed 's/^/#   /'
	skip 19 "B was not cut"  # report's 18 checks and the count of runs
fi
qemu_stop b 10

tap_done

#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Integration: the supervisor's cluster phase in a Debian trixie machine booted with
# systemd-nspawn -b (real systemd, D-Bus, journald, containerd, kiln-supervisor.service as
# the image has it), with the test doubles as kubeadm and kubectl and a stand-in kubelet
# (tests/doubles: k8s_api.py says why each is there; the real binaries run in the QEMU
# tier). The image's files are written here as the renderer bakes them: the kubeadm
# configuration /usr/lib/kiln/kubeadm/node.yaml, the offline Corefile, kubelet.service
# (not enabled).
#   - init: kubeadm init once, the stamp, kubelet enabled for this boot and started, the
#     Corefile put in place and CoreDNS restarted; kilnctl status shows the cluster;
#     kubeadm's lines are in the journal under KILN_PHASE=cluster; kilnctl kubeconfig
#   - already initialized: a restart of the supervisor, and a reboot: no second init, the
#     cluster's data (its objects in etcd's directory) the same
#   - the watch: kubelet killed and restarted; a CoreDNS pod crashing shows in the status
#   - init cut short: kill -9 of kubeadm while it writes its files (partial), and after
#     the control plane is up (adoptable, but unfinished): reset, cleaned, init again
#   - a power cut between init's success and the stamp: the finished init is stamped, not
#     wiped, and not run again
#   - kubeadm failing (a preflight error): backoff, kubeadm's lines as lastError in
#     kilnctl status; then fixed, formed
#   - bad configurations refused: one kubeadm rejects, a missing one; a joining role
#   - addons, baked as kiln-imagegen bakes them (tests/unit/data/cluster/addon): applied
#     in order (namespace, kubectl apply --server-side) and waited for; a workload that
#     never becomes available fails the phase naming it and stops the addon after it,
#     then the retry succeeds once it does; a reboot looks at the workloads and does not
#     apply again
source "$KILN_SRCDIR/tests/lib/tap.sh"
source "$KILN_SRCDIR/tests/lib/rootfs.sh"
source "$KILN_SRCDIR/tests/lib/nspawn.sh"
source "$KILN_SRCDIR/tests/lib/supervisor-machine.sh"

supervisor_machine_requirements
# Python with PyYAML for the doubles, procps to find kubeadm in the machine.
tar=$(supervisor_machine_tar python3 python3-yaml procps) || bail "could not build the test rootfs with mmdebstrap"

work=$(mktemp -d "${TMPDIR:-/tmp}/kiln-cluster-XXXXXX")
cleanup() { machine_stop; rm -rf "$work"; }
trap cleanup EXIT
root=$work/root
mkdir "$root" && tar -C "$root" -xf "$tar" || bail "extracting $tar failed"
supervisor_machine_prepare "$root" "$SUPERVISOR_MACHINE_IGNORE" || bail "cannot install kiln into the machine"

# --- The image, as a build with Kubernetes has it.
python3 - "$KILN_SRCDIR/profiles/single-node.yaml" "$root/usr/lib/kiln" <<'EOF' || bail "profile"
import sys, yaml
p = yaml.safe_load(open(sys.argv[1]))
del p["addons"]          # without manifests (built-in addon definitions): added at the end
yaml.safe_dump(p, open(sys.argv[2] + "/profile.yaml", "w"), sort_keys=False)
# The same machine as a worker, for the last part.
p["node"]["role"] = "worker"
p["kubernetes"]["controlPlaneEndpoint"] = "10.0.2.99:6443"
yaml.safe_dump(p, open(sys.argv[2] + "/profile-worker.yaml", "w"), sort_keys=False)
EOF
cat >"$root/usr/lib/kiln/image.json" <<'EOF'
{"kilnVersion": "test", "sourceDateEpoch": 1700000000, "kubernetes": {"present": true, "version": "v1.37.2"}, "images": []}
EOF
doubles=$root/usr/lib/kiln-test/doubles
mkdir -p "$doubles" "$root/usr/lib/kiln/kubeadm"
for f in kubeadm kubeadm_init.py k8s_api.py kubectl kubelet; do
	install -m 0755 "$KILN_SRCDIR/tests/doubles/$f" "$doubles/$f" || bail "installing the double $f"
done
for f in kubeadm kubectl kubelet; do ln -sf "/usr/lib/kiln-test/doubles/$f" "$root/usr/bin/$f"; done
# The kubectl and kubeadm doubles are Python scripts: they run under the doubles' profiles
# (the same capabilities, an allow-list for Python); systemd-run is the machine's own,
# under its real profile.
for f in kubectl kubeadm-init kubeadm-reset; do
	install -m 0644 "$KILN_SRCDIR/tests/doubles/security/$f.yaml" "$root/usr/lib/kiln/security/$f.yaml" ||
		bail "installing the doubles' $f profile"
done
install -D -m 0644 "$KILN_SRCDIR/rootfs/usr/lib/tmpfiles.d/kiln-kubernetes.conf" \
	"$root/usr/lib/tmpfiles.d/kiln-kubernetes.conf"
cat >"$root/usr/lib/systemd/system/kubelet.service" <<'EOF'
[Unit]
Description=kubelet stand-in of the kiln nspawn tests (tests/doubles/kubelet)
[Service]
EnvironmentFile=-/var/lib/kubelet/kubeadm-flags.env
ExecStart=/usr/bin/kubelet $KUBELET_KUBEADM_ARGS
Restart=always
RestartSec=10
[Install]
WantedBy=multi-user.target
EOF
install -m 0644 "$KILN_SRCDIR/tests/lib/kubeadm-node.yaml" "$root/usr/lib/kiln/kubeadm/node.yaml"
# Offline: no forward plugin.
cat >"$root/usr/lib/kiln/kubeadm/Corefile" <<'EOF'
.:53 {
    errors
    health {
       lameduck 5s
    }
    ready
    kubernetes cluster.local in-addr.arpa ip6.arpa {
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
       ttl 30
    }
    cache 30
    loop
    reload
    loadbalance
}
EOF
cat >>"$root/etc/systemd/system/kiln-supervisor.service.d/50-test.conf" <<'EOF'
Environment=KILN_KUBEADM_DOUBLE_VERSION=v1.37.2 KILN_KUBEADM_DOUBLE_LOG=/run/kiln/kubeadm-double.log
Environment=KILN_KUBECTL_DOUBLE_LOG=/run/kiln/kubectl-double.log
EOF
# kubeadm runs as a transient unit of systemd's (systemd-run), which inherits the
# manager's environment, not the supervisor's: the double's settings go there too.
mkdir -p "$root/etc/systemd/system.conf.d"
printf '[Manager]\nDefaultEnvironment=KILN_KUBEADM_DOUBLE_VERSION=v1.37.2 KILN_KUBEADM_DOUBLE_LOG=/run/kiln/kubeadm-double.log\n' \
	>"$root/etc/systemd/system.conf.d/50-kiln-test.conf"
mkdir -p "$root/etc/tmpfiles.d"
echo "d /run/kiln-test 0755 root root -" >"$root/etc/tmpfiles.d/kiln-test.conf"
# This test stops and starts the supervisor several times within seconds (bad
# configurations, one after the other): systemd's start limit (5 in 10 s) is not what
# it tests.
mkdir -p "$root/etc/systemd/system/kiln-supervisor.service.d"
printf '[Unit]\nStartLimitIntervalSec=0\n' >"$root/etc/systemd/system/kiln-supervisor.service.d/50-kiln-test.conf"

boot() {
	: >"$work/kmsg"
	MACHINE_BOOT_TIMEOUT=120 machine_boot "$root" "${SUPERVISOR_MACHINE_NSPAWN_ARGS[@]}" --bind="$work/kmsg:/dev/kmsg"
}
inside() { machine_exec "$@"; }
status_json() { inside kilnctl status --json 2>/dev/null; }
jget() { python3 -c 'import json, sys
d = json.load(sys.stdin)
p = {x["name"]: x for x in d["phases"]}
c = d.get("cluster") or {}
v = eval(sys.argv[1])
print(json.dumps(v) if not isinstance(v, str) else v)' "$1"; }
is_ready() { [[ $(status_json | jget 'd["ready"]') == true ]]; }
cluster_status() { status_json | jget 'p["cluster"]["status"]'; }
# What the kubeadm double did since the log was last emptied (none: 0).
count() { local n; n=$(inside grep -c "$1" /run/kiln/kubeadm-double.log 2>/dev/null); echo "${n:-0}"; }
inits() { count '^init start'; }
resets() { count '^reset'; }
api_state() { inside cat /var/lib/etcd/member/kiln-test-double-api.json 2>/dev/null; }
# The uid the API gave kubeadm-config: the same cluster as long as it does not change.
cluster_uid() { api_state | python3 -c 'import json, sys
print(json.load(sys.stdin)["objects"]["ConfigMap/kube-system/kubeadm-config"]["metadata"]["uid"])' 2>/dev/null; }
journal() { inside journalctl -b -o cat --no-pager -u kiln-supervisor "$@"; }
why() { diag "$(status_json | jget '(p["cluster"]["status"], p["cluster"]["detail"], p["cluster"]["lastError"])')"
	journal KILN_PHASE=cluster | tail -n 12 | sed 's/^/#   /'
	# When the supervisor does not answer at all: what systemd and its journal say.
	inside systemctl status --no-pager -n 0 kiln-supervisor.service 2>&1 | head -n 6 | sed 's/^/#   /'
	inside journalctl -u kiln-supervisor.service -n 10 --no-pager -o short-monotonic 2>&1 | sed 's/^/#   /'; }
# A node made fresh again by hand, the supervisor stopped: what a new machine looks like.
make_fresh() {
	inside systemctl stop kiln-supervisor.service
	inside systemctl stop kubelet.service
	inside rm -f /var/lib/kiln/cluster-formed /var/lib/kiln/state.json /run/kiln-test/kubeadm-pause \
		/run/kiln-test/kubelet-version /run/kiln-test/cluster-faults
	inside env KILN_KUBEADM_DOUBLE_VERSION=v1.37.2 kubeadm reset --force >/dev/null 2>&1
	inside sh -c ': >/run/kiln/kubeadm-double.log'
}

# --- Init.
boot
ok $? "the machine boots to multi-user, the supervisor ready" || { why; tap_done; exit 1; }
is_ready
ok $? "kilnctl status says ready" || why
doc=$(status_json)
is "$(jget '[p[n]["status"] for n in ("preflight", "runtime", "images", "cluster", "addons", "ready", "watch")]' <<<"$doc")" \
	'["done", "done", "done", "done", "skipped", "done", "running"]' "every phase's status (addons: none in the profile)"
is "$(inits)" 1 "kubeadm init ran once"
# Every helper under its security profile: the supervisor's own line when it compiled each
# (modprobe and kubeadm's systemd-run are the machine's real ones under the shipped
# profiles; kubectl and kubeadm are the doubles under the doubles' profiles; the watch
# phase's kilnctl audit is the real one), and the kernel's view of the doubles.
is "$(journal | sed -n 's/^Security profile \([a-z-]*\) (\([^)]*\)).*/\1 \2/p' | sort)" \
	"kilnctl /usr/lib/kiln/security/kilnctl.yaml
kubeadm-init /usr/lib/kiln/security/kubeadm-init.yaml
kubectl /usr/lib/kiln/security/kubectl.yaml
modprobe /usr/lib/kiln/security/modprobe.yaml
systemd-run /usr/lib/kiln/security/systemd-run.yaml" \
	"preflight's modprobe, kubeadm's systemd-run, kubeadm, kubectl and the watch's kilnctl audit ran under their security profiles"
# kubeadm's unit is bounded to its profile's capabilities and CAP_SETPCAP; kiln-confine
# inside it drops CAP_SETPCAP and makes the rest ambient: 0x20042f is CAP_CHOWN,
# DAC_OVERRIDE, DAC_READ_SEARCH, FOWNER, KILL, NET_BIND_SERVICE and SYS_ADMIN.
kubeadm_confined() { inside sed -n 's/^\(CapEff\|CapBnd\|CapAmb\|NoNewPrivs\|Seccomp\):\t//p' \
	"/run/kiln/kubeadm-double.log.$1.status" | tr '\n' ' '; }
is "$(kubeadm_confined init)" "000000000020042f 000000000020042f 000000000020042f 1 2 " \
	"kubeadm init ran under kiln-confine in its unit: its profile's capabilities only (CapEff, CapBnd, CapAmb), no_new_privs, a filter"
# systemd loads several filters for the supervisor's unit; the helper has one more: its own.
unit_filters=$(inside sh -c 'sed -n "s/^Seccomp_filters:\t//p" /proc/$(systemctl show -P MainPID kiln-supervisor)/status')
is "$(inside cat /run/kiln/kubectl-double.log.status | tr -d '\t' | tr '\n' ' ')" \
	"CapPrm:0000000000000000 CapEff:0000000000000000 CapBnd:0000000000000000 CapAmb:0000000000000000 NoNewPrivs:1 Seccomp:2 Seccomp_filters:$((unit_filters + 1)) " \
	"the kubectl the supervisor ran: no capability, no_new_privs, its own filter on top of the unit's $unit_filters"
inside grep -q '"formed"' /var/lib/kiln/cluster-formed
ok $? "the stamp is written: $(inside cat /var/lib/kiln/cluster-formed)"
is "$(inside systemctl is-enabled kubelet.service)/$(inside systemctl is-active kubelet.service)" "enabled-runtime/active" \
	"kubelet.service is enabled for this boot only, and running"
is "$(jget '(c["apiServer"]["ok"], c["node"]["name"], c["node"]["ready"], len(c["workloads"]), c["podsNotReady"])' <<<"$doc")" \
	'[true, "kiln-test-node", true, 2, []]' "the status document's cluster: API ok, the node Ready, 2 workloads, no pod not ready"
[[ $(jget 'p["cluster"]["detail"]' <<<"$doc") == "API ok, node kiln-test-node Ready, kube-system 2/2 workloads available, 0/"*" pods not ready" ]]
ok $? "the cluster phase's detail is what it saw: $(jget 'p["cluster"]["detail"]' <<<"$doc")"
table=$(inside kilnctl status)
grep -q "^  API server   ok$" <<<"$table" && grep -q "^  Node         kiln-test-node Ready (KubeletReady: kubelet is posting ready status)$" <<<"$table" &&
	grep -q "^  kube-system  2/2 workloads available$" <<<"$table"
ok $? "kilnctl status shows the API server, the node and kube-system" || diag "$table"
n=$(journal KILN_PHASE=cluster KILN_COMMAND=kubeadm-init | wc -l)
journal KILN_PHASE=cluster KILN_COMMAND=kubeadm-init | grep -q "kubeadm init: Your Kubernetes control-plane has initialized successfully!"
ok $? "kubeadm's output is in the journal, line by line, under KILN_PHASE=cluster ($n lines)"
journal KILN_COMMAND=kubeadm-init | grep -q -- "--token <value withheld>"
ok $? "the join token is not in the journal (--skip-token-print)"
api_state | python3 -c 'import json, sys
s = json.load(sys.stdin)["objects"]
c = s["ConfigMap/kube-system/coredns"]["data"]["Corefile"]
r = s["Deployment/kube-system/coredns"]["spec"]["template"]["metadata"]["annotations"]["kubectl.kubernetes.io/restartedAt"]
assert c == open(sys.argv[1]).read() and "forward" not in c and r' "$root/usr/lib/kiln/kubeadm/Corefile"
ok $? "the image's Corefile (no forward) is in the coredns ConfigMap, and CoreDNS was restarted"
is "$(inside kilnctl kubeconfig | head -n1)" "apiVersion: v1" "kilnctl kubeconfig prints admin.conf to root"
uid=$(cluster_uid)
ok $([[ -n $uid ]]; echo $?) "the cluster's objects are in etcd's data directory (kubeadm-config $uid)"
own=$(inside journalctl -b -o export --no-pager -u kiln-supervisor KILN_PHASE=cluster | sed -n 's/^KILN_CLUSTER_OWN_CPU_USEC=//p' | tail -n1)
ok $([[ $own =~ ^[0-9]+$ ]]; echo $?) "the supervisor's own CPU time in the phase is logged: ${own:-?} us (goal: under 1 s)"

# --- Already initialized: a restart of the supervisor.
inside systemctl restart kiln-supervisor.service
wait_for 60 is_ready
ok $? "after a restart of the supervisor: ready again"
is "$(inits)" 1 "no second kubeadm init"

# --- And a reboot: the kubelet is not enabled at boot, the phase starts it and waits.
machine_stop
boot
ok $? "the machine boots again" || { why; tap_done; exit 1; }
wait_for 60 is_ready
ok $? "after the reboot: ready again" || why
is "$(inits)" 0 "no kubeadm init in this boot (the double's log is in /run)"
is "$(cluster_uid)" "$uid" "the same cluster: its etcd data was kept"
journal KILN_PHASE=cluster KILN_CLUSTER_DISK=formed | grep -q "formed: starting the kubelet, no init"
ok $? "the phase found the node formed"
is "$(status_json | jget 'p["cluster"]["attempts"]')" 2 "the cluster phase ran once per boot (attempts 2)"

# --- The watch: kubelet killed; a CoreDNS pod crashing.
repairs=$(status_json | jget 'd["repairs"]')
kpid=$(inside systemctl show -p MainPID --value kubelet.service)
inside kill -9 "$kpid"
wait_for 10 eval '[[ $(inside systemctl is-active kubelet.service) == active && $(inside systemctl show -p MainPID --value kubelet.service) != "$kpid" ]]'
ok $? "kubelet killed: the watch restarted it at once (its RestartSec= is 10 s)"
wait_for 5 eval '(( $(status_json | jget "d[\"repairs\"]") == repairs + 1 ))'
ok $? "counted as a repair"
journal KILN_PHASE=watch KILN_UNIT=kubelet.service | grep -q "restarting it"
ok $? "logged with KILN_PHASE=watch KILN_UNIT=kubelet.service"
inside sh -c 'echo coredns-crashloop >/run/kiln-test/cluster-faults'
wait_for 45 eval '[[ $(status_json | jget "len(c[\"podsNotReady\"])") == 1 ]]'
ok $? "a crashing CoreDNS pod shows in the status within the watch's interval"
# The pods and the workloads are read by separate kubectl calls: a look that straddles the
# fault sees the pod before its Deployment (as a real cluster may); the next look, one
# watch interval later, has both.
crash_table() {
	table=$(inside kilnctl status)
	grep -qE "^    coredns-[a-z0-9-]+  Running  CrashLoopBackOff: back-off 2m40s restarting failed container=coredns$" <<<"$table" &&
		grep -q "^  kube-system  1/2 workloads available; Deployment coredns 1/2$" <<<"$table"
}
wait_for 75 crash_table
ok $? "kilnctl status names the pod, its phase and reason, and the short Deployment" || diag "$table"
journal KILN_PHASE=watch | grep -q "Cluster: not healthy (Deployment coredns 1/2 available)"
ok $? "the watch logged the change"
inside rm -f /run/kiln-test/cluster-faults

# --- Init cut short while kubeadm writes its files.
make_fresh
inside sh -c 'echo control-plane:120 >/run/kiln-test/kubeadm-pause'
inside systemctl start --no-block kiln-supervisor.service
wait_for 60 inside test -e /etc/kubernetes/manifests/etcd.yaml
ok $? "init is under way (etcd's manifest written)"
# systemd-run's command line names kubeadm init too: both are killed, on one TAP line.
kpid=$(inside pgrep -f 'kubeadm init' | xargs)
inside test ! -e /etc/kubernetes/manifests/kube-apiserver.yaml
ok $? "kubeadm is stopped in the middle: the API server's manifest not written yet"
inside kill -9 $kpid
ok $? "kill -9 kubeadm init ($kpid)"
inside rm -f /run/kiln-test/kubeadm-pause
wait_for 30 eval '[[ $(status_json | jget "p[\"cluster\"][\"lastError\"]") == "kubeadm init failed (exit status 137)"* ]]'
ok $? "the phase failed: $(status_json | jget 'p["cluster"]["lastError"]')"
wait_for 60 is_ready
ok $? "then, at the retry: ready" || why
is "$(inits)/$(resets)" "2/1" "the cut-short init was reset once and init ran again"
is "$(kubeadm_confined reset)" "000000000020042f 000000000020042f 000000000020042f 1 2 " \
	"kubeadm reset ran under kiln-confine in its unit, with the same capabilities"
journal | grep -q '^Security profile kubeadm-reset (/usr/lib/kiln/security/kubeadm-reset.yaml)'
ok $? "under its own profile, kubeadm-reset"
journal KILN_PHASE=cluster KILN_CLUSTER_DISK=partial | grep -q "an init was cut short"
ok $? "recognised as cut short (partial)"

# --- Cut short after the control plane came up: adoptable, but unfinished.
make_fresh
inside sh -c 'echo addon:120 >/run/kiln-test/kubeadm-pause'
inside systemctl start --no-block kiln-supervisor.service
wait_for 60 eval '[[ -n $(cluster_uid) ]]'
ok $? "init is past upload-config"
inside pkill -9 -f 'kubeadm init'
inside rm -f /run/kiln-test/kubeadm-pause
wait_for 90 is_ready
ok $? "killed before its addons: ready after the retry" || why
journal KILN_PHASE=cluster KILN_CLUSTER_DISK=adoptable | grep -q "maybe finished: asking the API"
ok $? "found adoptable, the API asked"
is "$(inits)/$(resets)" "2/1" "init had not finished (no CoreDNS): reset, and init again"

# --- A power cut between init's success and the stamp.
uid=$(cluster_uid)
inside systemctl stop kiln-supervisor.service
inside systemctl stop kubelet.service
inside rm -f /var/lib/kiln/cluster-formed /var/lib/kiln/state.json
inside sh -c ': >/run/kiln/kubeadm-double.log'
inside systemctl start --no-block kiln-supervisor.service
wait_for 60 is_ready
ok $? "a finished init without the stamp: ready" || why
is "$(inits)/$(resets)" "0/0" "neither init nor reset ran"
inside test -s /var/lib/kiln/cluster-formed
ok $? "the stamp was written"
is "$(cluster_uid)" "$uid" "the same cluster"

# --- kubeadm failing: its preflight refuses a kubelet newer than the control plane.
make_fresh
inside sh -c 'echo v1.38.0 >/run/kiln-test/kubelet-version'
inside systemctl start --no-block kiln-supervisor.service
err='kubeadm init failed (exit status 1): error execution phase preflight: preflight checks failed; [ERROR KubeletVersion]: the kubelet version is higher than the control plane version. This is not a supported version skew and may lead to a malfunctional cluster. Kubelet version: "v1.38.0" Control plane version: "v1.37.2"'
wait_for 60 eval '[[ $(status_json | jget "p[\"cluster\"][\"lastError\"]") == "$err" ]]'
ok $? "lastError is kubeadm's own error lines" || why
grep -qF "[ERROR KubeletVersion]" <<<"$(inside kilnctl status)"
ok $? "and kilnctl status shows them"
is "$(status_json | jget 'd["phase"], d["ready"]')" '["cluster", false]' "the node is not ready"
wait_for 30 eval '(( $(status_json | jget "p[\"cluster\"][\"attempts\"]") >= 2 ))'
ok $? "retried with the backoff (attempts $(status_json | jget 'p["cluster"]["attempts"]'))"
journal KILN_PHASE=cluster KILN_COMMAND=kubeadm-init PRIORITY=3 | grep -q "\[ERROR KubeletVersion\]"
ok $? "the error line is in the journal at priority err"
inside rm -f /run/kiln-test/kubelet-version
wait_for 60 is_ready
ok $? "fixed: the next retry forms the cluster" || why

# --- Bad configurations: refused by kubeadm, or missing; a joining role.
make_fresh
inside sed -i 's/name: kiln-test-node/name: Kiln_Test/' /usr/lib/kiln/kubeadm/node.yaml
inside systemctl start --no-block kiln-supervisor.service
wait_for 30 eval '[[ $(status_json | jget "p[\"cluster\"][\"lastError\"]") == *"nodeRegistration.name: Invalid value: \"kiln_test\""* ]]'
ok $? "a configuration kubeadm refuses: its words in lastError"
inside test ! -e /etc/kubernetes/admin.conf
ok $? "and nothing was written"
inside systemctl stop kiln-supervisor.service
inside mv /usr/lib/kiln/kubeadm/node.yaml /usr/lib/kiln/kubeadm/node.yaml.away
inside systemctl start --no-block kiln-supervisor.service
wait_for 30 eval '[[ $(status_json | jget "p[\"cluster\"][\"lastError\"]") == "cannot load this machine'"'"'s kubeadm configuration /usr/lib/kiln/kubeadm/node.yaml: No such file or directory" ]]'
ok $? "a missing configuration: said so ($(status_json | jget 'p["cluster"]["lastError"]'))"
inside systemctl stop kiln-supervisor.service
inside mv /usr/lib/kiln/kubeadm/node.yaml.away /usr/lib/kiln/kubeadm/node.yaml
inside sed -i 's/name: Kiln_Test/name: kiln-test-node/' /usr/lib/kiln/kubeadm/node.yaml
inside cp /usr/lib/kiln/profile.yaml /usr/lib/kiln/profile-single.yaml
inside cp /usr/lib/kiln/profile-worker.yaml /usr/lib/kiln/profile.yaml
inside systemctl start --no-block kiln-supervisor.service
wait_for 30 eval '[[ $(status_json | jget "p[\"cluster\"][\"lastError\"]") == "role worker: joining a cluster is not implemented in this version" ]]'
ok $? "a worker: joining is not implemented in this version, and says so"
is "$(inits)" 0 "no kubeadm ran"
inside systemctl stop kiln-supervisor.service
inside cp /usr/lib/kiln/profile-single.yaml /usr/lib/kiln/profile.yaml
inside systemctl start --no-block kiln-supervisor.service
wait_for 60 is_ready
ok $? "with its configuration back, the node forms its cluster" || why

# --- Addons: two, the second depending on the first, laid out as kiln-imagegen bakes
# them (the image's profile lists them; image.json lists them with their files).
inside systemctl stop kiln-supervisor.service
addons=$root/usr/lib/kiln/addons
fx=$KILN_SRCDIR/tests/unit/data/cluster/addon/01-kiln-test-app
install -D -m 0644 -t "$addons/01-kiln-test-app" "$fx/01-app.yaml" "$fx/02-agent.yaml" "$fx/03-migrate.json" ||
	bail "installing the addon's manifests"
install -d "$addons/02-kiln-web"
cat >"$addons/02-kiln-web/01-web.yaml" <<'EOF'
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: 127.0.0.1:5000/kiln-test/app:1}]
EOF
python3 - "$root/usr/lib/kiln" <<'EOF' || bail "the addons' profile and image.json"
import json, sys, yaml
d = sys.argv[1]
p = yaml.safe_load(open(d + "/profile.yaml"))
p["addons"] = [
    {"name": "kiln-test-app", "version": "1", "namespace": "kiln-addon",
     "manifests": ["app.yaml", "agent.yaml", "migrate.json"]},
    {"name": "kiln-web", "version": "2", "namespace": "kiln-web", "dependsOn": ["kiln-test-app"],
     "manifests": ["web.yaml"]}]
yaml.safe_dump(p, open(d + "/profile.yaml", "w"), sort_keys=False)
i = json.load(open(d + "/image.json"))
a = "/usr/lib/kiln/addons/"
i["addons"] = [
    {"name": "kiln-test-app", "version": "1", "namespace": "kiln-addon", "dependsOn": [],
     "directory": a + "01-kiln-test-app",
     "manifests": [a + "01-kiln-test-app/" + f for f in ("01-app.yaml", "02-agent.yaml", "03-migrate.json")]},
    {"name": "kiln-web", "version": "2", "namespace": "kiln-web", "dependsOn": ["kiln-test-app"],
     "directory": a + "02-kiln-web", "manifests": [a + "02-kiln-web/01-web.yaml"]}]
json.dump(i, open(d + "/image.json", "w"), indent=2, sort_keys=True)
EOF
# Each addon gets 20 s here (the default is 10 min), so that one that never becomes
# available fails within the test.
cat >"$root/etc/systemd/system/kiln-supervisor.service.d/60-addons.conf" <<EOF
[Service]
ExecStart=
ExecStart=/usr/libexec/kiln/kiln-supervisor --state-dir=/var/lib/kiln --ignore-preflight=$SUPERVISOR_MACHINE_IGNORE --addon-timeout=20s
EOF
inside systemctl daemon-reload
inside rm -f /var/lib/kiln/state.json /run/kiln/kubectl-double.log
kubectl_log() { inside cat /run/kiln/kubectl-double.log 2>/dev/null; }
addons_status() { status_json | jget 'p["addons"]["status"]'; }
addons_why() { diag "$(status_json | jget '(p["addons"]["status"], p["addons"]["detail"], p["addons"]["lastError"])')"
	journal KILN_PHASE=addons | tail -n 12 | sed 's/^/#   /'; }
app_uid() { api_state | python3 -c 'import json, sys
print(json.load(sys.stdin)["objects"]["Deployment/kiln-addon/app"]["metadata"]["uid"])' 2>/dev/null; }
inside systemctl reset-failed kiln-supervisor.service   # its start rate: the sections above start it often
inside systemctl start --no-block kiln-supervisor.service
wait_for 90 is_ready
ok $? "with two addons: ready" || addons_why
is "$(status_json | jget 'p["addons"]["detail"]')" "2 available: kiln-test-app, kiln-web (2 applied now, 0 at an earlier boot)" \
	"the addons phase's detail names them, applied now"
is "$(kubectl_log)" "create namespace kiln-addon
patch namespace kiln-addon enforce=restricted
apply -n kiln-addon -f /usr/lib/kiln/addons/01-kiln-test-app
create namespace kiln-web
patch namespace kiln-web enforce=restricted
apply -n kiln-web -f /usr/lib/kiln/addons/02-kiln-web" \
	"in order: each addon's namespace, its Pod Security labels, then its baked directory applied"
journal KILN_PHASE=addons KILN_COMMAND=kubectl-apply | grep -q "Addon kiln-test-app: kubectl apply: statefulset.apps/db serverside-applied"
ok $? "kubectl apply's lines are in the journal under KILN_PHASE=addons"
api_state | python3 -c 'import json, sys
o = json.load(sys.stdin)["objects"]
want = ["Deployment/kiln-addon/app", "DaemonSet/kiln-addon/agent", "StatefulSet/kiln-addon/db", "Job/kiln-addon/migrate",
        "Service/kiln-addon/app", "Service/kiln-addon/db", "Deployment/kiln-web/web", "Namespace//kiln-web"]
missing = [k for k in want if k not in o]
assert not missing, missing' 2>"$work/api.err"
ok $? "the manifests' objects are in the API, each in its addon's namespace" || diag "$(cat "$work/api.err")"
inside grep -q '"kiln-web"' /var/lib/kiln/addons-applied.json
ok $? "both recorded in addons-applied.json"
table=$(inside kilnctl status)
grep -q "^  kiln-test-app  available  4 workloads available in kiln-addon, applied now$" <<<"$table" &&
	grep -q "^  kiln-web       available  1 workloads available in kiln-web, applied now$" <<<"$table"
ok $? "kilnctl status lists the addons, available" || diag "$table"
uid_app=$(app_uid)

# --- The first addon's Deployment never becomes available: the phase fails naming it,
# the second addon is not started; once it is available, the retry finishes.
inside systemctl stop kiln-supervisor.service
inside rm -f /var/lib/kiln/state.json /var/lib/kiln/addons-applied.json /run/kiln/kubectl-double.log
inside sh -c 'echo unavailable Deployment/kiln-addon/app >/run/kiln-test/cluster-faults'
inside systemctl reset-failed kiln-supervisor.service   # its start rate: the sections above start it often
inside systemctl start --no-block kiln-supervisor.service
wait_for 60 eval '[[ $(status_json | jget "p[\"addons\"][\"detail\"]") == "addon 1/2 kiln-test-app: waiting: Deployment kiln-addon/app: 0/2 available"* ]]'
ok $? "while it waits, the phase's detail says for what: $(status_json | jget 'p["addons"]["detail"]')" ||
	inside systemctl status --no-pager kiln-supervisor.service 2>&1 | sed 's/^/#   /'
table=$(inside kilnctl status)
grep -qE '^  kiln-test-app  waiting    Deployment kiln-addon/app: 0/2 available \(Available=False MinimumReplicasUnavailable: Deployment does not have minimum availability.; Progressing=True ReplicaSetUpdated: ReplicaSet "app-[0-9a-f]+" is progressing.\)$' <<<"$table" &&
	grep -q "^  kiln-web       pending    after the addons before it$" <<<"$table"
ok $? "kilnctl status shows which addon the phase is at and what it waits for" || diag "$table"
wait_for 60 eval '[[ $(addons_status) == failed ]]'
ok $? "after 20s the phase failed" || addons_why
last=$(status_json | jget 'p["addons"]["lastError"]')
[[ $last == 'addon kiln-test-app: not available after 20s: Deployment kiln-addon/app: 0/2 available (Available=False MinimumReplicasUnavailable: Deployment does not have minimum availability.; Progressing=True ReplicaSetUpdated: ReplicaSet "app-'* ]]
ok $? "lastError names the addon, the workload and why: $last"
is "$(status_json | jget '(d["phase"], d["ready"])')" '["addons", false]' "the node is not ready"
ok $([[ $(kubectl_log) != *kiln-web* ]]; echo $?) "the addon after it was not started"
inside rm -f /run/kiln-test/cluster-faults
wait_for 60 is_ready
ok $? "once the Deployment is available, the retry finishes the phase" || addons_why
is "$(status_json | jget 'p["addons"]["attempts"] >= 2')" true "retried (attempts $(status_json | jget 'p["addons"]["attempts"]'))"
is "$(app_uid)" "$uid_app" "applied again, the Deployment is the same object (server-side apply updates in place)"

# --- A reboot: the addons are looked at, not applied again.
machine_stop
boot
ok $? "the machine boots again" || { why; tap_done; exit 1; }
wait_for 90 is_ready
ok $? "after the reboot: ready" || addons_why
is "$(status_json | jget 'p["addons"]["detail"]')" "2 available: kiln-test-app, kiln-web (0 applied now, 2 at an earlier boot)" \
	"both found available, applied at an earlier boot"
ok $([[ $(kubectl_log) != *apply* ]]; echo $?) "no kubectl apply in this boot ($(kubectl_log | wc -l) creates or applies logged)"
journal KILN_PHASE=addons KILN_ADDON=kiln-web | grep -q "applied at an earlier boot with these manifests: looking at its workloads"
ok $? "the journal says why"
table=$(inside kilnctl status)
grep -q "^  kiln-web       available  1 workloads available in kiln-web, applied at an earlier boot$" <<<"$table"
ok $? "kilnctl status says so too" || diag "$table"
is "$(app_uid)" "$uid_app" "the same objects"

tap_done

#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# `kubeadm version`, `kubeadm config images list` and `kubeadm config validate` as
# kubeadm-contract.md sections 1.1, 3.2, 3.8 and 4.3 describe them and the real v1.37.2
# does. Runs tests/doubles/kubeadm once as each release it knows
# (KILN_KUBEADM_DOUBLE_VERSION); with KILN_K8S_ARTIFACTS=DIR holding DIR/kubeadm, runs the
# same checks against that real binary instead, as the release it reports. The expected
# images and messages are written out here, not taken from the double.
source "$KILN_SRCDIR/tests/lib/tap.sh"

hint="To see the stack trace of this error execute with --v=5 or higher"
if [[ -n ${KILN_K8S_ARTIFACTS:-} && -x $KILN_K8S_ARTIFACTS/kubeadm ]]; then
	kubeadm=$KILN_K8S_ARTIFACTS/kubeadm
	real=true
	releases=$("$kubeadm" version -o short) || bail "$kubeadm version -o short failed"
	diag "testing the real $kubeadm, $releases"
	run=("$kubeadm")
else
	kubeadm=$KILN_SRCDIR/tests/doubles/kubeadm
	real=false
	releases="v1.31.0 v1.32.0 v1.33.0 v1.37.2"
	is "$("$kubeadm" version -o short)" v1.37.2 "the double runs as a program (#!/usr/bin/env python3), as v1.37.2 by default"
	# The same interpreter without a wrapper such as pyenv's shim (0.4 s a call here).
	run=("$(python3 -c 'import sys; print(sys.executable)')" "$kubeadm")
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/kiln-kubeadm-XXXXXX")
trap 'rm -rf "$work"' EXIT

# What each kubeadm release lists (contract 4.3): coredns, pause and etcd are constants
# of the binary; kube-* images carry the target version.
declare -A coredns=([v1.31.0]=v1.11.1 [v1.32.0]=v1.11.3 [v1.33.0]=v1.12.0 [v1.37.2]=v1.14.6)
declare -A pause=([v1.31.0]=3.10 [v1.32.0]=3.10 [v1.33.0]=3.10 [v1.37.2]=3.10.2)
declare -A etcd=([v1.31.0]=3.5.15-0 [v1.32.0]=3.5.16-0 [v1.33.0]=3.5.21-0 [v1.37.2]=3.7.0-0)

release=
k() {	# k ARGS...: run kubeadm as $release; stdout in $work/out, stderr in $work/err
	KILN_KUBEADM_DOUBLE_VERSION=$release "${run[@]}" "$@" >"$work/out" 2>"$work/err"
}
expect_images() {	# expect_images REPO TARGET: the list, in kubeadm's order
	local repo=$1 target=$2 dns=$1/coredns
	[[ $repo == registry.k8s.io ]] && dns=$repo/coredns/coredns
	printf '%s\n' "$repo/kube-apiserver:$target" "$repo/kube-controller-manager:$target" \
		"$repo/kube-scheduler:$target" "$repo/kube-proxy:$target" "$dns:${coredns[$release]}" \
		"$repo/pause:${pause[$release]}" "$repo/etcd:${etcd[$release]}"
}
modern() {	# kubeadm 1.34 and later: "error: " before every error, cobra's subcommand errors
	local m=${release#v1.}
	(( ${m%%.*} >= 34 ))
}
error_text() {	# error_text MESSAGE: what kubeadm writes for an error, with the hint
	if modern; then printf 'error: %s\n%s' "$1" "$hint"; else printf '%s\n%s' "$1" "$hint"; fi
}
fails_with() {	# fails_with DESCRIPTION EXPECTED-ERROR -- ARGS...: exit 1 and kubeadm's words
	local desc=$1 want
	want=$(error_text "$2")
	shift 3
	k "$@"
	local rc=$?
	is "$rc" 1 "$desc: exit status 1"
	# klog's warnings (a time and a process id each) are not part of the error.
	is "$(grep -v '^W[0-9]' "$work/err")" "$want" "$desc: error text"
}

# `config validate`: kubeadm's strict decoding and a part of its validation, on the
# configuration kiln renders for a machine that forms the cluster, spoiled one way at a
# time. The version is the release's own; the messages are the real v1.37.2's.
kiln_config() {	# kiln_config VERSION: Init, Cluster, Kubelet and KubeProxy configuration
	cat <<-EOF
	# a comment before the first document, as kiln writes one
	apiVersion: kubeadm.k8s.io/v1beta4
	kind: InitConfiguration
	localAPIEndpoint:
	  bindPort: 6443
	nodeRegistration:
	  criSocket: unix:///run/containerd/containerd.sock
	  imagePullPolicy: Never
	  taints: []
	timeouts:
	  controlPlaneComponentHealthCheck: 10m0s
	  kubeletHealthCheck: 10m0s
	---
	apiVersion: kubeadm.k8s.io/v1beta4
	kind: ClusterConfiguration
	clusterName: kubernetes
	kubernetesVersion: $1
	imageRepository: registry.k8s.io
	networking:
	  dnsDomain: cluster.local
	  podSubnet: 10.244.0.0/16
	  serviceSubnet: 10.96.0.0/12
	etcd:
	  local:
	    dataDir: /var/lib/etcd
	---
	apiVersion: kubelet.config.k8s.io/v1beta1
	kind: KubeletConfiguration
	cgroupDriver: systemd
	failSwapOn: true
	---
	apiVersion: kubeproxy.config.k8s.io/v1alpha1
	kind: KubeProxyConfiguration
	mode: iptables
	EOF
}
join_config() {	# join_config: a worker's JoinConfiguration with its join material
	cat <<-EOF
	apiVersion: kubeadm.k8s.io/v1beta4
	kind: JoinConfiguration
	nodeRegistration:
	  criSocket: unix:///run/containerd/containerd.sock
	  imagePullPolicy: Never
	discovery:
	  bootstrapToken:
	    apiServerEndpoint: 192.168.1.10:6443
	    caCertHashes:
	    - sha256:0000000000000000000000000000000000000000000000000000000000000000
	    token: abcdef.0123456789abcdef
	EOF
}
spoil() {	# spoil FROM TO: the configuration with the first FROM line replaced by TO
	python3 -c 'import sys; t = sys.stdin.read(); f, r = sys.argv[1:]; assert f in t, f; sys.stdout.write(t.replace(f, r, 1))' "$1" "$2"
}
validates() {	# validates DESCRIPTION < FILE: exit 0 and "ok"
	cat >"$work/config.yaml"
	k config validate --config "$work/config.yaml"
	is "$? $(cat "$work/out")" "0 ok" "$release: config validate: $1"
}
refuses() {	# refuses DESCRIPTION EXPECTED-ERROR < FILE
	cat >"$work/config.yaml"
	fails_with "$release: config validate: $1" "$2" -- config validate --config "$work/config.yaml"
}
check_validate() {
	local gvk='schema.GroupVersionKind{Group:"kubeadm.k8s.io", Version:"v1beta4", Kind:"ClusterConfiguration"}'
	local init='schema.GroupVersionKind{Group:"kubeadm.k8s.io", Version:"v1beta4", Kind:"InitConfiguration"}'
	local kubelet='schema.GroupVersionKind{Group:"kubelet.config.k8s.io", Version:"v1beta1", Kind:"KubeletConfiguration"}'
	local c
	c=$(kiln_config "$release")
	validates "kiln's configuration" <<<"$c"
	refuses "an unknown field" "error unmarshaling configuration $gvk: strict decoding error: unknown field \"clusterNam\"" \
		<<<"$(spoil "clusterName: kubernetes" "clusterNam: kubernetes" <<<"$c")"
	refuses "unknown fields, with their paths, sorted" \
		"error unmarshaling configuration $gvk: strict decoding error: unknown field \"etcd.local.bar\", unknown field \"etcd.local.foo\"" \
		<<<"$(spoil "    dataDir: /var/lib/etcd" "    dataDir: /var/lib/etcd
    foo: 1
    bar: 2" <<<"$c")"
	refuses "a string where a number goes" \
		"error unmarshaling configuration $init: json: cannot unmarshal string into Go struct field APIEndpoint.localAPIEndpoint.bindPort of type int32" \
		<<<"$(spoil "  bindPort: 6443" "  bindPort: \"6443\"" <<<"$c")"
	refuses "a list where a string goes (before unknown fields)" \
		"error unmarshaling configuration $gvk: json: cannot unmarshal array into Go struct field ClusterConfiguration.clusterName of type string" \
		<<<"$(spoil "clusterName: kubernetes" "clusterName: [a]
zzz: 1" <<<"$c")"
	refuses "a key given twice (its line in the document)" \
		"error unmarshaling configuration $gvk: strict decoding error: yaml: unmarshal errors:
  line 8: key \"dnsDomain\" already set in map" \
		<<<"$(spoil "  dnsDomain: cluster.local" "  dnsDomain: cluster.local
  dnsDomain: x.local" <<<"$c")"
	refuses "a mistyped kubelet field" \
		"error unmarshaling configuration $kubelet: strict decoding error: unknown field \"cgroupDrive\"" \
		<<<"$(spoil "cgroupDriver: systemd" "cgroupDrive: systemd" <<<"$c")"
	refuses "a boolean written as a string" \
		"error unmarshaling configuration $kubelet: json: cannot unmarshal string into Go struct field KubeletConfiguration.failSwapOn of type bool" \
		<<<"$(spoil "failSwapOn: true" "failSwapOn: \"true\"" <<<"$c")"
	refuses "a duration that is none" "error unmarshaling configuration $init: time: invalid duration \"ten\"" \
		<<<"$(spoil "  kubeletHealthCheck: 10m0s" "  kubeletHealthCheck: ten" <<<"$c")"
	refuses "a duration without its unit" \
		"error unmarshaling configuration $init: json: cannot unmarshal number into Go struct field Timeouts.timeouts.kubeletHealthCheck of type string" \
		<<<"$(spoil "  kubeletHealthCheck: 10m0s" "  kubeletHealthCheck: 600" <<<"$c")"
	local minor=${release#v1.}
	minor=${minor%%.*}
	refuses "a control plane two minors older" \
		"this version of kubeadm only supports deploying clusters with the control plane version >= 1.$((minor - 1)).0. Current version: v1.$((minor - 2)).0" \
		<<<"$(kiln_config "v1.$((minor - 2)).0")"
	refuses "a pod subnet that is none" "networking.podSubnet: Invalid value: \"foo\": couldn't parse subnet" \
		<<<"$(spoil "  podSubnet: 10.244.0.0/16" "  podSubnet: foo" <<<"$c")"
	refuses "several problems, as one list" \
		"[nodeRegistration.imagePullPolicy: Invalid value: \"Sometimes\": invalid pull policy, networking.serviceSubnet: Invalid value: \"10.0.0.0/8\": specified service subnet is too large; for 32-bit addresses, the mask must be >= 12]" \
		<<<"$(spoil "  imagePullPolicy: Never" "  imagePullPolicy: Sometimes" <<<"$(spoil "  serviceSubnet: 10.96.0.0/12" "  serviceSubnet: 10.0.0.0/8" <<<"$c")")"
	refuses "a kind kubeadm does not know" \
		"unknown configuration APIs: []schema.GroupVersionKind{schema.GroupVersionKind{Group:\"kubeadm.k8s.io\", Version:\"v1beta4\", Kind:\"Foo\"}}" \
		<<<"$(spoil "kind: InitConfiguration" "kind: Foo" <<<"$c")"
	refuses "a kind given twice" "invalid configuration: kind \"InitConfiguration\" is specified twice in YAML file" \
		<<<"$(spoil "kind: ClusterConfiguration" "kind: InitConfiguration" <<<"$c")"
	refuses "a document without apiVersion" \
		"invalid configuration for GroupVersionKind /, Kind=KubeProxyConfiguration: kind and apiVersion is mandatory information that must be specified" \
		<<<"$(spoil "apiVersion: kubeproxy.config.k8s.io/v1alpha1" "" <<<"$c")"
	validates "a worker's join configuration with its join material" <<<"$(join_config)"
	refuses "a join configuration without its join material" \
		"[discovery.bootstrapToken.caCertHashes: Invalid value: \"\": using token-based discovery without caCertHashes can be unsafe. Set unsafeSkipCAVerification as true in your kubeadm config file or pass --discovery-token-unsafe-skip-ca-verification flag to continue, discovery.bootstrapToken.token: Invalid value: \"\": the bootstrap token is invalid, discovery.tlsBootstrapToken: Invalid value: \"\": the bootstrap token is invalid]" \
		<<<"$(join_config | grep -v -e token: -e caCertHashes -e 'sha256:')"
	refuses "a join configuration with no discovery" "discovery: Invalid value: \"\": bootstrapToken or file must be set" \
		<<<"$(join_config | sed '/^discovery:/,$d')"
	k config validate
	is "$? $(grep -v '^W[0-9]' "$work/err")" "1 $(error_text "the --config flag is mandatory")" "$release: config validate without --config"
	k config validate --config "$work/none.yaml"
	is "$? $(grep -v '^W[0-9]' "$work/err")" "1 $(error_text "open $work/none.yaml: no such file or directory")" \
		"$release: config validate of a file that is not there"
}

for release in $releases; do
	minor=${release#v1.}
	minor=${minor%%.*}

	k version -o short
	is "$(cat "$work/out")" "$release" "$release: version -o short"
	k version
	[[ $(cat "$work/out") =~ ^kubeadm\ version:\ \&version\.Info\{Major:\"1\",\ Minor:\"$minor\",\ .*GitVersion:\"$release\",\ .*Compiler:\"gc\",\ Platform:\"linux/[a-z0-9]+\"\}$ ]]
	ok $? "$release: version prints kubeadm's %#v of version.Info"
	k version -o json
	is "$(python3 -c 'import json,sys; v = json.load(sys.stdin)["clientVersion"]; print(v["major"], v["minor"], v["gitVersion"])' <"$work/out")" \
		"1 $minor $release" "$release: version -o json"
	k version -o yaml
	ok $(grep -qx "  gitVersion: $release" "$work/out" && [[ $(head -n1 "$work/out") == clientVersion: ]]; echo $?) \
		"$release: version -o yaml"
	if ! $real; then
		k version -o json
		is "$(python3 -c 'import json,sys; print(json.load(sys.stdin)["clientVersion"]["gitCommit"])' <"$work/out")" \
			kiln-test-double "$release: the double says it is one (gitCommit)"
	fi

	if [[ -z ${etcd[$release]:-} ]]; then
		skip 8 "no expected image list for kubeadm $release"
		continue
	fi
	k config images list --kubernetes-version "$release"
	is "$(cat "$work/out")" "$(expect_images registry.k8s.io "$release")" "$release: config images list, its own version"
	# The minor before, a later patch, without the "v": still this binary's coredns/pause/etcd.
	prev=v1.$((minor - 1)).4
	k config images list --kubernetes-version "${prev#v}"
	is "$(cat "$work/out")" "$(expect_images registry.k8s.io "$prev")" "$release: list for $prev (the minimum minor)"
	fails_with "$release: a control plane two minors older" \
		"could not convert cfg to an internal cfg: this version of kubeadm only supports deploying clusters with the control plane version >= 1.$((minor - 1)).0. Current version: v1.$((minor - 2)).0" \
		-- config images list --kubernetes-version "v1.$((minor - 2)).0"
	k config images list --kubernetes-version="$release" --image-repository 127.0.0.1:5000/k8s
	is "$(cat "$work/out")" "$(expect_images 127.0.0.1:5000/k8s "$release")" \
		"$release: --image-repository: coredns loses its coredns/ sub-path"
	k config images list -o json --kubernetes-version "$release"
	is "$(cat "$work/out")" "$(python3 -c '
import json, sys
print(json.dumps({"kind": "Images", "apiVersion": "output.kubeadm.k8s.io/v1alpha3", "images": sys.argv[1:]}, indent=4))' \
		$(expect_images registry.k8s.io "$release"))" "$release: -o json (4-space indented, kind Images v1alpha3)"
	k config --kubernetes-version "$release" images list -o=yaml
	is "$(cat "$work/out")" "apiVersion: output.kubeadm.k8s.io/v1alpha3
images:
$(expect_images registry.k8s.io "$release" | sed 's/^/- /')
kind: Images" "$release: -o=yaml, flags before the subcommand"
	# The default, stable-1, needs the internet: offline, kubeadm falls back to itself.
	k config images list
	rc=$?
	if grep -q "falling back to the local client version: $release" "$work/err"; then
		is "$rc $(cat "$work/out")" "0 $(expect_images registry.k8s.io "$release")" \
			"$release: without --kubernetes-version, offline: its own version"
	else
		ok $(( rc == 0 && $(wc -l <"$work/out") == 7 ? 0 : 1 )) "$release: without --kubernetes-version (online): 7 images"
	fi

	# The command line's errors.
	fails_with "$release: unknown flag" "unknown flag: --no-such-flag" -- config images list --no-such-flag
	fails_with "$release: unknown shorthand flag" "unknown shorthand flag: 'x' in -x" -- config images list -x
	fails_with "$release: a flag without its value" "flag needs an argument: --kubernetes-version" \
		-- config images list --kubernetes-version
	fails_with "$release: an argument to images list" "unknown command \"extra\" for \"kubeadm config images list\"" \
		-- config images list extra
	if modern; then
		fails_with "$release: config images alone" "
error: subcommand is required" -- config images
		fails_with "$release: config alone" "
error: subcommand is required" -- config
		fails_with "$release: an unknown config subcommand" "unknown command \"bogus\" for \"kubeadm config\"" -- config bogus
	else
		fails_with "$release: config images alone" "missing subcommand; \"images\" is not meant to be run on its own" \
			-- config images
		fails_with "$release: config alone" "missing subcommand; \"config\" is not meant to be run on its own" -- config
		fails_with "$release: an unknown config subcommand" "invalid subcommand: \"bogus\"" -- config bogus
	fi
	fails_with "$release: an unknown command" "unknown command \"bogus\" for \"kubeadm\"" -- bogus
	fails_with "$release: a near miss" "unknown command \"versio\" for \"kubeadm\"

Did you mean this?
	version
" -- versio
	fails_with "$release: version -o xml" "invalid output format: xml" -- version -o xml
	fails_with "$release: a version that is none" "could not convert cfg to an internal cfg: version \"one.two\" doesn't match patterns for neither semantic version nor labels (stable, latest, ...)" \
		-- config images list --kubernetes-version one.two
	# The list of formats that follows is cli-runtime's, confirmed for 1.37 only.
	k config images list -o xml --kubernetes-version "$release"
	rc=$?
	prefix=$(error_text "could not construct output printer: unable to match a printer suitable for the output format \"xml\"" | head -n1)
	[[ $rc -eq 1 && $(head -n1 "$work/err") == "$prefix"* ]]
	ok $? "$release: images list -o xml: exit 1, no printer"
	if modern; then
		[[ $(head -n1 "$work/err") == *"allowed formats are: go-template,go-template-file,json,jsonpath,jsonpath-as-json,jsonpath-file,kyaml,template,templatefile,text,yaml" ]]
		ok $? "$release: images list -o xml lists the formats, sorted"
	fi
	k --v=5 config bogus
	rc=$?
	want=$(error_text "$(modern && echo 'unknown command "bogus" for "kubeadm config"' || echo 'invalid subcommand: "bogus"')" | head -n1)
	is "$rc $(head -n1 "$work/err")" "1 $want" "$release: --v=5 before the command is a global flag"

	# The double validates alike for every release (only the error prefix differs): the
	# oldest and the newest suffice, and keep this test quick.
	if $real || [[ $release == v1.31.0 || $release == v1.37.2 ]]; then
		check_validate
	fi
done
if ! $real; then
	release=v1.30.0
	k version
	ok $(( $? == 1 ? 0 : 1 )) "the double refuses to play a release it has no data for"
	release=v1.33.0
	k join
	is "$? $(cat "$work/err")" \
		"1 kubeadm test double (kiln-test-double): \"kubeadm join\" is not implemented by this double" \
		"commands it does not implement fail, saying so"
	k init --config /dev/null
	is "$? $(cat "$work/err")" \
		"1 kubeadm test double (kiln-test-double): \"kubeadm init\" as v1.33.0 (only as v1.37.2) is not implemented by this double" \
		"init is played as v1.37.2 only, and says so"
	k config images list --config /dev/null
	ok $(( $? == 1 ? 0 : 1 )) "--config: not implemented, exit 1"
else
	skip 4 "double-only checks"
fi

# kubeadm init --config and reset, as v1.37.2: only what fails before kubeadm touches the
# host (a bad configuration, mixed flags, reset not confirmed, reset --dry-run), so that
# the same checks run against the real binary. The texts were seen from it.
if $real && [[ $releases != v1.37.2 ]]; then
	skip 14 "init and reset are checked as v1.37.2 (the real binary is $releases)"
	tap_done
	exit
fi
release=v1.37.2
good=$KILN_SRCDIR/tests/lib/kubeadm-node.yaml
bad() {	# bad NAME SED-EXPRESSION: a copy of the good configuration, changed
	sed "$2" "$good" >"$work/$1.yaml"
}
init_fails() {	# init_fails DESCRIPTION EXPECTED-ERROR CONFIG [FLAGS...]
	local desc=$1 want=$2 config=$3
	shift 3
	k init --config "$config" "$@"
	local rc=$?
	is "$rc" 1 "init, $desc: exit 1"
	is "$(grep -v '^W[0-9]' "$work/err")" "error: $want
$hint" "init, $desc: kubeadm's error"
}
bad badname 's#name: kiln-test-node#name: Node_1#'
init_fails "a node name that is no RFC 1123 subdomain" 'nodeRegistration.name: Invalid value: "node_1": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '"'-'"' or '"'.'"', and must start and end with an alphanumeric character (e.g. '"'example.com'"', regex used for validation is '"'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*'"')' "$work/badname.yaml"
bad badsvc 's#serviceSubnet: 10.96.0.0/12#serviceSubnet: bogus#'
init_fails "a service subnet that is none" 'networking.serviceSubnet: Invalid value: "bogus": couldn'"'"'t parse subnet' "$work/badsvc.yaml"
bad badip 's#advertiseAddress: 10.0.2.15#advertiseAddress: notanip#'
init_fails "an advertise address that is no IP" 'couldn'"'"'t use "notanip" as "apiserver-advertise-address", must be ipv4 or ipv6 address' "$work/badip.yaml"
bad v1b3 's#kubeadm.k8s.io/v1beta4#kubeadm.k8s.io/v1beta3#'
init_fails "v1beta3" 'your configuration file uses an old API spec: "kubeadm.k8s.io/v1beta3" (kind: "ClusterConfiguration"). Please use kubeadm v1.36 instead and run '"'kubeadm config migrate --old-config old-config-file --new-config new-config-file'"', which will write the new, similar spec using a newer API version.' "$work/v1b3.yaml"
bad oldver 's#kubernetesVersion: v1.37.2#kubernetesVersion: v1.30.0#'
init_fails "a control plane too old" "this version of kubeadm only supports deploying clusters with the control plane version >= 1.36.0. Current version: v1.30.0" "$work/oldver.yaml"
(cat "$good"; printf -- '---\napiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\n') >"$work/twice.yaml"
init_fails "a kind twice" 'invalid configuration: kind "ClusterConfiguration" is specified twice in YAML file' "$work/twice.yaml"
printf 'apiVersion: kubeadm.k8s.io/v1beta4\nkind: JoinConfiguration\ndiscovery:\n  bootstrapToken:\n    token: abcdef.0123456789abcdef\n    apiServerEndpoint: 10.0.0.1:6443\n    unsafeSkipCAVerification: true\n' >"$work/join.yaml"
init_fails "a join configuration" "no InitConfiguration or ClusterConfiguration kind was found in the configuration file" "$work/join.yaml"
grep -q 'Ignored configuration document with GroupVersionKind kubeadm.k8s.io/v1beta4, Kind=JoinConfiguration' "$work/err"
ok $? "init ignores the JoinConfiguration with a klog warning"
bad badtype 's#bindPort: 6443#bindPort: "abc"#'
init_fails "bindPort as a string" "json: cannot unmarshal string into Go struct field APIEndpoint.localAPIEndpoint.bindPort of type int32" "$work/badtype.yaml"
k init --config "$good" --pod-network-cidr 10.0.0.0/8
is "$? $(head -n1 "$work/err")" "1 error: can not mix '--config' with arguments [pod-network-cidr]" "init: --config mixed with another flag"
k init --config "$work/missing.yaml"
ok $(( $? == 1 ? 0 : 1 )) "init with a missing file: exit 1"

# reset: not confirmed, it stops (the same on the real binary, which then changes nothing).
printf 'n\n' >"$work/no"
KILN_KUBEADM_DOUBLE_VERSION=$release "${run[@]}" reset <"$work/no" >"$work/out" 2>"$work/err"
is "$? $(cat "$work/out")" "1 [reset] Are you sure you want to proceed? [y/N]: " "reset without --force asks"
grep -qx "error: error execution phase preflight: won't proceed; the user didn't answer (Y|y) in order to continue" "$work/err"
ok $? "and a no stops it, in kubeadm's words"
tap_done

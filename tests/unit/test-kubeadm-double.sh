#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# `kubeadm version` and `kubeadm config images list` as kubeadm-contract.md sections 3.2,
# 3.8 and 4.3 describe them. Runs tests/doubles/kubeadm once as each release it knows
# (KILN_KUBEADM_DOUBLE_VERSION); with KILN_K8S_ARTIFACTS=DIR holding DIR/kubeadm, runs the
# same checks against that real binary instead, as the release it reports. The expected
# images are written out here, not taken from the double.
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
	releases="v1.31.0 v1.32.0 v1.33.0"
	is "$("$kubeadm" version -o short)" v1.33.0 "the double runs as a program (#!/usr/bin/env python3), as v1.33.0 by default"
	# The same interpreter without a wrapper such as pyenv's shim (0.4 s a call here).
	run=("$(python3 -c 'import sys; print(sys.executable)')" "$kubeadm")
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/kiln-kubeadm-XXXXXX")
trap 'rm -rf "$work"' EXIT

# What each kubeadm release lists (contract 4.3): coredns, pause and etcd are constants
# of the binary; kube-* images carry the target version.
declare -A coredns=([v1.31.0]=v1.11.1 [v1.32.0]=v1.11.3 [v1.33.0]=v1.12.0)
declare -A pause=([v1.31.0]=3.10 [v1.32.0]=3.10 [v1.33.0]=3.10)
declare -A etcd=([v1.31.0]=3.5.15-0 [v1.32.0]=3.5.16-0 [v1.33.0]=3.5.21-0)

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
fails_with() {	# fails_with DESCRIPTION EXPECTED-STDERR -- ARGS...
	local desc=$1 want=$2
	shift 3
	k "$@"
	local rc=$?
	is "$rc" 1 "$desc: exit status 1"
	is "$(cat "$work/err")" "$want" "$desc: error text"
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
		"could not convert cfg to an internal cfg: this version of kubeadm only supports deploying clusters with the control plane version >= 1.$((minor - 1)).0. Current version: v1.$((minor - 2)).0
$hint" -- config images list --kubernetes-version "v1.$((minor - 2)).0"
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
done

release=v1.33.0
$real && release=${releases%% *}
fails_with "unknown flag" "unknown flag: --no-such-flag
$hint" -- config images list --no-such-flag
fails_with "unknown shorthand flag" "unknown shorthand flag: 'x' in -x
$hint" -- config images list -x
fails_with "a flag without its value" "flag needs an argument: --kubernetes-version
$hint" -- config images list --kubernetes-version
fails_with "an argument to images list" "unknown command \"extra\" for \"kubeadm config images list\"
$hint" -- config images list extra
fails_with "config images alone" "missing subcommand; \"images\" is not meant to be run on its own
$hint" -- config images
fails_with "config alone" "missing subcommand; \"config\" is not meant to be run on its own
$hint" -- config
fails_with "an unknown config subcommand" "invalid subcommand: \"bogus\"
$hint" -- config bogus
fails_with "an unknown command" "unknown command \"bogus\" for \"kubeadm\"
$hint" -- bogus
fails_with "a near miss" "unknown command \"versio\" for \"kubeadm\"

Did you mean this?
	version

$hint" -- versio
fails_with "version -o xml" "invalid output format: xml
$hint" -- version -o xml
fails_with "a version that is none" "could not convert cfg to an internal cfg: version \"one.two\" doesn't match patterns for neither semantic version nor labels (stable, latest, ...)
$hint" -- config images list --kubernetes-version one.two
# The list of formats that follows is cli-runtime's, not confirmed (contract section 7).
k config images list -o xml --kubernetes-version "$release"
rc=$?
[[ $rc -eq 1 && $(head -n1 "$work/err") == "could not construct output printer: unable to match a printer suitable for the output format \"xml\""* ]]
ok $? "images list -o xml: exit 1, no printer"
k --v=5 config bogus
is "$? $(cat "$work/err" | head -n1)" "1 invalid subcommand: \"bogus\"" "--v=5 before the command is a global flag"

if ! $real; then
	release=v1.30.0
	k version
	ok $(( $? == 1 ? 0 : 1 )) "the double refuses to play a release it has no data for"
	release=v1.33.0
	k init
	is "$? $(cat "$work/err")" \
		"1 kubeadm test double (kiln-test-double): \"kubeadm init\" is not implemented by this double" \
		"commands it does not implement fail, saying so"
	k config images list --config /dev/null
	ok $(( $? == 1 ? 0 : 1 )) "--config: not implemented, exit 1"
else
	skip 3 "double-only checks"
fi

tap_done

# SPDX-License-Identifier: LGPL-2.1-or-later
# A Debian trixie machine for systemd-nspawn -b with kiln-supervisor.service installed as
# an image has it (/usr/libexec/kiln, /usr/bin/{kilnctl,kiln-confine},
# /usr/lib/kiln/{profile.yaml, security/, audit-exceptions.yaml,
# image.json} of a build --without-kubernetes, kiln's /etc files, the unit enabled).
# Shared by the integration test and bench/supervisor.sh. Needs KILN_SRCDIR and
# KILN_BUILDDIR; source tests/lib/rootfs.sh first.
#
#   supervisor_machine_requirements          skip_all (or bail) unless this host can run it:
#                                            root, the tools, a supervisor built without
#                                            sanitizers
#   supervisor_machine_tar [PACKAGES...]     print the path of the cached rootfs tarball
#                                            (with more packages if asked)
#   supervisor_machine_prepare ROOT CHECKS [ARGS...]
#                                            install into the extracted ROOT; CHECKS are
#                                            the preflight checks to ignore (comma list),
#                                            ARGS more options of kiln-supervisor
#   SUPERVISOR_MACHINE_NSPAWN_ARGS           what machine_boot needs for containerd and
#                                            the supervisor (append --bind for /dev/kmsg)

# Two checks a container cannot pass here: cgroup-v2 (the machine's cgroups are the
# host's v1, see harness-facts.md) and kernel-modules (nspawn has no /sys/module).
SUPERVISOR_MACHINE_IGNORE=cgroup-v2,kernel-modules
# @keyring: containerd/runc; landlock_*: the supervisor confines its helpers' writes with
# Landlock, which nspawn's own filter (systemd 252) does not let through; --private-network:
# the machine's own /proc/sys/net, so that preflight's sysctl fixes work.
SUPERVISOR_MACHINE_NSPAWN_ARGS=(--system-call-filter=@keyring --system-call-filter=landlock_create_ruleset
	--system-call-filter=landlock_add_rule --system-call-filter=landlock_restrict_self --private-network)

supervisor_machine_requirements() {
	local t
	[[ $(id -u) -eq 0 ]] || skip_all "needs root for systemd-nspawn"
	for t in systemd-nspawn mmdebstrap script nsenter python3; do
		command -v "$t" >/dev/null || skip_all "$t is not installed (tools/install-deps)"
	done
	[[ -x $KILN_BUILDDIR/supervisor/kiln-supervisor && -x $KILN_BUILDDIR/supervisor/kilnctl ]] ||
		bail "kiln-supervisor or kilnctl is not built"
	# A sanitizer build needs libasan, which the machine does not have.
	ldd "$KILN_BUILDDIR/supervisor/kiln-supervisor" | grep -q 'libasan\|libubsan' &&
		skip_all "built with sanitizers: cannot run inside the machine"
	return 0
}

supervisor_machine_tar() {
	test_rootfs_tar trixie containerd runc iproute2 iptables conntrack util-linux mount \
		libyaml-0-2 libjansson4 libssl3t64 libarchive13t64 libcap2 "$@"
}

supervisor_machine_prepare() {
	local root=$1 ignore=$2
	shift 2
	local sup=$KILN_BUILDDIR/supervisor/kiln-supervisor ctl=$KILN_BUILDDIR/supervisor/kilnctl
	local confine=$KILN_BUILDDIR/supervisor/kiln-confine
	[[ -x $sup && -x $ctl && -x $confine ]] ||
		{ echo "kiln-supervisor, kilnctl or kiln-confine is not built in $KILN_BUILDDIR" >&2; return 1; }
	# Install as the image does (imagegen/step-tree.c), not under /usr/local.
	install -D -m 0755 "$sup" "$root/usr/libexec/kiln/kiln-supervisor" &&
	install -D -m 0755 "$ctl" "$root/usr/bin/kilnctl" &&
	install -D -m 0755 "$confine" "$root/usr/bin/kiln-confine" &&
	install -D -m 0644 "$KILN_SRCDIR/units/kiln-supervisor.service" \
		"$root/usr/lib/systemd/system/kiln-supervisor.service" &&
	install -D -m 0644 "$KILN_SRCDIR/profiles/single-node.yaml" "$root/usr/lib/kiln/profile.yaml" &&
	install -d "$root/usr/lib/kiln/security" &&
	install -m 0644 "$KILN_SRCDIR"/profiles/security/*.yaml "$root/usr/lib/kiln/security/" &&
	install -m 0644 "$KILN_SRCDIR/profiles/audit-exceptions.yaml" "$root/usr/lib/kiln/" &&
	cat >"$root/usr/lib/kiln/image.json" <<-'EOF2' &&
	{"kilnVersion": "test", "sourceDateEpoch": 1700000000, "kubernetes": {"present": false, "version": "v1.31.4"}}
	EOF2
	cp -r "$KILN_SRCDIR/rootfs/etc/." "$root/etc/" &&
	ln -sf /usr/lib/systemd/system/kiln-supervisor.service "$root/etc/systemd/system/multi-user.target.wants/" &&
	mkdir -p "$root/etc/systemd/system/kiln-supervisor.service.d" &&
	cat >"$root/etc/systemd/system/kiln-supervisor.service.d/50-test.conf" <<-EOF2
	[Service]
	ExecStart=
	ExecStart=/usr/libexec/kiln/kiln-supervisor --state-dir=/var/lib/kiln --ignore-preflight=$ignore $*
	EOF2
}

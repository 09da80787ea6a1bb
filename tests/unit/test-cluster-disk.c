/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What kubeadm left on disk decides the cluster phase's path (supervisor/cluster-disk.c):
 * a fresh node, an init cut short at several points, a finished init without kiln's
 * stamp, a formed node (also with a damaged stamp, and with kubeadm's files gone). And
 * the guard: with the stamp there, kubeadm's files and etcd's data are never removed; the
 * removal of an init's leftovers takes kubeadm's files only. Each case is a directory
 * tree made here with plain syscalls, as kubeadm v1.37.2's dry run lists its files. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cluster-disk.h"
#include "tap.h"
#include "tmpdir-files.h"

static void mkdirs(const char *rel) {
	char path[PATH_MAX];

	snprintf(path, sizeof path, "%s/%s", T, rel);
	for (char *p = path + strlen(T) + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			(void) mkdir(path, 0755);
			*p = '/';
		}
	(void) mkdir(path, 0755);
}

/* T/root/<rel>, with its directories. */
static void file(const char *rel, const char *content) {
	char dir[PATH_MAX], path[PATH_MAX];

	snprintf(dir, sizeof dir, "root/%s", rel);
	*strrchr(dir, '/') = '\0';
	mkdirs(dir);
	snprintf(path, sizeof path, "root/%s", rel);
	put(P(path), content);
}

static bool exists(const char *rel) {
	char path[PATH_MAX];
	snprintf(path, sizeof path, "root/%s", rel);
	return mode_of(P(path)) != (mode_t) -1;
}

/* The layout of the tests: root T/root, state T/state. */
static void layout(ClusterLayout *l, const char *etcd) {
	*l = (ClusterLayout) {};
	if (cluster_layout_init(l, P("root"), P("state"), "/etc/kubernetes/pki", etcd) < 0)
		diag("cluster_layout_init failed");
}

static void fresh_node(void) {
	(void) rm_rf(P("root"));
	(void) rm_rf(P("state"));
	/* What the image has before any init: the directories (tmpfiles.d), the CNI
	 * configuration, the kubelet's unit files; none of them is kubeadm's output. */
	mkdirs("root/etc/kubernetes/manifests");
	mkdirs("root/var/lib/kubelet");
	mkdirs("root/var/lib/etcd");
	mkdirs("state");
	file("etc/cni/net.d/10-kiln-bridge.conflist", "{}");
}

/* What init has written once its certs, kubeconfig and etcd/control-plane phases ran. */
static void init_until_manifests(void) {
	file("etc/kubernetes/pki/ca.crt", "c");
	file("etc/kubernetes/pki/ca.key", "k");
	file("etc/kubernetes/pki/etcd/ca.crt", "c");
	file("etc/kubernetes/admin.conf", "a");
	file("etc/kubernetes/super-admin.conf", "a");
	file("etc/kubernetes/kubelet.conf", "a");
	file("etc/kubernetes/controller-manager.conf", "a");
	file("etc/kubernetes/scheduler.conf", "a");
	file("etc/kubernetes/manifests/etcd.yaml", "m");
	file("etc/kubernetes/manifests/kube-apiserver.yaml", "m");
	file("etc/kubernetes/manifests/kube-controller-manager.yaml", "m");
	file("etc/kubernetes/manifests/kube-scheduler.yaml", "m");
}

/* ... then kubelet-start, and etcd running under the kubelet. */
static void init_until_running(void) {
	init_until_manifests();
	file("var/lib/kubelet/config.yaml", "k");
	file("var/lib/kubelet/instance-config.yaml", "k");
	file("var/lib/kubelet/kubeadm-flags.env", "KUBELET_KUBEADM_ARGS=\"\"");
	file("var/lib/kubelet/pki/kubelet-client-current.pem", "p");
	file("var/lib/etcd/member/snap/db", "the cluster's data");
	file("var/lib/etcd/member/wal/0000000000000000-0000000000000000.wal", "w");
}

static ClusterDiskState inspect(const ClusterLayout *l, char **found) {
	ClusterDiskState s = _CLUSTER_DISK_STATE_MAX;
	int r = cluster_disk_inspect(l, &s, found);
	if (r < 0)
		diag("inspect: %s", strerror(-r));
	return s;
}

static void test_states(void) {
	ClusterLayout l;
	char *found = NULL;

	fresh_node();
	layout(&l, "/var/lib/etcd");
	is_str(cluster_disk_state_to_string(inspect(&l, &found)), "fresh", "a fresh node (empty directories, a CNI file)");
	ok(found == NULL, "nothing of kubeadm's found");

	file("etc/kubernetes/pki/ca.key", "k");
	is_str(cluster_disk_state_to_string(inspect(&l, &found)), "partial", "cut short during the certs phase: partial");
	is_str(found, "/etc/kubernetes/pki", "what was found is named");
	found = mfree_str(found);

	init_until_manifests();
	is_str(cluster_disk_state_to_string(inspect(&l, NULL)), "partial",
	       "cut short with manifests but no etcd data (etcd never ran): partial");

	init_until_running();
	is_str(cluster_disk_state_to_string(inspect(&l, &found)), "adoptable",
	       "admin.conf, the manifests and etcd's member data, no stamp: maybe finished");
	ok(found && strstr(found, "admin.conf") && strstr(found, "manifests/etcd.yaml") && strstr(found, "/var/lib/etcd"),
	   "found: %s", found ?: "");
	found = mfree_str(found);

	is_int(cluster_stamp_exists(&l), 0, "no stamp yet");
	is_int(cluster_stamp_write(&l, "{\"formed\":\"now\"}"), 0, "the stamp is written");
	is_str(get(P("state/cluster-formed")), "{\"formed\":\"now\"}\n", "one line");
	is_int(cluster_stamp_exists(&l), 1, "the stamp exists");
	is_str(cluster_disk_state_to_string(inspect(&l, &found)), "formed", "with the stamp: formed");
	ok(found == NULL, "nothing else is looked at");

	/* A formed node stays formed, whatever happened to kubeadm's files or the stamp's
	 * content. */
	put(P("state/cluster-formed"), "");
	is_str(cluster_disk_state_to_string(inspect(&l, NULL)), "formed", "an empty (damaged) stamp still means formed");
	(void) rm_rf(P("root/etc/kubernetes"));
	is_str(cluster_disk_state_to_string(inspect(&l, NULL)), "formed", "kubeadm's files gone: still formed, never re-initialized");
	cluster_layout_done(&l);

	/* External etcd: no data directory of ours; a finished init is adoptable without it. */
	fresh_node();
	layout(&l, NULL);
	init_until_manifests();
	is_str(cluster_disk_state_to_string(inspect(&l, NULL)), "adoptable", "external etcd: adoptable without etcd data");
	cluster_layout_done(&l);
}

static void test_guard_and_clean(void) {
	ClusterLayout l;
	char *removed = NULL;

	/* Formed: nothing is removed, etcd's data above all. */
	fresh_node();
	layout(&l, "/var/lib/etcd");
	init_until_running();
	is_int(cluster_stamp_write(&l, "{}"), 0, "stamped");
	is_int(cluster_disk_guard(&l), -EPERM, "the guard says no on a formed node");
	is_int(cluster_disk_clean(&l, &removed), -EPERM, "cleaning a formed node is refused");
	ok(removed == NULL, "and says nothing was removed");
	is_str(get(P("root/var/lib/etcd/member/snap/db")), "the cluster's data", "etcd's data is intact");
	ok(exists("etc/kubernetes/admin.conf") && exists("etc/kubernetes/pki/ca.key") &&
	   exists("var/lib/kubelet/config.yaml"), "and so are kubeadm's files");

	/* A stamp that cannot be looked at is no permission either. */
	(void) chmod(P("state"), 0);
	if (geteuid() != 0) {
		ok(cluster_disk_guard(&l) < 0, "a stamp that cannot be looked at: no");
	} else
		skip(1, "root looks through a mode-0 directory");
	(void) chmod(P("state"), 0755);

	/* Not formed: kubeadm's own files go, and nothing else. */
	(void) unlink(P("state/cluster-formed"));
	is_int(cluster_disk_guard(&l), 0, "without the stamp the guard allows it");
	file("etc/kubernetes/tmp/kubeadm-backup/keep", "backup");
	file("var/lib/kubelet/other-file", "not kubeadm's");
	is_int(cluster_disk_clean(&l, &removed), 0, "the leftovers of an init cut short are removed");
	ok(removed && strstr(removed, "admin.conf") && strstr(removed, "manifests/kube-apiserver.yaml") &&
	   strstr(removed, "kubelet/kubeadm-flags.env") && strstr(removed, "/var/lib/etcd") &&
	   strstr(removed, "/var/lib/kubelet/pki") && strstr(removed, "/etc/kubernetes/pki"), "named: %s", removed ?: "");
	removed = mfree_str(removed);
	ClusterDiskState s;
	ok(cluster_disk_inspect(&l, &s, NULL) == 0 && s == CLUSTER_DISK_FRESH, "the node is fresh again");
	ok(!exists("etc/kubernetes/admin.conf") && !exists("etc/kubernetes/manifests/etcd.yaml") &&
	   !exists("var/lib/etcd/member") && !exists("etc/kubernetes/pki/ca.key"), "kubeadm's files and etcd's data are gone");
	ok(exists("etc/kubernetes/manifests") && exists("etc/kubernetes/pki") && exists("var/lib/etcd") &&
	   exists("var/lib/kubelet/pki"), "the directories themselves stay");
	ok(exists("etc/cni/net.d/10-kiln-bridge.conflist") && exists("etc/kubernetes/tmp/kubeadm-backup/keep") &&
	   exists("var/lib/kubelet/other-file"), "what is not kubeadm's output stays (CNI config, tmp, other files)");
	is_int(cluster_disk_clean(&l, &removed), 0, "cleaning again is fine");
	ok(removed == NULL, "and removes nothing");
	cluster_layout_done(&l);

	is_int(cluster_layout_init(&l, P("root"), P("state"), "relative/pki", NULL), -EINVAL, "a relative path is refused");
}

int main(void) {
	T = tap_mkdtemp();
	if (!T)
		skip_all("no temporary directory");
	test_states();
	test_guard_and_clean();
	(void) rm_rf(T);
	free(T);
	return done_testing();
}

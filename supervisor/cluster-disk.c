/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cluster-disk.h"
#include "fileio.h"
#include "rm-rf.h"

/* The files kubeadm init writes (kubeadm-contract.md 4.1, and the dry run of kubeadm
 * v1.37.2), with the short name the log uses. */
static const struct {
	const char *path, *name;
} kubeadm_files[] = {
	{ "/etc/kubernetes/admin.conf",                            "admin.conf" },
	{ "/etc/kubernetes/super-admin.conf",                      "super-admin.conf" },
	{ "/etc/kubernetes/kubelet.conf",                          "kubelet.conf" },
	{ "/etc/kubernetes/bootstrap-kubelet.conf",                "bootstrap-kubelet.conf" },
	{ "/etc/kubernetes/controller-manager.conf",               "controller-manager.conf" },
	{ "/etc/kubernetes/scheduler.conf",                        "scheduler.conf" },
	{ "/etc/kubernetes/manifests/etcd.yaml",                   "manifests/etcd.yaml" },
	{ "/etc/kubernetes/manifests/kube-apiserver.yaml",         "manifests/kube-apiserver.yaml" },
	{ "/etc/kubernetes/manifests/kube-controller-manager.yaml", "manifests/kube-controller-manager.yaml" },
	{ "/etc/kubernetes/manifests/kube-scheduler.yaml",         "manifests/kube-scheduler.yaml" },
	{ "/var/lib/kubelet/config.yaml",                          "kubelet/config.yaml" },
	{ "/var/lib/kubelet/instance-config.yaml",                 "kubelet/instance-config.yaml" },
	{ "/var/lib/kubelet/kubeadm-flags.env",                    "kubelet/kubeadm-flags.env" },
};
#define ADMIN_CONF "/etc/kubernetes/admin.conf"
#define APISERVER_MANIFEST "/etc/kubernetes/manifests/kube-apiserver.yaml"
#define ETCD_MANIFEST "/etc/kubernetes/manifests/etcd.yaml"
/* The kubelet's client certificates, signed by the CA of the cluster that made them. */
#define KUBELET_PKI "/var/lib/kubelet/pki"

static const char *const state_names[_CLUSTER_DISK_STATE_MAX] = {
	[CLUSTER_DISK_FRESH] = "fresh",
	[CLUSTER_DISK_PARTIAL] = "partial",
	[CLUSTER_DISK_ADOPTABLE] = "adoptable",
	[CLUSTER_DISK_FORMED] = "formed",
};

const char *cluster_disk_state_to_string(ClusterDiskState s) {
	return s >= 0 && s < _CLUSTER_DISK_STATE_MAX ? state_names[s] : NULL;
}

int cluster_layout_init(ClusterLayout *l, const char *root, const char *state_dir, const char *cert_dir,
			const char *etcd_data_dir) {
	ClusterLayout n = {};

	if (!l || isempty(root) || isempty(state_dir) || isempty(cert_dir) || cert_dir[0] != '/' ||
	    (etcd_data_dir && etcd_data_dir[0] != '/'))
		return -EINVAL;
	if (asprintf(&n.stamp, "%s/%s", state_dir, CLUSTER_STAMP_FILE) < 0)
		return -ENOMEM;
	if (!(n.root = strdup(root)) || !(n.cert_dir = strdup(cert_dir)) ||
	    (etcd_data_dir && !(n.etcd_data_dir = strdup(etcd_data_dir)))) {
		cluster_layout_done(&n);
		return -ENOMEM;
	}
	*l = n;
	return 0;
}

void cluster_layout_done(ClusterLayout *l) {
	if (!l)
		return;
	free(l->root);
	free(l->stamp);
	free(l->cert_dir);
	free(l->etcd_data_dir);
	*l = (ClusterLayout) {};
}

static int full_path(const ClusterLayout *l, const char *path, char **ret) {
	size_t len = strlen(l->root);

	while (len > 0 && l->root[len - 1] == '/')
		len--;
	char *p;

	if (asprintf(&p, "%.*s%s", (int) len, l->root, path) < 0)
		return -ENOMEM;
	*ret = p;
	return 0;
}

/* 1 present, 0 missing, -errno. */
static int path_exists(const ClusterLayout *l, const char *path) {
	_cleanup_free_ char *p = NULL;
	struct stat st;
	int r = full_path(l, path, &p);

	if (r < 0)
		return r;
	if (lstat(p, &st) >= 0)
		return 1;
	return errno == ENOENT ? 0 : -errno;
}

/* 1 when the directory has entries (or is something else than a directory), 0 when it
 * is empty or missing. */
static int dir_has_entries(const ClusterLayout *l, const char *path) {
	_cleanup_free_ char *p = NULL;
	struct dirent *de;
	DIR *d;
	int r = full_path(l, path, &p);

	if (r < 0)
		return r;
	d = opendir(p);
	if (!d)
		return errno == ENOENT ? 0 : errno == ENOTDIR ? 1 : -errno;
	r = 0;
	while ((de = readdir(d)))
		if (!streq(de->d_name, ".") && !streq(de->d_name, "..")) {
			r = 1;
			break;
		}
	closedir(d);
	return r;
}

static int list_append(char **list, const char *item) {
	char *j;

	if (asprintf(&j, "%s%s%s", *list ?: "", *list ? ", " : "", item) < 0)
		return -ENOMEM;
	free(*list);
	*list = j;
	return 0;
}

int cluster_stamp_exists(const ClusterLayout *l) {
	struct stat st;

	if (!l || !l->stamp)
		return -EINVAL;
	if (lstat(l->stamp, &st) >= 0)
		return 1;
	return errno == ENOENT ? 0 : -errno;
}

int cluster_disk_guard(const ClusterLayout *l) {
	int r = cluster_stamp_exists(l);
	return r > 0 ? -EPERM : r;
}

/* Each directory whose contents are kubeadm's (or, for etcd, its cluster's). */
static size_t content_dirs(const ClusterLayout *l, const char *dirs[static 3]) {
	size_t n = 0;

	dirs[n++] = l->cert_dir;
	dirs[n++] = KUBELET_PKI;
	if (l->etcd_data_dir)
		dirs[n++] = l->etcd_data_dir;
	return n;
}

int cluster_disk_inspect(const ClusterLayout *l, ClusterDiskState *ret, char **ret_found) {
	_cleanup_free_ char *found = NULL;
	const char *dirs[3];
	bool any = false;
	int r;

	if (!l || !ret)
		return -EINVAL;
	r = cluster_stamp_exists(l);
	if (r < 0)
		return r;
	if (r > 0) {
		/* Whatever else is or is not there: formed. */
		*ret = CLUSTER_DISK_FORMED;
		if (ret_found)
			*ret_found = NULL;
		return 0;
	}

	for (size_t i = 0; i < ELEMENTSOF(kubeadm_files); i++) {
		r = path_exists(l, kubeadm_files[i].path);
		if (r < 0)
			return r;
		if (r > 0 && (r = list_append(&found, kubeadm_files[i].name)) < 0)
			return r;
	}
	any = found != NULL;
	size_t n = content_dirs(l, dirs);
	for (size_t i = 0; i < n; i++) {
		r = dir_has_entries(l, dirs[i]);
		if (r < 0)
			return r;
		if (r > 0) {
			any = true;
			if ((r = list_append(&found, dirs[i])) < 0)
				return r;
		}
	}

	ClusterDiskState s = CLUSTER_DISK_FRESH;
	if (any) {
		_cleanup_free_ char *member = NULL;
		s = CLUSTER_DISK_PARTIAL;
		int admin = path_exists(l, ADMIN_CONF), api = path_exists(l, APISERVER_MANIFEST),
		    etcd = path_exists(l, ETCD_MANIFEST), data = 1;
		if (l->etcd_data_dir) {
			if (asprintf(&member, "%s/member", l->etcd_data_dir) < 0) {
				member = NULL;
				return -ENOMEM;
			}
			data = path_exists(l, member);
		}
		if (admin < 0 || api < 0 || etcd < 0 || data < 0)
			return admin < 0 ? admin : api < 0 ? api : etcd < 0 ? etcd : data;
		if (admin && api && etcd && data)
			s = CLUSTER_DISK_ADOPTABLE;
	}
	*ret = s;
	if (ret_found)
		*ret_found = TAKE_PTR(found);
	return 0;
}

int cluster_disk_clean(const ClusterLayout *l, char **ret_removed) {
	_cleanup_free_ char *removed = NULL;
	const char *dirs[3];
	int r;

	if (!l)
		return -EINVAL;
	r = cluster_disk_guard(l);
	if (r < 0)
		return r;

	for (size_t i = 0; i < ELEMENTSOF(kubeadm_files); i++) {
		_cleanup_free_ char *p = NULL;
		if ((r = full_path(l, kubeadm_files[i].path, &p)) < 0)
			return r;
		if (unlink(p) < 0) {
			if (errno != ENOENT)
				return -errno;
			continue;
		}
		if ((r = list_append(&removed, kubeadm_files[i].name)) < 0)
			return r;
	}
	size_t n = content_dirs(l, dirs);
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *p = NULL;
		if ((r = dir_has_entries(l, dirs[i])) <= 0) {
			if (r < 0)
				return r;
			continue;
		}
		if ((r = full_path(l, dirs[i], &p)) < 0)
			return r;
		/* The contents only: the directories themselves may carry a mode or a mount
		 * that is not kubeadm's to change. rm_rf never crosses into another file
		 * system. */
		r = rm_rf_path(p, REMOVE_MISSING_OK);
		if (r < 0)
			return r;
		if ((r = list_append(&removed, dirs[i])) < 0)
			return r;
	}
	if (ret_removed)
		*ret_removed = TAKE_PTR(removed);
	return 0;
}

int cluster_stamp_write(const ClusterLayout *l, const char *text) {
	_cleanup_free_ char *line = NULL;

	if (!l || !l->stamp || !text)
		return -EINVAL;
	if (asprintf(&line, "%s\n", text) < 0) {
		line = NULL;
		return -ENOMEM;
	}
	return write_file_atomic(l->stamp, line, strlen(line), 0644, WRITE_FILE_MKDIR_PARENTS);
}

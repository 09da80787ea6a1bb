/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <sys/stat.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster-child.h"
#include "cluster-kubectl.h"
#include "strv.h"

/* kubectl's errors are a line or two; anything past this is noise. */
#define ERR_MAX 4096

struct ClusterKubectl {
	ClusterChild *child;
	char *err;
	size_t err_size;
	ClusterKubectlDoneFn done;
	void *userdata;
};

static void on_line(ClusterChild *c, ClusterStream stream, const char *line, void *userdata) {
	ClusterKubectl *k = userdata;
	size_t n = strlen(line);

	if (stream != CLUSTER_STDERR || k->err_size + n + 2 > ERR_MAX)
		return;
	char *e = realloc(k->err, k->err_size + n + 2);
	if (!e)
		return;   /* the message is lost, the exit status is not */
	memcpy(e + k->err_size, line, n);
	k->err_size += n;
	e[k->err_size++] = '\n';
	e[k->err_size] = '\0';
	k->err = e;
}

static void on_done(ClusterChild *c, int status, void *userdata) {
	ClusterKubectl *k = userdata;
	ClusterKubectlDoneFn done = TAKE_PTR(k->done);

	/* Last: the callback may free k (and the child with it). */
	if (done)
		done(k, status, cluster_child_stdout(c, NULL), k->err ?: "", k->userdata);
}

int cluster_kubectl_start(sd_event *e, const ClusterKubectlSetup *setup, const char *const *args,
			  ClusterKubectlDoneFn done, void *userdata, ClusterKubectl **ret) {
	_cleanup_(cluster_kubectl_freep) ClusterKubectl *k = NULL;
	_cleanup_strv_free_ char **argv = NULL;
	int r;

	if (!e || !setup || !setup->kubectl || !setup->kubeconfig || !args || !done || !ret)
		return -EINVAL;
	if (strv_extend(&argv, setup->kubectl) < 0 ||
	    strv_extendf(&argv, "--kubeconfig=%s", setup->kubeconfig) < 0 ||
	    (setup->cache_dir && strv_extendf(&argv, "--cache-dir=%s", setup->cache_dir) < 0) ||
	    strv_extend(&argv, "--request-timeout=" CLUSTER_KUBECTL_REQUEST_TIMEOUT) < 0)
		return -ENOMEM;
	for (size_t i = 0; args[i]; i++)
		if (strv_extend(&argv, args[i]) < 0)
			return -ENOMEM;

	/* kubectl's security profile lets it write its discovery cache and nothing else, and a
	 * Landlock rule can only name a directory that exists: make it before the first call. */
	if (setup->cache_dir && mkdir(setup->cache_dir, 0700) < 0 && errno != EEXIST)
		return -errno;

	k = calloc(1, sizeof *k);
	if (!k)
		return -ENOMEM;
	k->done = done;
	k->userdata = userdata;
	ClusterChildOptions o = {
		.timeout = setup->timeout ?: CLUSTER_KUBECTL_TIMEOUT_USEC,
		.capture_stdout = true,
		.security = "kubectl",
		.on_line = on_line,
		.on_done = on_done,
		.userdata = k,
	};
	r = cluster_child_start(e, (const char *const *) argv, &o, &k->child);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(k);
	return 0;
}

ClusterKubectl *cluster_kubectl_free(ClusterKubectl *k) {
	if (!k)
		return NULL;
	cluster_child_free(k->child);
	free(k->err);
	free(k);
	return NULL;
}

bool cluster_kubectl_not_found(const char *err) {
	return err && strstr(err, "Error from server (NotFound)");
}

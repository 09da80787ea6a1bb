/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster-corefile.h"
#include "json-util.h"

typedef enum Step { STEP_GET, STEP_PATCH, STEP_RESTART } Step;

struct ClusterCorefile {
	sd_event *event;
	ClusterKubectlSetup setup;
	char *corefile;
	Step step;
	ClusterKubectl *call;
	ClusterCorefileDoneFn done;
	void *userdata;
	char *detail;
};

int cluster_corefile_from_configmap(const char *json, char **ret) {
	_cleanup_json_ json_t *doc = json ? json_loads(json, 0, NULL) : NULL;
	json_t *data;
	const char *text;

	if (!json_is_object(doc) || !streq(json_string_value(json_object_get(doc, "kind")) ?: "", "ConfigMap"))
		return -EBADMSG;
	data = json_object_get(doc, "data");
	text = json_string_value(json_object_get(data, "Corefile"));
	if (!text)
		return -ENOENT;
	char *c = strdup(text);
	if (!c)
		return -ENOMEM;
	*ret = c;
	return 0;
}

int cluster_corefile_patch(const char *corefile, char **ret) {
	_cleanup_json_ json_t *patch = json_pack("{s:{s:s}}", "data", "Corefile", corefile);
	char *text;

	if (!patch)
		return -ENOMEM;
	text = json_dumps(patch, JSON_COMPACT);
	if (!text)
		return -ENOMEM;
	*ret = text;
	return 0;
}

static void corefile_finish(ClusterCorefile *c, int result, const char *fmt, ...) _printf_(3, 4);
static void corefile_finish(ClusterCorefile *c, int result, const char *fmt, ...) {
	ClusterCorefileDoneFn done = TAKE_PTR(c->done);
	va_list ap;

	free(c->detail);
	va_start(ap, fmt);
	if (vasprintf(&c->detail, fmt, ap) < 0)
		c->detail = NULL;
	va_end(ap);
	if (done)
		done(c, result, c->detail, c->userdata);
}

static int corefile_run(ClusterCorefile *c);

static void on_kubectl(ClusterKubectl *k, int status, const char *out, const char *err, void *userdata) {
	ClusterCorefile *c = userdata;
	_cleanup_free_ char *current = NULL, *line = NULL;
	int r;

	if (status != 0) {
		bool missing = c->step == STEP_GET && cluster_kubectl_not_found(err);
		line = !isempty(err) ? strndup(err, strcspn(err, "\n")) : NULL;
		c->call = cluster_kubectl_free(c->call);
		if (missing)
			corefile_finish(c, -ENOENT, "kube-system has no coredns ConfigMap");
		else
			corefile_finish(c, -EAGAIN, "kubectl %s: %s", c->step == STEP_GET ? "get configmap coredns" :
					c->step == STEP_PATCH ? "patch configmap coredns" : "rollout restart deployment/coredns",
					line ?: status == -ETIMEDOUT ? "did not finish in time" : "failed");
		return;
	}
	if (c->step == STEP_GET) {
		r = cluster_corefile_from_configmap(out, &current);
		c->call = cluster_kubectl_free(c->call);
		if (r < 0 && r != -ENOENT) {
			corefile_finish(c, -EAGAIN, "kubectl get configmap coredns: not a ConfigMap");
			return;
		}
		if (current && streq(current, c->corefile)) {
			corefile_finish(c, 0, "the Corefile is the image's");
			return;
		}
		c->step = STEP_PATCH;
	} else if (c->step == STEP_PATCH) {
		c->call = cluster_kubectl_free(c->call);
		c->step = STEP_RESTART;
	} else {
		c->call = cluster_kubectl_free(c->call);
		corefile_finish(c, 1, "the image's Corefile is in place, CoreDNS restarted");
		return;
	}
	r = corefile_run(c);
	if (r < 0)
		corefile_finish(c, r, "cannot run kubectl: %s", strerror(-r));
}

static int corefile_run(ClusterCorefile *c) {
	static const char *const get[] = { "get", "configmap", "coredns", "-n", "kube-system", "-o", "json", NULL };
	static const char *const restart[] = { "rollout", "restart", "deployment/coredns", "-n", "kube-system", NULL };
	_cleanup_free_ char *patch = NULL;

	if (c->step == STEP_GET)
		return cluster_kubectl_start(c->event, &c->setup, get, on_kubectl, c, &c->call);
	if (c->step == STEP_RESTART)
		return cluster_kubectl_start(c->event, &c->setup, restart, on_kubectl, c, &c->call);
	int r = cluster_corefile_patch(c->corefile, &patch);
	if (r < 0)
		return r;
	const char *args[] = { "patch", "configmap", "coredns", "-n", "kube-system", "--type", "merge", "-p", patch, NULL };
	return cluster_kubectl_start(c->event, &c->setup, args, on_kubectl, c, &c->call);
}

int cluster_corefile_start(sd_event *e, const ClusterKubectlSetup *setup, const char *corefile,
			   ClusterCorefileDoneFn done, void *userdata, ClusterCorefile **ret) {
	_cleanup_(cluster_corefile_freep) ClusterCorefile *c = NULL;
	int r;

	if (!e || !setup || !corefile || !done || !ret)
		return -EINVAL;
	c = calloc(1, sizeof *c);
	if (!c)
		return -ENOMEM;
	c->event = sd_event_ref(e);
	c->setup = *setup;
	c->done = done;
	c->userdata = userdata;
	c->corefile = strdup(corefile);
	if (!c->corefile)
		return -ENOMEM;
	r = corefile_run(c);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(c);
	return 0;
}

ClusterCorefile *cluster_corefile_free(ClusterCorefile *c) {
	if (!c)
		return NULL;
	cluster_kubectl_free(c->call);
	sd_event_unref(c->event);
	free(c->corefile);
	free(c->detail);
	free(c);
	return NULL;
}

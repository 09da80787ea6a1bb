/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "fileio.h"
#include "manifest-images.h"
#include "strv.h"
#include "tap.h"

/* The vector as "a b c", or "(null)" for a NULL vector, for one-line comparisons. */
static char *join(char *const *l) {
	char *s = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&s, &n);

	if (!f)
		abort();
	if (!l)
		fputs("(null)", f);
	STRV_FOREACH(p, l)
		fprintf(f, "%s%s", p == l ? "" : " ", *p);
	if (fclose(f) != 0)
		abort();
	return s;
}

static void expect_images(const char *text, const char *want, const char *what) {
	_cleanup_strv_free_ char **images = NULL;
	_cleanup_free_ char *error = NULL, *got = NULL;
	int r = manifest_collect_images(text, strlen(text), "t.yaml", &images, &error);

	got = join(images);
	ok(r == 0 && streq(got, want) && !error, "%s: got [%s] (r=%d %s), want [%s]", what, got, r,
	   error ?: "", want);
}

/* The error must start with want_at, exactly "NAME:LINE:COLUMN: ", and contain want_msg;
 * *images must come back as it went in. */
static void expect_error(const char *text, const char *want_at, const char *want_msg, const char *what) {
	_cleanup_strv_free_ char **images = NULL;
	_cleanup_free_ char *error = NULL;
	int r;

	if (strv_extend(&images, "kept") < 0)
		abort();
	r = manifest_collect_images(text, strlen(text), "t.yaml", &images, &error);
	ok(r == -EBADMSG && error && strneq(error, want_at, strlen(want_at)) && strstr(error, want_msg) &&
	   strv_length(images) == 1,
	   "%s: r=%d, error \"%s\", want \"%s...%s...\"", what, r, error ?: "(none)", want_at, want_msg);
}

static void expect_sandbox(const char *text, int want_r, const char *want, const char *what) {
	_cleanup_free_ char *image = NULL;
	int r = containerd_config_sandbox_image(text, &image);

	ok(r == want_r && (want ? image && streq(image, want) : !image), "%s: r=%d image %s", what, r,
	   image ?: "(none)");
}

static void expect_missing(char *const *wanted, char *const *have, const char *want, const char *what) {
	_cleanup_strv_free_ char **missing = NULL;
	_cleanup_free_ char *got = NULL;
	int r = images_missing(wanted, have, &missing);

	got = join(missing);
	ok(r == 0 && streq(got, want), "%s: got [%s], want [%s]", what, got, want);
}

#define POD_TEMPLATE(image) "  template:\n    spec:\n      containers:\n      - name: c\n        image: " image "\n"

static void test_workloads(void) {
	static const char *const kinds[][2] = {
		{ "apps/v1", "Deployment" }, { "apps/v1", "DaemonSet" }, { "apps/v1", "StatefulSet" },
		{ "apps/v1", "ReplicaSet" }, { "v1", "ReplicationController" }, { "batch/v1", "Job" },
	};

	for (size_t i = 0; i < ELEMENTSOF(kinds); i++) {
		_cleanup_free_ char *text = NULL, *want = NULL;
		if (asprintf(&text, "apiVersion: %s\nkind: %s\nspec:\n  replicas: 1\n" POD_TEMPLATE("reg.example/%s:1"),
			     kinds[i][0], kinds[i][1], kinds[i][1]) < 0 ||
		    asprintf(&want, "reg.example/%s:1", kinds[i][1]) < 0)
			abort();
		expect_images(text, want, kinds[i][1]);
	}

	expect_images("kind: Pod\n"
		      "spec:\n"
		      "  initContainers: [{name: init, image: 'busybox:1.36'}]\n"
		      "  containers:\n"
		      "  - {name: a, image: nginx:1.27}\n"
		      "  - name: b\n"
		      "    image: \"quay.io/b/c@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"\n"
		      "  ephemeralContainers:\n"
		      "  - name: debug\n"
		      "    image: debian:trixie\n",
		      "busybox:1.36 debian:trixie nginx:1.27 "
		      "quay.io/b/c@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		      "Pod: containers, initContainers and ephemeralContainers, kept as written");
	expect_images("apiVersion: batch/v1\n"
		      "kind: CronJob\n"
		      "spec:\n"
		      "  schedule: '@daily'\n"
		      "  jobTemplate:\n"
		      "    spec:\n"
		      "      backoffLimit: 2\n"
		      "      template:\n"
		      "        spec:\n"
		      "          restartPolicy: OnFailure\n"
		      "          containers: [{name: c, image: reg.example/cron:2}]\n"
		      "          initContainers: [{name: i, image: reg.example/cron-init:2}]\n",
		      "reg.example/cron-init:2 reg.example/cron:2", "CronJob: spec.jobTemplate.spec.template.spec");
	expect_images("kind: Pod\nspec:\n  containers: []\n  initContainers: ~\n", "", "Pod with empty and null lists");
}

static void test_streams(void) {
	_cleanup_free_ char *path = NULL, *text = NULL;
	size_t size = 0;

	expect_images("", "", "empty input");
	expect_images("# only a comment\n---\n---\n~\n---\nnull\n...\n", "", "comment, empty and null documents");
	expect_images("# leading comment\n"
		      "---\n"
		      "kind: Pod # trailing comment\n"
		      "spec: {containers: [{name: a, image: b.example/z:1}]}\n"
		      "---\n"
		      "---\n"
		      "# between\n"
		      "kind: Pod\n"
		      "spec: {containers: [{name: a, image: a.example/y:1}, {name: b, image: b.example/z:1}]}\n"
		      "---\n"
		      "kind: Job\n"
		      "spec:\n" POD_TEMPLATE("a.example/y:1"),
		      "a.example/y:1 b.example/z:1", "multi-document: comments, empty documents, duplicates dropped");
	expect_images("apiVersion: v1\n"
		      "kind: List\n"
		      "items:\n"
		      "- kind: ConfigMap\n"
		      "  data: {image: not/this:1}\n"
		      "- kind: List\n"
		      "  items:\n"
		      "  - kind: DaemonSet\n"
		      "    spec:\n"
		      "      template:\n"
		      "        spec:\n"
		      "          containers: [{name: c, image: nested/ds:1}]\n"
		      "- apiVersion: v1\n"
		      "  kind: PodList\n"
		      "  items:\n"
		      "  - metadata: {name: no-kind}\n"
		      "    spec: {containers: [{name: c, image: typed/pod:1}]}\n"
		      "- kind: List\n"
		      "  items: []\n",
		      "nested/ds:1 typed/pod:1", "List with nested Lists; PodList items without a kind are Pods");
	expect_images("apiVersion: v1\nkind: ConfigMap\ndata:\n  image: cm/x:1\n"
		      "---\nkind: Service\nspec:\n  containers: [{image: svc/x:1}]\n"
		      "---\napiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n"
		      "spec:\n" POD_TEMPLATE("crd/x:1"),
		      "", "ConfigMap, Service and CRDs contribute nothing");
	expect_images("apiVersion: batch.volcano.sh/v1alpha1\nkind: Job\nspec:\n  tasks: [{template: {}}]\n"
		      "---\napiVersion: example.com/v1\nkind: Pod\nspec: {containers: [{image: custom/x:1}]}\n"
		      "---\napiVersion: apps/v1beta2\nkind: Deployment\nspec:\n" POD_TEMPLATE("old/group:1"),
		      "old/group:1", "a custom Job or Pod in another API group contributes nothing");
	expect_images("kind: Pod\n"
		      "spec:\n"
		      "  containers:\n"
		      "  - &c {name: a, image: anchored/x:1}\n"
		      "  initContainers: [*c]\n"
		      "---\n"
		      "kind: List\n"
		      "items: &loop\n"
		      "- kind: List\n"
		      "  items: *loop\n",
		      "anchored/x:1", "aliases are followed, and an alias cycle ends");

	{
		_cleanup_strv_free_ char **images = NULL;
		_cleanup_free_ char *got = NULL;
		const char *text2 = "kind: Pod\nspec: {containers: [{name: a, image: m/2}, {name: b, image: a/1}]}\n";
		int r;

		if (strv_extend(&images, "z/9") < 0 || strv_extend(&images, "m/2") < 0)
			abort();
		r = manifest_collect_images(text2, strlen(text2), "t.yaml", &images, NULL);
		got = join(images);
		ok(r == 0 && streq(got, "a/1 m/2 z/9"), "appends to an existing vector, sorted and unique: [%s] r=%d",
		   got, r);
	}

	if (asprintf(&path, "%s/tests/unit/data/manifest-images/addons.yaml", tap_srcdir()) < 0)
		abort();
	if (read_full_file(path, &text, &size) < 0) {
		ok(false, "read %s", path);
		return;
	}
	expect_images(text,
		      "ghcr.io/flannel-io/flannel-cni-plugin:v1.6.2-flannel1 ghcr.io/flannel-io/flannel:v0.26.4 "
		      "registry.k8s.io/coredns/coredns:v1.11.3",
		      "addons.yaml fixture");
}

static void test_errors(void) {
	expect_error("kind: Pod\n"
		     "spec: {containers: [{name: a, image: a/1}]}\n"
		     "---\n"
		     "kind: Pod\n"
		     "spec:\n"
		     "  foo: bar: baz\n",
		     "t.yaml:6:11: ", "YAML syntax error: mapping values are not allowed",
		     "syntax error in the second document, nothing appended");
	expect_error("kind: Pod\nspec:\n  containers:\n  - name: a\n\timage: x\n", "t.yaml:5:1: ",
		     "YAML syntax error", "tab indentation");
	expect_error("kind: Pod\nspec:\n  x: \"\xff\"\n", "t.yaml:3:7: ", "YAML syntax error: invalid leading UTF-8 octet",
		     "invalid UTF-8 at its line and column");
	expect_error("kind: Pod\nspec:\n  containers:\n  - name: a\n    image: {name: x}\n", "t.yaml:5:12: ",
		     "containers[0].image is not a non-empty string", "image is a mapping");
	expect_error("kind: Pod\nspec:\n  containers:\n  - {name: a, image: x/1}\n  - {name: b, image: 1.27}\n",
		     "t.yaml:5:22: ", "containers[1].image is not a non-empty string", "image is a number");
	expect_error("kind: Pod\nspec:\n  initContainers:\n  - name: a\n    image: \"\"\n", "t.yaml:5:12: ",
		     "initContainers[0].image is not", "image is an empty string");
	expect_error("kind: Pod\nspec:\n  containers:\n  - name: a\n    image:\n", "t.yaml:5:11: ",
		     "containers[0].image is not", "image is null");
	expect_error("kind: Pod\nspec:\n  containers:\n  - name: a\n    image: yes\n", "t.yaml:5:12: ",
		     "containers[0].image is not", "image is a YAML 1.1 boolean");
	expect_error("kind: Pod\nspec:\n  containers:\n  - name: a\n    image: \"nginx :1\"\n", "t.yaml:5:12: ",
		     "without whitespace", "image with a space");
	expect_error("kind: Pod\nspec:\n  ephemeralContainers:\n  - name: debug\n    command: [sh]\n", "t.yaml:4:5: ",
		     "ephemeralContainers[0]: container without an image", "container without an image");
	expect_error("kind: Pod\nspec:\n  containers: {name: a, image: x}\n", "t.yaml:3:15: ",
		     "containers is not a list", "containers is a mapping");
	expect_error("kind: ConfigMap\n---\n- kind: Pod\n", "t.yaml:3:1: ", "document is not a mapping",
		     "a document that is a list");
	expect_error("kind: List\nitems:\n- kind: Pod\n  spec: {containers: [{name: a, image: x}]}\n- just text\n",
		     "t.yaml:5:3: ", "List item is not a mapping", "a List item that is a string");
	expect_error("apiVersion: v1\nmetadata: {name: x}\n", "t.yaml:1:1: ", "object without a kind",
		     "object without a kind");
	expect_error("kind: Deployment\nmetadata: {name: x}\nspec:\n  replicas: 1\n", "t.yaml:4:3: ",
		     "Deployment without spec.template", "Deployment without a pod template");
	expect_error("kind: CronJob\nspec:\n  jobTemplate: [x]\n", "t.yaml:3:16: ",
		     "CronJob: spec.jobTemplate is not a mapping", "CronJob with a list for jobTemplate");

	for (unsigned depth = 16; depth <= 17; depth++) {
		_cleanup_free_ char *text = NULL, *error = NULL;
		_cleanup_strv_free_ char **images = NULL;
		size_t size = 0;
		FILE *f = open_memstream(&text, &size);
		int r;

		if (!f)
			abort();
		for (unsigned i = 0; i < depth; i++)
			fputs("{kind: List, items: [", f);
		fputs("{kind: Pod, spec: {containers: [{name: a, image: deep/x:1}]}}", f);
		for (unsigned i = 0; i < depth; i++)
			fputs("]}", f);
		if (fclose(f) != 0)
			abort();
		r = manifest_collect_images(text, size, "t.yaml", &images, &error);
		if (depth == 16)
			ok(r == 0 && strv_length(images) == 1, "16 nested Lists are fine: r=%d", r);
		else
			ok(r == -EBADMSG && error && strstr(error, "nested more than 16"), "17 nested Lists: %s",
			   error ?: "(none)");
	}

	{
		const char *text = "kind: Pod\nspec: {containers: [{name: a}]}\n";
		_cleanup_strv_free_ char **images = NULL;
		int r = manifest_collect_images(text, strlen(text), "t.yaml", &images, NULL);
		ok(r == -EBADMSG && !images, "error without a message wanted: r=%d", r);
	}
}

static void test_containerd(void) {
	expect_sandbox("version = 2\n"
		       "# sandbox_image = \"commented/out:1\"\n"
		       "[plugins]\n"
		       "  [plugins.\"io.containerd.grpc.v1.cri\".containerd]\n"
		       "    sandbox_image = \"wrong/table:1\"\n"
		       "  [plugins.\"io.containerd.grpc.v1.cri\"]\n"
		       "    enable_selinux = false\n"
		       "    sandbox_image_pull = \"other/key:1\"\n"
		       "    sandbox_image = \"registry.k8s.io/pause:3.10\"   # the pause image\n"
		       "    max_concurrent_downloads = 3\n"
		       "  [plugins.\"io.containerd.grpc.v1.cri\".registry]\n",
		       0, "registry.k8s.io/pause:3.10", "in the CRI table, other tables and keys ignored");
	expect_sandbox("[ plugins . \"io.containerd.grpc.v1.cri\" ]  # spaced\r\n\tsandbox_image='local/pause:3.9'\r\n",
		       0, "local/pause:3.9", "blanks in the header, literal string, CRLF");
	expect_sandbox("version = 2\n[plugins.\"io.containerd.grpc.v1.cri\"]\n  enable_cdi = true\n", -ENOENT, NULL,
		       "no sandbox_image");
	expect_sandbox("[plugins.\"io.containerd.grpc.v1.cri\"]\n  # sandbox_image = \"x/y:1\"\n", -ENOENT, NULL,
		       "sandbox_image only in a comment");
	expect_sandbox("sandbox_image = \"top/level:1\"\n[plugins.\"io.containerd.grpc.v1.cri\".containerd]\n"
		       "sandbox_image = \"sub/table:1\"\n[[plugins.\"io.containerd.grpc.v1.cri\"]]\nsandbox_image = \"a/t:1\"\n",
		       -ENOENT, NULL, "sandbox_image only outside the CRI table");
	expect_sandbox("[plugins.\"io.containerd.grpc.v1.cri\"]\nsandbox_image = \"registry.k8s.io/pause:3.10\n",
		       -EBADMSG, NULL, "unterminated string");
	expect_sandbox("[plugins.\"io.containerd.grpc.v1.cri\"]\nsandbox_image = registry.k8s.io/pause:3.10\n",
		       -EBADMSG, NULL, "unquoted value");
	expect_sandbox("[plugins.\"io.containerd.grpc.v1.cri\"]\nsandbox_image = \"a/b:1' \n", -EBADMSG, NULL,
		       "mismatched quotes");
	expect_sandbox("[plugins.\"io.containerd.grpc.v1.cri\"]\nsandbox_image = \"a/b:1\" x\n", -EBADMSG, NULL,
		       "text after the value");
	expect_sandbox("[plugins.\"io.containerd.grpc.v1.cri\"]\nsandbox_image = \"\"\n", -EBADMSG, NULL, "empty value");
	expect_sandbox("[plugins.\"io.containerd.grpc.v1.cri\"]\nsandbox_image \"a/b:1\"\n", -EBADMSG, NULL, "no '='");
	expect_sandbox("[plugins.\"io.containerd.grpc.v1.cri\"]\nsandbox_image = \"a/b:1\"\nsandbox_image = \"c/d:1\"\n",
		       -EBADMSG, NULL, "repeated key");
}

/* The config the image ships names the pause image the profiles seed. */
static void test_shipped_config(void) {
	_cleanup_free_ char *path = NULL, *text = NULL, *image = NULL;

	if (asprintf(&path, "%s/rootfs/etc/containerd/config.toml", tap_srcdir()) < 0)
		abort();
	ok(read_full_file(path, &text, NULL) >= 0, "read %s", path);
	is_int(containerd_config_sandbox_image(text ?: "", &image), 0, "the shipped config names a sandbox image");
	is_str(image, "registry.k8s.io/pause:3.10", "registry.k8s.io/pause:3.10, as kubeadm 1.31 expects");
}

static void test_missing(void) {
	char *wanted[] = { (char *) "z/c:1", (char *) "a/b:1", (char *) "m/x:2", (char *) "a/b:1", NULL };
	char *all[] = { (char *) "m/x:2", (char *) "a/b:1", (char *) "z/c:1", (char *) "extra:1", NULL };
	char *some[] = { (char *) "m/x:2", (char *) "a/b:1:nope", NULL };
	char *none[] = { NULL };

	expect_missing(wanted, all, "", "none missing: an empty vector");
	expect_missing(wanted, some, "a/b:1 z/c:1", "some missing, sorted and unique");
	expect_missing(wanted, none, "a/b:1 m/x:2 z/c:1", "all missing");
	expect_missing(wanted, NULL, "a/b:1 m/x:2 z/c:1", "NULL have");
	expect_missing(NULL, all, "", "NULL wanted");
}

int main(void) {
	test_workloads();
	test_streams();
	test_errors();
	test_containerd();
	test_shipped_config();
	test_missing();
	return done_testing();
}

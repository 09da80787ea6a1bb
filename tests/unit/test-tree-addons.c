/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The names the addons' manifests get in the image (imagegen/tree-addons.c): numbered in
 * the addon's order, so that kubectl apply -f DIR (which reads a directory's .yaml, .yml
 * and .json files sorted by name) applies them in that order. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "build.h"
#include "tap.h"

static void expect(const char *source, size_t index, size_t count, const char *want) {
	char *got = NULL;
	int r = tree_addon_file_name(source, index, count, &got);

	ok(r == 0 && got && streq(got, want), "%s (%zu of %zu) -> %s (got %s)", source, index + 1, count, want, got ?: "-");
	free(got);
}

static void expect_refused(const char *text, const char *want) {
	char *error = NULL;
	int r = tree_addon_check("kiln-test", "m.yaml", text, strlen(text), &error);

	ok(r == -EBADMSG && error && strstr(error, want), "refused: %s (got %s)", want, error ?: "nothing");
	free(error);
}

int main(void) {
	expect("app.yaml", 0, 1, "01-app.yaml");
	expect("manifests/app.yml", 1, 2, "02-app.yml");
	expect("../shared/crds.json", 2, 3, "03-crds.json");
	expect("https://example.org/releases/v1.2/deploy/metallb-native.yaml", 0, 1, "01-metallb-native.yaml");
	expect("https://example.org/get?version=1.2&format=yaml", 0, 1, "01-get.yaml");
	expect("https://example.org/install#frag", 4, 10, "05-install.yaml");
	expect("https://example.org/", 0, 1, "01-manifest.yaml");
	expect("https://example.org", 0, 1, "01-manifest.yaml");
	expect("https://example.org/a%20b+c.yaml", 0, 1, "01-a-20b-c.yaml");
	expect("local file.yaml", 0, 1, "01-local-file.yaml");
	expect("x.YAML", 0, 1, "01-x.YAML.yaml");
	expect("a.yaml", 99, 100, "100-a.yaml");
	expect("a.yaml", 0, 100, "001-a.yaml");

	is_int(tree_addon_number_width(1), 2, "2 digits for a few");
	is_int(tree_addon_number_width(99), 2, "2 digits for 99");
	is_int(tree_addon_number_width(100), 3, "3 for 100: every name the same width, so name order is number order");
	is_int(tree_addon_number_width(1000), 4, "4 for 1000");

	/* What kubectl apply -n kiln-test would refuse on the node is refused at the build. */
	const char *fine = "apiVersion: v1\nkind: Namespace\nmetadata: {name: kiln-test}\n---\n"
			   "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a, namespace: kiln-test}\n---\n"
			   "kind: ConfigMapList\nitems: [{metadata: {name: c}}]\n";
	is_int(tree_addon_check("kiln-test", "m.yaml", fine, strlen(fine), NULL), 0,
	       "a Namespace, an object in the addon's namespace, a List item without one: fine");
	expect_refused("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n---\n"
		       "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: o, namespace: default}\n",
		       "m.yaml:5: ConfigMap o is in namespace default, not the addon's kiln-test: kubectl apply -n kiln-test would refuse it");
	expect_refused("kind: Job\nmetadata: {generateName: j-}\n",
		       "m.yaml:1: Job without metadata.name: kubectl apply cannot create it");
	expect_refused("kind: Job\nmetadata: {name: [x]}\n", "m.yaml:2:18: metadata.name is not a string");
	expect_refused("- a\n- b\n", "m.yaml:1:1: document is not a mapping");

	char *s = NULL;
	is_int(tree_addon_file_name("a.yaml", 1, 1, &s), -EINVAL, "an index past the count: -EINVAL");
	is_int(tree_addon_file_name("", 0, 1, &s), -EINVAL, "no source: -EINVAL");
	ok(!s, "nothing returned");
	return tap_done();
}

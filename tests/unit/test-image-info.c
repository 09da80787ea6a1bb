/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the supervisor reads about its image (supervisor/image-info.c): image.json as
 * kiln-imagegen writes it, the image list against "ctr images ls -q", kiln.image= from
 * the kernel command line; and the KILN-BOOTED line written to a kmsg stand-in. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "image-info.h"
#include "node-phases.h"
#include "strv.h"
#include "tap.h"
#include "tmpdir-files.h"

/* As step-tree.c writes it for --without-kubernetes. */
static const char without_k8s[] =
	"{\n  \"kilnVersion\": \"0.1.0\",\n  \"kubernetes\": {\n    \"present\": false,\n"
	"    \"version\": \"v1.31.4\"\n  },\n  \"profile\": \"single-node\",\n"
	"  \"profileSha256\": \"00\",\n  \"sourceDateEpoch\": 1700000000\n}\n";

static ImageInfo *parse(const char *text, int *ret) {
	ImageInfo *i = NULL;
	*ret = image_info_parse(text, strlen(text), &i);
	return i;
}

static void test_parse(void) {
	_cleanup_(image_info_freep) ImageInfo *a = NULL, *b = NULL;
	int r;

	a = parse(without_k8s, &r);
	is_int(r, 0, "image.json of a --without-kubernetes build parses");
	if (a) {
		ok(!a->kubernetes_present, "kubernetes.present false");
		is_str(a->kubernetes_version, "v1.31.4", "kubernetes.version");
		is_str(a->kiln_version, "0.1.0", "kilnVersion");
		ok(a->build_epoch == 1700000000, "sourceDateEpoch is the build epoch");
		ok(a->images == NULL, "no images listed: NULL");
	}
	b = parse("{\"kubernetes\": {\"present\": true}, \"images\": [\"registry.k8s.io/pause:3.10\", \"x/y:1\"]}", &r);
	is_int(r, 0, "a document with images parses");
	ok(b && b->kubernetes_present && strv_length(b->images) == 2 && streq(b->images[1], "x/y:1"),
	   "kubernetes present, two images in order");
	ok(b && b->build_epoch == 0 && !b->kiln_version, "missing optional fields are 0 / NULL");

	static const char *const bad[] = {
		"", "[]", "{}", "{\"kubernetes\": {}}", "{\"kubernetes\": {\"present\": \"no\"}}",
		"{\"kubernetes\": true}", "{\"kubernetes\": {\"present\": false}, \"images\": \"a\"}",
		"{\"kubernetes\": {\"present\": false}, \"images\": [\"\"]}",
		"{\"kubernetes\": {\"present\": false}, \"images\": [3]}",
		"{\"kubernetes\": {\"present\": false}, \"sourceDateEpoch\": -1}",
		"{\"kubernetes\": {\"present\": false}, \"kilnVersion\": 1}",
		"{\"kubernetes\": {\"present\": false}",
	};
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		ImageInfo *x = parse(bad[i], &r);
		ok(r == -EBADMSG && !x, "rejected with -EBADMSG: %s", bad[i][0] ? bad[i] : "(empty)");
		image_info_free(x);
	}

	ImageInfo *x = NULL;
	is_int(image_info_load(P("does-not-exist.json"), &x), -ENOENT, "a missing image.json: -ENOENT");
	put(P("image.json"), without_k8s);
	is_int(image_info_load(P("image.json"), &x), 0, "image_info_load reads the file");
	ok(x && !x->kubernetes_present, "and parses it");
	image_info_free(x);
}

static void test_missing(void) {
	char *expected[] = { (char *) "registry.k8s.io/pause:3.10", (char *) "docker.io/x/y:1", NULL };
	char **missing = NULL;

	char *all[] = { "docker.io/x/y:1", "registry.k8s.io/pause:3.10", NULL };
	char *one[] = { "registry.k8s.io/pause:3.10", "sha256:abc", NULL };
	char *near[] = { "registry.k8s.io/pause:3.100", "docker.io/x/y:1@sha256:00", "registry.k8s.io/pause", NULL };
	char *none[] = { NULL };
	is_int(image_info_missing(expected, all, &missing), 0, "image_info_missing");
	ok(missing && strv_length(missing) == 0, "all listed: nothing missing (an empty vector)");
	missing = strv_free(missing);

	is_int(image_info_missing(expected, one, &missing), 0, "image_info_missing with one absent");
	ok(missing && strv_length(missing) == 1 && streq(missing[0], "docker.io/x/y:1"),
	   "the absent one is reported");
	missing = strv_free(missing);

	is_int(image_info_missing(expected, near, &missing), 0, "image_info_missing with near misses");
	is_int(strv_length(missing), 2, "a prefix, a longer reference or a name without its tag is not a match");
	missing = strv_free(missing);

	is_int(image_info_missing(expected, none, &missing), 0, "an empty store");
	is_int(strv_length(missing), 2, "everything is missing from an empty store");
	missing = strv_free(missing);
	is_int(image_info_missing(expected, NULL, &missing), 0, "no list at all is an empty store");
	is_int(strv_length(missing), 2, "everything is missing then too");
	missing = strv_free(missing);
	is_int(image_info_missing(NULL, all, &missing), 0, "nothing expected");
	ok(missing && !missing[0], "nothing missing");
	missing = strv_free(missing);
}

static void test_cmdline(void) {
	const char *cmd = "BOOT_IMAGE=/vmlinuz root=PARTUUID=1 kiln.imagex=no kiln.image=ab12cd rw quiet "
			  "kiln.image=second x=\"a b\"\n";
	char *v = NULL;

	is_int(cmdline_get_value(cmd, "kiln.image", &v), 0, "kiln.image= found");
	is_str(v, "ab12cd", "the first kiln.image= word, not kiln.imagex=");
	free(v);
	v = NULL;
	is_int(cmdline_get_value(cmd, "x", &v), 0, "a quoted value");
	is_str(v, "a b", "keeps its space, loses its quotes");
	free(v);
	v = NULL;
	is_int(cmdline_get_value(cmd, "quiet", &v), -ENOENT, "a word without '=' is no value");
	is_int(cmdline_get_value("root=/dev/vda", "kiln.image", &v), -ENOENT, "absent: -ENOENT");
	is_int(cmdline_get_value("", "kiln.image", &v), -ENOENT, "empty command line: -ENOENT");
	ok(v == NULL, "ret untouched when absent");
}

static void test_announce(void) {
	put(P("cmdline"), "root=/dev/vda2 kiln.image=0123abcd console=ttyS0\n");
	put(P("kmsg"), "");
	is_int(node_announce_booted(P("kmsg"), P("cmdline")), 0, "node_announce_booted");
	is_str(get(P("kmsg")), "<2>KILN-BOOTED " KILN_VERSION " 0123abcd\n",
	       "one line at priority 2 with the version and kiln.image=");

	put(P("kmsg"), "");
	is_int(node_announce_booted(P("kmsg"), P("no-cmdline")), 0, "without a readable command line");
	is_str(get(P("kmsg")), "<2>KILN-BOOTED " KILN_VERSION " unknown\n", "the image is \"unknown\"");
	ok(node_announce_booted(P("no-dir/kmsg"), P("cmdline")) == -ENOENT, "an unwritable kmsg is an error");
}

int main(void) {
	T = tap_mkdtemp();
	if (!T)
		skip_all("cannot create a temporary directory");
	test_parse();
	test_missing();
	test_cmdline();
	test_announce();
	(void) rm_rf(T);
	free(T);
	return done_testing();
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the supervisor reads about its image (supervisor/image-info.c): image.json as
 * kiln-imagegen writes it (the seeded images as name + digest), kiln.image= from
 * the kernel command line; and the KILN-BOOTED line written to a file standing in for
 * the supervisor's standard output (the kernel log, on a node). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

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

#define D1_TAIL "4f9a2b07e3c1d8a6b5e4f3c2d1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5"
#define D1 "abcdef" D1_TAIL
#define D2 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define IMAGES(entries) "{\"kubernetes\": {\"present\": true}, \"images\": [" entries "]}"

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
	b = parse("{\"kubernetes\": {\"present\": true}, \"images\": ["
		  "{\"name\": \"127.0.0.1:5000/k8s/pause:3.10\", \"digest\": \"sha256:" D1 "\"}, "
		  "{\"digest\": \"sha256:" D2 "\", \"name\": \"x/y:1\", \"size\": 525}]}", &r);
	is_int(r, 0, "a document with images (name + digest objects) parses");
	ok(b && b->kubernetes_present && b->n_images == 2, "kubernetes present, two images");
	ok(b && b->n_images == 2 && streq(b->images[0].name, "127.0.0.1:5000/k8s/pause:3.10") &&
	   streq(b->images[0].digest, "sha256:" D1) && streq(b->images[1].name, "x/y:1") &&
	   streq(b->images[1].digest, "sha256:" D2), "names and digests in order; an unknown key is ignored");
	ok(b && b->build_epoch == 0 && !b->kiln_version, "missing optional fields are 0 / NULL");
	image_info_free(b);
	b = parse("{\"kubernetes\": {\"present\": true}, \"images\": []}", &r);
	ok(r == 0 && b && b->n_images == 0 && !b->images, "an empty images array: none, NULL");

	static const char *const bad[] = {
		"", "[]", "{}", "{\"kubernetes\": {}}", "{\"kubernetes\": {\"present\": \"no\"}}",
		"{\"kubernetes\": true}", "{\"kubernetes\": {\"present\": false}, \"images\": \"a\"}",
		"{\"kubernetes\": {\"present\": false}, \"images\": [\"\"]}",
		"{\"kubernetes\": {\"present\": false}, \"images\": [3]}",
		/* The older form, plain names. */
		"{\"kubernetes\": {\"present\": true}, \"images\": [\"registry.k8s.io/pause:3.10\"]}",
		IMAGES("{\"name\": \"a:1\"}"),
		IMAGES("{\"digest\": \"sha256:" D1 "\"}"),
		IMAGES("{\"name\": \"\", \"digest\": \"sha256:" D1 "\"}"),
		IMAGES("{\"name\": 7, \"digest\": \"sha256:" D1 "\"}"),
		IMAGES("{\"name\": \"a:1\", \"digest\": \"" D1 "\"}"),
		IMAGES("{\"name\": \"a:1\", \"digest\": \"sha512:" D1 "\"}"),
		IMAGES("{\"name\": \"a:1\", \"digest\": \"sha256:" D1 "0\"}"),
		IMAGES("{\"name\": \"a:1\", \"digest\": \"sha256:ABCDEF" D1_TAIL "\"}"),
		IMAGES("{\"name\": \"a:1\", \"digest\": \"sha256:" D1 "\"}, {\"name\": \"a:1\", \"digest\": \"sha256:" D2 "\"}"),
		IMAGES("{\"name\": \"a:1\", \"digest\": \"sha256:" D1 "\"}, null"),
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
	int fd = open(P("kmsg"), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	is_int(node_announce_booted(fd, P("cmdline")), 0, "node_announce_booted");
	is_str(get(P("kmsg")), "<2>KILN-BOOTED " KILN_VERSION " 0123abcd\n",
	       "KILN-BOOTED with the version and kiln.image=, in one line at priority 2");
	ok(ftruncate(fd, 0) == 0 && lseek(fd, 0, SEEK_SET) == 0, "the stand-in emptied");
	is_int(node_announce_booted(fd, P("no-cmdline")), 0, "without a readable command line");
	is_str(get(P("kmsg")), "<2>KILN-BOOTED " KILN_VERSION " unknown\n", "the image is \"unknown\"");
	close(fd);
	ok(node_announce_booted(fd, P("cmdline")) == -EBADF, "an unwritable output is an error");
}

int main(void) {
	T = tap_mkdtemp();
	if (!T)
		skip_all("cannot create a temporary directory");
	test_parse();
	test_cmdline();
	test_announce();
	(void) rm_rf(T);
	free(T);
	return done_testing();
}

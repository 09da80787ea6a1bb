/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The images phase's inputs and verdicts (supervisor/containerd-images.c,
 * supervisor/seeded-images.c):
 *   - containerd's Images/List reply decoded from bytes encoded here field by field
 *     (names, label maps, target descriptors, unknown and repeated fields, damage)
 *   - each seeded image of image.json judged against those records (ok, missing, wrong
 *     digest, not pinned) and the phase's one-line detail.
 * The same calls against a real containerd are in test-runtime.c and
 * tests/integration/test-store-seed.sh. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "containerd-images.h"
#include "pb-writer.h"
#include "seeded-images.h"
#include "tap.h"

static void pb_label(Pb *image, const char *key, const char *value) {
	Pb e = {};
	pb_str(&e, 1, key);
	pb_str(&e, 2, value);
	pb_msg(image, 2, &e);
}

static void pb_target(Pb *image, const char *media_type, const char *digest, uint64_t size) {
	Pb d = {};
	pb_str(&d, 1, media_type);
	pb_str(&d, 2, digest);
	pb_int(&d, 3, size);
	Pb ann = {};
	pb_str(&ann, 1, "org.opencontainers.image.ref.name");
	pb_str(&ann, 2, "1");
	pb_msg(&d, 5, &ann);   /* annotations: not read */
	pb_msg(image, 3, &d);
}

#define DA "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define DB "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define DC "sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
#define MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define INDEX "application/vnd.oci.image.index.v1+json"

/* What containerd 1.6 lists after an import and "ctr images label ... pinned": the
 * images named by the builder, and the CRI's own "sha256:<config>" record. */
static void reply(Pb *out) {
	Pb a = {}, b = {}, c = {}, ts = {};

	pb_str(&a, 1, "127.0.0.1:5000/k8s/pause:3.10");
	pb_label(&a, "io.cri-containerd.image", "managed");
	pb_label(&a, "io.cri-containerd.pinned", "pinned");
	pb_target(&a, INDEX, DA, 1609);
	pb_int(&ts, 1, 1700000000);
	pb_msg(&a, 7, &ts);   /* created_at: not read */
	pb_msg(&a, 8, &ts);

	pb_str(&b, 1, "127.0.0.1:5000/k8s/coredns:v1.11.3");
	pb_target(&b, MANIFEST, DB, 525);
	pb_label(&b, "io.cri-containerd.pinned", "pinned");

	pb_str(&c, 1, "sha256:" "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd");
	pb_target(&c, MANIFEST, DB, 525);
	pb_label(&c, "io.cri-containerd.image", "managed");

	pb_msg(out, 1, &a);
	pb_int(out, 9, 42);   /* a field this version does not know */
	pb_msg(out, 1, &b);
	pb_msg(out, 1, &c);
}

static void test_parse(void) {
	ContainerdImage *images = NULL;
	size_t n = 0;
	Pb r = {};

	reply(&r);
	is_int(containerd_parse_images_reply(r.data, r.n, &images, &n), 0, "an Images/List reply");
	is_int(n, 3, "three images, an unknown top-level field skipped");
	if (n == 3) {
		is_str(images[0].name, "127.0.0.1:5000/k8s/pause:3.10", "the first name");
		is_str(images[0].target_digest, DA, "its target digest");
		is_str(images[0].target_media_type, INDEX, "its target media type");
		is_int(images[0].target_size, 1609, "its target size");
		is_str(containerd_image_label(&images[0], "io.cri-containerd.pinned"), "pinned", "its pin label");
		is_str(containerd_image_label(&images[0], "io.cri-containerd.image"), "managed", "another label");
		ok(!containerd_image_label(&images[0], "nope"), "an absent label: NULL");
		is_str(images[1].name, "127.0.0.1:5000/k8s/coredns:v1.11.3", "the second, in the order sent");
		is_str(containerd_image_label(&images[1], "io.cri-containerd.pinned"), "pinned",
		       "labels after the target are read too");
		ok(!containerd_image_label(&images[2], "io.cri-containerd.pinned"), "the third is not pinned");
	}
	containerd_images_free(images, n);
	images = NULL;

	/* Repeats: the last name, the last value of a label key, targets merged. */
	Pb img = {}, out = {}, d2 = {};
	pb_str(&img, 1, "first");
	pb_label(&img, "k", "1");
	pb_target(&img, MANIFEST, DA, 10);
	pb_str(&img, 1, "second");
	pb_label(&img, "k", "2");
	pb_str(&d2, 2, DC);
	pb_msg(&img, 3, &d2);
	pb_msg(&out, 1, &img);
	is_int(containerd_parse_images_reply(out.data, out.n, &images, &n), 0, "repeated fields");
	ok(n == 1 && streq(images[0].name, "second") && streq(containerd_image_label(&images[0], "k"), "2") &&
	   images[0].labels && !images[0].labels[2], "the last name and label value win, one label kept");
	ok(n == 1 && streq(images[0].target_digest, DC) && streq(images[0].target_media_type, MANIFEST) &&
	   images[0].target_size == 10, "a second target is merged into the first");
	containerd_images_free(images, n);
	images = NULL;

	/* A label entry without a value: protobuf's default, "". */
	Pb e = {}, img2 = {}, out2 = {};
	pb_str(&e, 1, "io.cri-containerd.pinned");
	pb_str(&img2, 1, "x");
	pb_msg(&img2, 2, &e);
	pb_msg(&out2, 1, &img2);
	is_int(containerd_parse_images_reply(out2.data, out2.n, &images, &n), 0, "a map entry without a value");
	ok(n == 1 && streq(containerd_image_label(&images[0], "io.cri-containerd.pinned"), ""), "reads as \"\"");
	ok(n == 1 && !images[0].target_digest, "no target: NULL digest");
	containerd_images_free(images, n);
	images = NULL;

	is_int(containerd_parse_images_reply(NULL, 0, &images, &n), 0, "an empty reply");
	ok(!images && n == 0, "no images: NULL, 0");

	struct {
		Pb pb;
		const char *what;
	} bad[5] = {};
	pb_int(&bad[0].pb, 1, 5);
	bad[0].what = "an image that is a number";
	Pb noname = {};
	pb_target(&noname, MANIFEST, DA, 1);
	pb_msg(&bad[1].pb, 1, &noname);
	bad[1].what = "an image without a name";
	Pb badsize = {}, desc = {};
	pb_str(&badsize, 1, "x");
	pb_str(&desc, 3, "12");
	pb_msg(&badsize, 3, &desc);
	pb_msg(&bad[2].pb, 1, &badsize);
	bad[2].what = "a size that is a string";
	Pb badlabel = {};
	pb_str(&badlabel, 1, "x");
	pb_int(&badlabel, 2, 1);
	pb_msg(&bad[3].pb, 1, &badlabel);
	bad[3].what = "a label that is a number";
	reply(&bad[4].pb);
	bad[4].pb.n -= 3;
	bad[4].what = "a reply cut short";
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		images = (ContainerdImage *) &n;   /* must stay untouched */
		n = 77;
		is_int(containerd_parse_images_reply(bad[i].pb.data, bad[i].pb.n, &images, &n), -EBADMSG, bad[i].what);
		ok(images == (ContainerdImage *) &n && n == 77, "outputs untouched");
	}
}

static void test_verdicts(void) {
	ContainerdImage *present = NULL;
	SeededImageResult *res = NULL;
	char *detail = NULL;
	size_t n = 0;
	Pb r = {};

	reply(&r);
	if (containerd_parse_images_reply(r.data, r.n, &present, &n) < 0)
		diag("the reply does not parse");

	ImageInfoImage all_ok[] = {
		{ (char *) "127.0.0.1:5000/k8s/coredns:v1.11.3", (char *) DB },
		{ (char *) "127.0.0.1:5000/k8s/pause:3.10", (char *) DA },
	};
	is_int(seeded_images_check(all_ok, 2, present, n, &res), 0, "both seeded images as expected: 0 wrong");
	ok(res && res[0].verdict == SEEDED_IMAGE_OK && res[1].verdict == SEEDED_IMAGE_OK && res[1].expected == &all_ok[1],
	   "two verdicts \"ok\", in image.json's order");
	is_int(seeded_images_describe(res, 2, &detail), 0, "describe");
	is_str(detail, "2 seeded images present, pinned, at their digests", "the phase's detail");
	detail = mfree_str(detail);
	res = mfree_str(res);
	is_int(seeded_images_check(all_ok, 1, present, n, &res), 0, "one image");
	is_int(seeded_images_describe(res, 1, &detail), 0, "describe one");
	is_str(detail, "1 seeded image present, pinned, at its digest", "singular");
	detail = mfree_str(detail);
	res = mfree_str(res);

	ImageInfoImage mixed[] = {
		{ (char *) "127.0.0.1:5000/k8s/pause:3.10", (char *) DA },
		{ (char *) "127.0.0.1:5000/k8s/etcd:3.5.15-0", (char *) DC },
		{ (char *) "127.0.0.1:5000/k8s/coredns:v1.11.3", (char *) DC },
		/* The CRI's record is there at DB but nobody pinned it. */
		{ (char *) "sha256:dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd", (char *) DB },
		/* A prefix of a present name is not that name. */
		{ (char *) "127.0.0.1:5000/k8s/pause:3.1", (char *) DA },
	};
	is_int(seeded_images_check(mixed, 5, present, n, &res), 4, "four of five wrong");
	if (res) {
		is_str(seeded_image_verdict_to_string(res[0].verdict), "ok", "pause: ok");
		is_str(seeded_image_verdict_to_string(res[1].verdict), "missing", "etcd: missing");
		is_str(seeded_image_verdict_to_string(res[2].verdict), "wrong-digest", "coredns: wrong digest");
		is_str(res[2].found_digest, DB, "what coredns points at instead");
		is_str(seeded_image_verdict_to_string(res[3].verdict), "not-pinned", "the unpinned one");
		is_str(seeded_image_verdict_to_string(res[4].verdict), "missing", "an exact name only");
	}
	is_int(seeded_images_describe(res, 5, &detail), 0, "describe");
	is_str(detail,
	       "4 of 5 seeded images wrong: 127.0.0.1:5000/k8s/etcd:3.5.15-0 missing; "
	       "127.0.0.1:5000/k8s/coredns:v1.11.3 has " DB " (want " DC "); "
	       "sha256:dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd not pinned "
	       "(no io.cri-containerd.pinned=pinned label); 127.0.0.1:5000/k8s/pause:3.1 missing",
	       "each problem, precisely");
	detail = mfree_str(detail);
	res = mfree_str(res);

	/* A digest wrong and the pin missing: the digest is the worse news. */
	ImageInfoImage one[] = { { (char *) "sha256:dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd",
				   (char *) DA } };
	is_int(seeded_images_check(one, 1, present, n, &res), 1, "wrong digest and unpinned");
	ok(res && res[0].verdict == SEEDED_IMAGE_WRONG_DIGEST, "reported as the wrong digest");
	res = mfree_str(res);

	/* An empty store: everything missing. */
	is_int(seeded_images_check(all_ok, 2, NULL, 0, &res), 2, "an empty namespace: both wrong");
	is_int(seeded_images_describe(res, 2, &detail), 0, "describe");
	is_str(detail, "2 of 2 seeded images wrong: 127.0.0.1:5000/k8s/coredns:v1.11.3 missing; "
	       "127.0.0.1:5000/k8s/pause:3.10 missing", "both missing");
	detail = mfree_str(detail);
	res = mfree_str(res);

	is_int(seeded_images_check(NULL, 0, present, n, &res), 0, "nothing expected");
	ok(!res, "no results");
	is_int(seeded_images_describe(NULL, 0, &detail), 0, "describe nothing");
	is_str(detail, "0 expected", "\"0 expected\", as before");
	detail = mfree_str(detail);
	is_int(seeded_images_check(NULL, 1, present, n, &res), -EINVAL, "expected NULL with a count: -EINVAL");
	containerd_images_free(present, n);
}

int main(void) {
	test_parse();
	test_verdicts();
	return done_testing();
}

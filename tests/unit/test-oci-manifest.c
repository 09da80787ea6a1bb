/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oci-manifest.h"
#include "tap.h"

#define DA "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define DB "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define DC "sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
#define DD "sha256:dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"
#define DE "sha256:eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"
#define DF "sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"

#define ENTRY(d, plat) "{\"mediaType\":\"" OCI_MEDIA_TYPE_MANIFEST "\",\"digest\":\"" d "\",\"size\":100,\"platform\":" plat "}"

/* A buildx-style index: amd64, arm64 (variant v8), arm v6 and v7, and an attestation. */
static const char index_json[] =
	"{\"schemaVersion\":2,\"mediaType\":\"" OCI_MEDIA_TYPE_INDEX "\",\"manifests\":["
	ENTRY(DA, "{\"os\":\"linux\",\"architecture\":\"amd64\"}") ","
	ENTRY(DB, "{\"os\":\"linux\",\"architecture\":\"arm64\",\"variant\":\"v8\"}") ","
	ENTRY(DC, "{\"os\":\"linux\",\"architecture\":\"arm\",\"variant\":\"v6\"}") ","
	ENTRY(DD, "{\"os\":\"linux\",\"architecture\":\"arm\",\"variant\":\"v7\"}") ","
	ENTRY(DE, "{\"os\":\"unknown\",\"architecture\":\"unknown\"}") ","
	ENTRY(DF, "{\"os\":\"windows\",\"architecture\":\"amd64\",\"os.version\":\"10.0.17763.1\"}")
	"]}";

static void test_select(void) {
	static const struct {
		const char *platform, *digest;
	} v[] = {
		{ "linux/amd64", DA },
		{ NULL, DA },                  /* the default */
		{ "linux/x86_64", DA },
		{ "linux/arm64", DB },         /* v8 is arm64's default variant */
		{ "linux/arm64/v8", DB },
		{ "linux/aarch64", DB },
		{ "linux/arm/v7", DD },
		{ "linux/arm/v6", DC },
		{ "linux/arm", DC },           /* no variant asked: the first arm entry */
		{ "windows/amd64", DF },
	};
	for (size_t i = 0; i < ELEMENTSOF(v); i++) {
		_cleanup_free_ char *d = NULL, *e = NULL;
		is_int(oci_index_select(index_json, strlen(index_json), v[i].platform, &d, &e), 0, v[i].platform ?: "(default)");
		is_str(d, v[i].digest, "picks the right manifest");
	}

	char *d = (char *) "untouched";
	_cleanup_free_ char *e1 = NULL, *e2 = NULL, *e3 = NULL, *e4 = NULL;
	is_int(oci_index_select(index_json, strlen(index_json), "linux/riscv64", &d, &e1), -ENXIO, "no riscv64: -ENXIO");
	is_str(e1, "no manifest for linux/riscv64 in the index; it has linux/amd64, linux/arm/v6, linux/arm/v7, linux/arm64, "
		   "unknown/unknown, windows/amd64", "the error lists the platforms the index has");
	is_int(oci_index_select(index_json, strlen(index_json), "linux/arm/v5", &d, &e2), -ENXIO, "arm/v5 is not v6 or v7");
	is_int(oci_index_select(index_json, strlen(index_json), "linux", &d, &e3), -EINVAL, "platform without arch: -EINVAL");
	is_int(oci_index_select("{\"manifests\":{}}", 16, "linux/amd64", &d, &e4), -EBADMSG, "manifests not an array: -EBADMSG");
	is_str(d, "untouched", "ret untouched on failure");

	static const char bad_digest[] = "{\"manifests\":[" "{\"digest\":\"sha256:XYZ\",\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}}]}";
	_cleanup_free_ char *e5 = NULL;
	is_int(oci_index_select(bad_digest, strlen(bad_digest), "linux/amd64", &d, &e5), -EBADMSG, "invalid digest in the entry: -EBADMSG");
}

static void test_kind(void) {
	static const struct {
		const char *json, *content_type;
		int ret;
		OciDocumentKind kind;
		const char *media_type;
	} v[] = {
		{ "{\"mediaType\":\"" OCI_MEDIA_TYPE_INDEX "\",\"manifests\":[]}", NULL, 0, OCI_DOCUMENT_INDEX, OCI_MEDIA_TYPE_INDEX },
		{ "{\"mediaType\":\"" DOCKER_MEDIA_TYPE_LIST "\",\"manifests\":[]}", NULL, 0, OCI_DOCUMENT_INDEX, DOCKER_MEDIA_TYPE_LIST },
		{ "{\"mediaType\":\"" DOCKER_MEDIA_TYPE_MANIFEST "\"}", NULL, 0, OCI_DOCUMENT_MANIFEST, DOCKER_MEDIA_TYPE_MANIFEST },
		/* No mediaType field (optional in OCI): the Content-Type, then the shape. */
		{ "{\"manifests\":[]}", DOCKER_MEDIA_TYPE_LIST "; charset=utf-8", 0, OCI_DOCUMENT_INDEX, DOCKER_MEDIA_TYPE_LIST },
		{ "{\"manifests\":[]}", "application/json", 0, OCI_DOCUMENT_INDEX, OCI_MEDIA_TYPE_INDEX },
		{ "{\"config\":{},\"layers\":[]}", NULL, 0, OCI_DOCUMENT_MANIFEST, OCI_MEDIA_TYPE_MANIFEST },
		{ "{\"mediaType\":\"application/vnd.docker.distribution.manifest.v1+prettyjws\"}", NULL, -EMEDIUMTYPE, 0, NULL },
		{ "{\"schemaVersion\":2}", NULL, -EMEDIUMTYPE, 0, NULL },
		{ "[1]", NULL, -EBADMSG, 0, NULL },
		{ "{", NULL, -EBADMSG, 0, NULL },
	};
	for (size_t i = 0; i < ELEMENTSOF(v); i++) {
		_cleanup_free_ char *mt = NULL;
		OciDocumentKind kind = 99;
		int r = oci_document_kind(v[i].json, strlen(v[i].json), v[i].content_type, &kind, &mt);
		is_int(r, v[i].ret, v[i].json);
		if (r == 0) {
			is_int(kind, v[i].kind, "kind");
			is_str(mt, v[i].media_type, "media type");
		} else
			ok(kind == 99 && !mt, "outputs untouched");
	}
}

static void test_layers(void) {
	static const struct {
		const char *media_type;
		bool layer;
	} v[] = {
		{ "application/vnd.oci.image.layer.v1.tar", true },
		{ "application/vnd.oci.image.layer.v1.tar+gzip", true },
		{ "application/vnd.oci.image.layer.v1.tar+zstd", true },
		{ "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip", true },
		{ "application/vnd.docker.image.rootfs.diff.tar.gzip", true },
		{ "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip", true },
		{ "application/vnd.oci.image.config.v1+json", false },
		{ "application/vnd.cncf.helm.chart.content.v1.tar+gzip+x", false },
		{ "application/octet-stream", false },
		{ "", false },
	};
	for (size_t i = 0; i < ELEMENTSOF(v); i++)
		ok(oci_media_type_is_layer(v[i].media_type) == v[i].layer, "%s: %s", v[i].media_type,
		   v[i].layer ? "a layer" : "not a layer");
	ok(!oci_media_type_is_layer(NULL), "NULL is not a layer");
}

#define DESC(mt, d, n) "{\"mediaType\":\"" mt "\",\"digest\":\"" d "\",\"size\":" #n "}"

static void test_manifest(void) {
	static const char good[] = "{\"schemaVersion\":2,\"config\":" DESC("application/vnd.oci.image.config.v1+json", DA, 12)
		",\"layers\":[" DESC("application/vnd.oci.image.layer.v1.tar+gzip", DB, 300) ","
		DESC("application/vnd.oci.image.layer.v1.tar", DC, 20971520) "]}";
	OciManifest m = {};
	_cleanup_free_ char *e = NULL;

	is_int(oci_manifest_parse(good, strlen(good), &m, &e), 0, "manifest parses");
	is_str(m.config.digest, DA, "config digest");
	is_int(m.config.size, 12, "config size");
	is_int(m.n_layers, 2, "two layers");
	ok(m.n_layers == 2 && streq(m.layers[1].digest, DC) && m.layers[1].size == 20971520 &&
	   streq(m.layers[0].media_type, "application/vnd.oci.image.layer.v1.tar+gzip"), "layers in order, with sizes and types");
	oci_manifest_done(&m);

	static const struct {
		const char *json, *error;
	} bad[] = {
		{ "{\"layers\":[]}", "config is not a descriptor with mediaType, digest and size" },
		{ "{\"config\":" DESC("x", DA, 1) "}", "no layers array" },
		{ "{\"config\":" DESC("x", "sha256:abc", 1) ",\"layers\":[]}", "config has an invalid digest \"sha256:abc\"" },
		{ "{\"config\":" DESC("x", DA, 1) ",\"layers\":[" DESC("y", DB, 1) ",{\"digest\":\"" DC "\"}]}",
		  "layer 2 is not a descriptor with mediaType, digest and size" },
		{ "{\"config\":" DESC("x", DA, -1) ",\"layers\":[]}", "config is not a descriptor with mediaType, digest and size" },
		{ "[]", "not a JSON object" },
	};
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		_cleanup_free_ char *err = NULL;
		OciManifest u = { .n_layers = 4711 };
		is_int(oci_manifest_parse(bad[i].json, strlen(bad[i].json), &u, &err), -EBADMSG, bad[i].json);
		is_str(err, bad[i].error, "reason");
		is_int(u.n_layers, 4711, "ret untouched");
	}
}

int main(void) {
	test_select();
	test_kind();
	test_layers();
	test_manifest();
	return done_testing();
}

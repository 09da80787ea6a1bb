/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "blob-cache.h"
#include "macro.h"
#include "oci-manifest.h"
#include "strv.h"


static const struct {
	const char *media_type;
	OciDocumentKind kind;
} document_types[] = {
	{ OCI_MEDIA_TYPE_INDEX, OCI_DOCUMENT_INDEX },
	{ DOCKER_MEDIA_TYPE_LIST, OCI_DOCUMENT_INDEX },
	{ OCI_MEDIA_TYPE_MANIFEST, OCI_DOCUMENT_MANIFEST },
	{ DOCKER_MEDIA_TYPE_MANIFEST, OCI_DOCUMENT_MANIFEST },
};

static const char *const layer_suffixes[] = {
	".tar", ".tar+gzip", ".tar+zstd",
	/* docker's application/vnd.docker.image.rootfs.diff.tar.gzip (and .foreign.) */
	".diff.tar.gzip",
};

static bool ends_with(const char *s, const char *suffix) {
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && streq(s + n - m, suffix);
}

bool oci_media_type_is_layer(const char *media_type) {
	if (!media_type)
		return false;
	for (size_t i = 0; i < ELEMENTSOF(layer_suffixes); i++)
		if (ends_with(media_type, layer_suffixes[i]))
			return true;
	return false;
}

static int kind_of_type(const char *media_type, OciDocumentKind *ret) {
	for (size_t i = 0; i < ELEMENTSOF(document_types); i++)
		if (streq(media_type, document_types[i].media_type)) {
			*ret = document_types[i].kind;
			return 0;
		}
	return -EMEDIUMTYPE;
}

int oci_document_kind(const char *json, size_t size, const char *content_type,
		      OciDocumentKind *ret_kind, char **ret_media_type) {
	_cleanup_(json_decrefp) json_t *doc = NULL;
	_cleanup_free_ char *ct = NULL;
	const char *media_type;
	OciDocumentKind kind;
	int r;

	if (!json || !ret_kind)
		return -EINVAL;
	doc = json_loadb(json, size, 0, NULL);
	if (!json_is_object(doc))
		return -EBADMSG;
	media_type = json_string_value(json_object_get(doc, "mediaType"));
	if (!media_type && content_type) {
		/* "application/...+json; charset=utf-8" */
		ct = strndup(content_type, strcspn(content_type, "; \t"));
		if (!ct)
			return -ENOMEM;
		if (kind_of_type(ct, &kind) >= 0)
			media_type = ct;
	}
	if (media_type) {
		r = kind_of_type(media_type, &kind);
		if (r < 0)
			return r;
	} else if (json_is_array(json_object_get(doc, "manifests"))) {
		kind = OCI_DOCUMENT_INDEX;
		media_type = OCI_MEDIA_TYPE_INDEX;
	} else if (json_is_object(json_object_get(doc, "config")) && json_is_array(json_object_get(doc, "layers"))) {
		kind = OCI_DOCUMENT_MANIFEST;
		media_type = OCI_MEDIA_TYPE_MANIFEST;
	} else
		return -EMEDIUMTYPE;

	if (ret_media_type && !(*ret_media_type = strdup(media_type)))
		return -ENOMEM;
	*ret_kind = kind;
	return 0;
}

static void descriptor_done(OciDescriptor *d) {
	free(d->media_type);
	free(d->digest);
	*d = (OciDescriptor) {};
}

void oci_manifest_done(OciManifest *m) {
	if (!m)
		return;
	descriptor_done(&m->config);
	for (size_t i = 0; i < m->n_layers; i++)
		descriptor_done(&m->layers[i]);
	free(m->layers);
	*m = (OciManifest) {};
}

static int parse_descriptor(json_t *j, const char *what, OciDescriptor *ret, char **ret_error) {
	const char *mt = json_string_value(json_object_get(j, "mediaType"));
	const char *digest = json_string_value(json_object_get(j, "digest"));
	json_t *size = json_object_get(j, "size");

	if (!json_is_object(j) || !mt || !digest || !json_is_integer(size) || json_integer_value(size) < 0)
		return asprintf(ret_error, "%s is not a descriptor with mediaType, digest and size", what) < 0
			? -ENOMEM : -EBADMSG;
	if (blob_digest_parse(digest, NULL, NULL) < 0)
		return asprintf(ret_error, "%s has an invalid digest \"%s\"", what, digest) < 0 ? -ENOMEM : -EBADMSG;
	ret->media_type = strdup(mt);
	ret->digest = strdup(digest);
	ret->size = (uint64_t) json_integer_value(size);
	return ret->media_type && ret->digest ? 0 : -ENOMEM;
}

int oci_manifest_parse(const char *json, size_t size, OciManifest *ret, char **ret_error) {
	_cleanup_(json_decrefp) json_t *doc = NULL;
	_cleanup_(oci_manifest_done) OciManifest m = {};
	json_t *layers, *l;
	size_t i;
	int r;

	if (!json || !ret || !ret_error)
		return -EINVAL;
	doc = json_loadb(json, size, 0, NULL);
	if (!json_is_object(doc))
		return asprintf(ret_error, "not a JSON object") < 0 ? -ENOMEM : -EBADMSG;
	r = parse_descriptor(json_object_get(doc, "config"), "config", &m.config, ret_error);
	if (r < 0)
		return r;
	layers = json_object_get(doc, "layers");
	if (!json_is_array(layers))
		return asprintf(ret_error, "no layers array") < 0 ? -ENOMEM : -EBADMSG;
	m.layers = calloc(json_array_size(layers) ?: 1, sizeof *m.layers);
	if (!m.layers)
		return -ENOMEM;
	json_array_foreach(layers, i, l) {
		char what[64];
		(void) snprintf(what, sizeof what, "layer %zu", i + 1);
		r = parse_descriptor(l, what, &m.layers[i], ret_error);
		m.n_layers = i + 1;
		if (r < 0)
			return r;
	}
	*ret = m;
	m = (OciManifest) {};
	return 0;
}

typedef struct Platform {
	char os[32], arch[32], variant[32];
} Platform;

static void platform_normalize(Platform *p) {
	if (streq(p->arch, "x86_64") || streq(p->arch, "x86-64"))
		strcpy(p->arch, "amd64");
	else if (streq(p->arch, "aarch64"))
		strcpy(p->arch, "arm64");
	if (streq(p->arch, "arm64") && streq(p->variant, "v8"))
		p->variant[0] = '\0';
}

static int platform_parse(const char *s, Platform *ret) {
	Platform p = {};
	const char *a, *v;
	size_t n;

	a = strchr(s, '/');
	if (!a || a == s)
		return -EINVAL;
	n = (size_t) (a - s);
	if (n >= sizeof p.os)
		return -EINVAL;
	memcpy(p.os, s, n);
	a++;
	v = strchr(a, '/');
	n = v ? (size_t) (v - a) : strlen(a);
	if (n == 0 || n >= sizeof p.arch)
		return -EINVAL;
	memcpy(p.arch, a, n);
	if (v) {
		v++;
		if (isempty(v) || strlen(v) >= sizeof p.variant || strchr(v, '/'))
			return -EINVAL;
		strcpy(p.variant, v);
	}
	platform_normalize(&p);
	*ret = p;
	return 0;
}

static bool platform_from_json(json_t *j, Platform *ret) {
	const char *os = json_string_value(json_object_get(j, "os"));
	const char *arch = json_string_value(json_object_get(j, "architecture"));
	const char *variant = json_string_value(json_object_get(j, "variant"));
	Platform p = {};

	if (!os || !arch || strlen(os) >= sizeof p.os || strlen(arch) >= sizeof p.arch ||
	    (variant && strlen(variant) >= sizeof p.variant))
		return false;
	strcpy(p.os, os);
	strcpy(p.arch, arch);
	if (variant)
		strcpy(p.variant, variant);
	platform_normalize(&p);
	*ret = p;
	return true;
}

static int list_platforms(json_t *manifests, char **ret) {
	_cleanup_strv_free_ char **names = NULL;
	_cleanup_free_ char *joined = NULL;
	size_t i, len = 0;
	json_t *m;

	json_array_foreach(manifests, i, m) {
		Platform p;
		char *name = NULL;
		if (!platform_from_json(json_object_get(m, "platform"), &p))
			continue;
		if (asprintf(&name, "%s/%s%s%s", p.os, p.arch, p.variant[0] ? "/" : "", p.variant) < 0 ||
		    strv_consume(&names, name) < 0)
			return -ENOMEM;
	}
	strv_sort_unique(names);
	STRV_FOREACH(n, names)
		len += strlen(*n) + 2;
	joined = calloc(len + 1, 1);
	if (!joined)
		return -ENOMEM;
	STRV_FOREACH(n, names) {
		if (n != names)
			strcat(joined, ", ");
		strcat(joined, *n);
	}
	*ret = TAKE_PTR(joined);
	return 0;
}

int oci_index_select(const char *json, size_t size, const char *platform, char **ret_digest, char **ret_error) {
	_cleanup_(json_decrefp) json_t *doc = NULL;
	_cleanup_free_ char *have = NULL;
	const char *exact = NULL, *loose = NULL;
	json_t *manifests, *m;
	Platform want;
	size_t i;
	int r;

	if (!json || !ret_digest || !ret_error)
		return -EINVAL;
	platform = platform ?: OCI_PLATFORM_DEFAULT;
	if (platform_parse(platform, &want) < 0)
		return asprintf(ret_error, "invalid platform \"%s\" (want os/arch[/variant])", platform) < 0 ? -ENOMEM
			: -EINVAL;
	doc = json_loadb(json, size, 0, NULL);
	manifests = json_object_get(doc, "manifests");
	if (!json_is_array(manifests))
		return asprintf(ret_error, "not an index: no manifests array") < 0 ? -ENOMEM : -EBADMSG;

	json_array_foreach(manifests, i, m) {
		const char *digest = json_string_value(json_object_get(m, "digest"));
		Platform p;

		if (!platform_from_json(json_object_get(m, "platform"), &p) || !streq(p.os, want.os) ||
		    !streq(p.arch, want.arch))
			continue;
		if (!digest || blob_digest_parse(digest, NULL, NULL) < 0)
			return asprintf(ret_error, "index entry %zu has an invalid digest", i + 1) < 0 ? -ENOMEM : -EBADMSG;
		if (streq(p.variant, want.variant)) {
			exact = digest;
			break;
		}
		if (!want.variant[0] && !loose)
			loose = digest;
	}
	if (exact || loose) {
		char *d = strdup(exact ?: loose);
		if (!d)
			return -ENOMEM;
		*ret_digest = d;
		return 0;
	}
	r = list_platforms(manifests, &have);
	if (r < 0)
		return r;
	return asprintf(ret_error, "no manifest for %s in the index; it has %s", platform,
			isempty(have) ? "no platform at all" : have) < 0 ? -ENOMEM : -ENXIO;
}

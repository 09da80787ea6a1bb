/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "cluster-config.h"
#include "fileio.h"

/* kubeadm's defaults (cmd/kubeadm/app/apis/kubeadm/v1beta4/defaults.go). */
#define DEFAULT_CERT_DIR "/etc/kubernetes/pki"
#define DEFAULT_ETCD_DATA_DIR "/var/lib/etcd"
/* Room for the steps of init that have no timeout of their own: key generation (slow
 * under emulation), manifests, uploads, the addons. */
#define INIT_MARGIN (10 * USEC_PER_MINUTE)

int parse_go_duration(const char *s, usec_t *ret) {
	static const struct {
		const char *unit;
		double usec;
	} units[] = {
		/* Longest first, so that "ms" is not read as "m" then "s". */
		{ "ns", 1e-3 }, { "us", 1 }, { "\xc2\xb5s", 1 }, { "\xce\xbcs", 1 }, { "ms", 1e3 },
		{ "s", 1e6 }, { "m", 60e6 }, { "h", 3600e6 },
	};
	double total = 0;
	const char *p = s;

	if (isempty(s))
		return -EINVAL;
	if (*p == '-')
		return -ERANGE;
	if (*p == '+')
		p++;
	if (streq(p, "0")) {
		*ret = 0;
		return 0;
	}
	if (!*p)
		return -EINVAL;
	while (*p) {
		char *end;
		if (!(*p >= '0' && *p <= '9') && *p != '.')
			return -EINVAL;
		double v = strtod(p, &end);
		if (end == p)
			return -EINVAL;
		p = end;
		size_t best = 0;
		double scale = 0;
		for (size_t i = 0; i < ELEMENTSOF(units); i++) {
			size_t n = strlen(units[i].unit);
			if (n > best && strneq(p, units[i].unit, n)) {
				best = n;
				scale = units[i].usec;
			}
		}
		if (best == 0)
			return -EINVAL;   /* Go wants a unit on every number but a lone "0" */
		p += best;
		total += v * scale;
		if (total >= (double) UINT64_MAX / 2)
			return -ERANGE;
	}
	*ret = (usec_t) total;
	return 0;
}

static const yaml_node_t *mapping_get(yaml_document_t *doc, const yaml_node_t *map, const char *key) {
	if (!map || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *pair = map->data.mapping.pairs.start; pair < map->data.mapping.pairs.top; pair++) {
		const yaml_node_t *k = yaml_document_get_node(doc, pair->key);
		if (k && k->type == YAML_SCALAR_NODE && streq((const char *) k->data.scalar.value, key))
			return yaml_document_get_node(doc, pair->value);
	}
	return NULL;
}

/* The scalar at a dotted path below map ("nodeRegistration.name"); NULL when absent or
 * not a scalar. */
static const char *scalar_at(yaml_document_t *doc, const yaml_node_t *map, const char *path) {
	char key[64];
	const char *p = path;

	while (map && *p) {
		size_t n = strcspn(p, ".");
		if (n >= sizeof key)
			return NULL;
		memcpy(key, p, n);
		key[n] = '\0';
		map = mapping_get(doc, map, key);
		p += n + (p[n] == '.');
	}
	return map && map->type == YAML_SCALAR_NODE ? (const char *) map->data.scalar.value : NULL;
}

/* YAML 1.1 booleans, as kubeadm's YAML library reads them. */
static bool yaml_true(const char *s) {
	return s && (strcasecmp(s, "true") == 0 || strcasecmp(s, "yes") == 0 || strcasecmp(s, "on") == 0);
}

static int set_text(char **field, const char *value) {
	char *c = strdup(value);
	if (!c)
		return -ENOMEM;
	free(*field);
	*field = c;
	return 0;
}

static void set_timeout(yaml_document_t *doc, const yaml_node_t *root, const char *path, usec_t *field) {
	usec_t u;
	const char *v = scalar_at(doc, root, path);
	if (v && parse_go_duration(v, &u) >= 0)
		*field = u;
}

static int config_document(ClusterConfig *c, yaml_document_t *doc) {
	const yaml_node_t *root = yaml_document_get_root_node(doc);
	const char *api = scalar_at(doc, root, "apiVersion"), *kind = scalar_at(doc, root, "kind"), *v;
	int r;

	/* Other groups (kubelet, kube-proxy) say nothing the supervisor needs. */
	if (!api || !kind || !strneq(api, "kubeadm.k8s.io/", strlen("kubeadm.k8s.io/")))
		return 0;
	if (streq(kind, "JoinConfiguration")) {
		c->has_join = true;
		return 0;
	}
	if (streq(kind, "InitConfiguration")) {
		c->has_init = true;
		v = scalar_at(doc, root, "nodeRegistration.name");
		if (!isempty(v) && (r = set_text(&c->node_name, v)) < 0)
			return r;
		set_timeout(doc, root, "timeouts.controlPlaneComponentHealthCheck", &c->timeouts.control_plane_health);
		set_timeout(doc, root, "timeouts.kubeletHealthCheck", &c->timeouts.kubelet_health);
		set_timeout(doc, root, "timeouts.kubernetesAPICall", &c->timeouts.api_call);
		set_timeout(doc, root, "timeouts.etcdAPICall", &c->timeouts.etcd_api_call);
		return 0;
	}
	if (!streq(kind, "ClusterConfiguration"))
		return 0;
	v = scalar_at(doc, root, "certificatesDir");
	if (!isempty(v) && (r = set_text(&c->cert_dir, v)) < 0)
		return r;
	if (mapping_get(doc, mapping_get(doc, root, "etcd"), "external")) {
		c->etcd_data_dir = mfree_str(c->etcd_data_dir);
	} else {
		v = scalar_at(doc, root, "etcd.local.dataDir");
		if (!isempty(v) && (r = set_text(&c->etcd_data_dir, v)) < 0)
			return r;
	}
	c->dns_disabled = yaml_true(scalar_at(doc, root, "dns.disabled"));
	c->proxy_disabled = yaml_true(scalar_at(doc, root, "proxy.disabled"));
	return 0;
}

int cluster_config_default(ClusterConfig **ret) {
	ClusterConfig *c = calloc(1, sizeof *c);

	if (!c)
		return -ENOMEM;
	c->timeouts = (ClusterTimeouts) {
		.control_plane_health = 4 * USEC_PER_MINUTE,
		.kubelet_health = 4 * USEC_PER_MINUTE,
		.api_call = 1 * USEC_PER_MINUTE,
		.etcd_api_call = 2 * USEC_PER_MINUTE,
	};
	c->cert_dir = strdup(DEFAULT_CERT_DIR);
	c->etcd_data_dir = strdup(DEFAULT_ETCD_DATA_DIR);
	if (!c->cert_dir || !c->etcd_data_dir) {
		cluster_config_free(c);
		return -ENOMEM;
	}
	*ret = c;
	return 0;
}

int cluster_config_parse(const char *text, size_t size, ClusterConfig **ret) {
	_cleanup_(cluster_config_freep) ClusterConfig *c = NULL;
	yaml_parser_t parser;
	int r;

	if (!text || !ret)
		return -EINVAL;
	r = cluster_config_default(&c);
	if (r < 0)
		return r;
	if (!yaml_parser_initialize(&parser))
		return -ENOMEM;
	yaml_parser_set_input_string(&parser, (const unsigned char *) text, size);
	for (;;) {
		yaml_document_t doc;
		if (!yaml_parser_load(&parser, &doc)) {
			r = parser.error == YAML_MEMORY_ERROR ? -ENOMEM : -EBADMSG;
			break;
		}
		bool empty = !yaml_document_get_root_node(&doc);
		r = empty ? 0 : config_document(c, &doc);
		yaml_document_delete(&doc);
		if (empty || r < 0)
			break;
	}
	yaml_parser_delete(&parser);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(c);
	return 0;
}

int cluster_config_load(const char *path, ClusterConfig **ret) {
	_cleanup_free_ char *text = NULL;
	size_t size;
	int r = read_full_file(path, &text, &size);

	if (r < 0)
		return r;
	return cluster_config_parse(text, size, ret);
}

ClusterConfig *cluster_config_free(ClusterConfig *c) {
	if (!c)
		return NULL;
	free(c->node_name);
	free(c->cert_dir);
	free(c->etcd_data_dir);
	free(c);
	return NULL;
}

usec_t cluster_config_init_deadline(const ClusterConfig *c) {
	const ClusterTimeouts *t = &c->timeouts;
	usec_t d = INIT_MARGIN;

	/* kubelet, then the control plane; the API calls of upload-config, bootstrap-token,
	 * kubelet-finalize and the addons each wait at most api_call, etcd at most its own. */
	d = usec_add(d, t->kubelet_health);
	d = usec_add(d, t->control_plane_health);
	d = usec_add(d, t->etcd_api_call);
	for (unsigned i = 0; i < 4; i++)
		d = usec_add(d, t->api_call);
	return d;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The node's network, from the profile, for systemd-networkd: node.network for every
 * machine, matched by interface name; and for each nodes[] entry with addresses of its
 * own a file matched by its MAC address, sorted first so that it wins. Names are resolved
 * by systemd-resolved (what DHCP or the profile gives). Both services are enabled: a
 * kiln node forms its cluster on the address this gives it (kubeadm takes the address of
 * the default route). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build.h"
#include "log.h"
#include "parse-util.h"

/* [Network] lines every file shares: DNS servers, search domains, NTP servers. */
static void network_common(FILE *f, const ProfileNetwork *n) {
	char buf[IP_ADDRESS_STRING_MAX];

	for (size_t i = 0; i < n->n_dns; i++)
		fprintf(f, "DNS=%s\n", ip_address_to_string(&n->dns[i], buf));
	for (size_t i = 0; i < n->n_search; i++)
		fprintf(f, "Domains=%s\n", n->search[i]);
	for (size_t i = 0; i < n->n_ntp; i++)
		fprintf(f, "NTP=%s\n", n->ntp[i]);
}

static void network_static(FILE *f, const IpPrefix *addresses, size_t n_addresses, const IpAddress *gateway) {
	char prefix[IP_PREFIX_STRING_MAX], addr[IP_ADDRESS_STRING_MAX];

	for (size_t i = 0; i < n_addresses; i++)
		fprintf(f, "Address=%s\n", ip_prefix_to_string(&addresses[i], prefix));
	if (gateway->family != AF_UNSPEC)
		fprintf(f, "Gateway=%s\n", ip_address_to_string(gateway, addr));
}

static int write_network(Build *b, const char *rel, FILE *f, char **text, size_t *size) {
	if (fclose(f) != 0)
		return log_oom();
	int r = tree_add_file(b, rel, *text, *size, 0644);
	if (r < 0)
		return log_error_errno(r, "Cannot write %s: %m", rel);
	return 0;
}

int tree_network(Build *b) {
	const ProfileNetwork *n = &b->profile->node.network;
	int r;

	for (size_t i = 0; i < b->profile->n_nodes; i++) {
		const ProfileMachine *m = &b->profile->nodes[i];
		_cleanup_free_ char *text = NULL, *rel = NULL;
		char mac[MAC_ADDRESS_STRING_MAX];
		size_t size = 0;

		if (m->n_addresses == 0)
			continue;
		if (asprintf(&rel, "/etc/systemd/network/40-kiln-%s.network", mac_address_to_string(&m->mac, mac)) < 0)
			return log_oom();
		FILE *f = open_memstream(&text, &size);
		if (!f)
			return log_oom();
		fprintf(f, "# kiln: nodes[%zu] of the profile (%s), by its MAC address.\n[Match]\nMACAddress=%s\n\n[Network]\n",
			i, m->hostname ?: "no hostname", mac);
		network_static(f, m->addresses, m->n_addresses, &m->gateway);
		network_common(f, n);
		if ((r = write_network(b, rel, f, &text, &size)) < 0)
			return r;
	}

	_cleanup_free_ char *text = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&text, &size);
	if (!f)
		return log_oom();
	fprintf(f, "# kiln: node.network of the profile.\n[Match]\nName=%s\n\n[Network]\n", n->interface);
	if (n->mode == NETWORK_MODE_DHCP)
		fputs("DHCP=yes\n", f);
	else
		network_static(f, n->addresses, n->n_addresses, &n->gateway);
	network_common(f, n);
	if ((r = write_network(b, "/etc/systemd/network/50-kiln.network", f, &text, &size)) < 0)
		return r;

	static const char *const units[] = {
		"systemd-networkd.service", "systemd-networkd.socket", "systemd-resolved.service",
	};
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
		_cleanup_free_ char *path = NULL;
		if (asprintf(&path, "%s/usr/lib/systemd/system/%s", b->tree_dir, units[i]) < 0)
			return log_oom();
		r = tree_enable_unit(b, path, units[i]);
		if (r < 0)
			return log_error_errno(r, "Cannot enable %s: %m", units[i]);
	}
	return 0;
}

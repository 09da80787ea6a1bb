/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Addresses: IPv4, IPv6, prefixes and subnets, MAC addresses, endpoints and URLs. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "macro.h"
#include "parse-util-internal.h"
#include "parse-util.h"

int parse_ipv4_address(const char *s, struct in_addr *ret) {
	uint8_t octets[4];
	bool too_big = false;

	for (unsigned i = 0; i < 4; i++) {
		uint64_t v;
		size_t n = read_decimal(s, 6, &v);
		if (n == 0)
			return -EINVAL;
		if (v > 255)
			too_big = true;
		octets[i] = (uint8_t) v;
		s += n;
		if (*s != (i < 3 ? '.' : '\0'))
			return -EINVAL;
		s++;
	}
	if (too_big)
		return -ERANGE;

	memcpy(&ret->s_addr, octets, 4);
	return 0;
}

int parse_ipv6_address(const char *s, struct in6_addr *ret) {
	struct in6_addr a;

	/* inet_pton() ignores nothing after the address and knows no zone index, which is what
	 * we want; it does accept an embedded dotted quad (::ffff:1.2.3.4), which is valid. */
	if (!strchr(s, ':') || inet_pton(AF_INET6, s, &a) != 1)
		return -EINVAL;
	*ret = a;
	return 0;
}

int parse_ip_address(const char *s, IpAddress *ret) {
	IpAddress a = {};
	int r;

	if (strchr(s, ':')) {
		r = parse_ipv6_address(s, &a.in6);
		a.family = AF_INET6;
	} else {
		r = parse_ipv4_address(s, &a.in);
		a.family = AF_INET;
	}
	if (r < 0)
		return r;
	*ret = a;
	return 0;
}

int parse_ip_prefix(const char *s, IpPrefix *ret) {
	char buf[IP_ADDRESS_STRING_MAX];
	IpPrefix p = {};
	uint64_t len;
	int r;

	const char *slash = strchr(s, '/');
	if (!slash || (size_t) (slash - s) >= sizeof buf)
		return -EINVAL;
	memcpy(buf, s, slash - s);
	buf[slash - s] = '\0';

	r = parse_ip_address(buf, &p.address);
	if (r < 0)
		return r;

	size_t n = read_decimal(slash + 1, 3, &len);
	if (n == 0 || slash[1 + n] != '\0')
		return -EINVAL;
	if (len > (p.address.family == AF_INET ? 32u : 128u))
		return -ERANGE;
	p.prefixlen = (unsigned) len;

	*ret = p;
	return 0;
}

IpPrefix ip_prefix_network(const IpPrefix *p) {
	IpPrefix n = *p;
	unsigned bytes = p->address.family == AF_INET ? 4 : 16;

	for (unsigned i = 0; i < bytes; i++) {
		unsigned keep = p->prefixlen > i * 8 ? MIN(p->prefixlen - i * 8, 8u) : 0;
		n.address.bytes[i] &= (uint8_t) (0xff00u >> keep);
	}
	return n;
}

bool ip_prefix_has_host_bits(const IpPrefix *p) {
	IpPrefix n = ip_prefix_network(p);
	return memcmp(n.address.bytes, p->address.bytes, sizeof n.address.bytes) != 0;
}

int parse_cidr(const char *s, IpPrefix *ret) {
	IpPrefix p;
	int r;

	r = parse_ip_prefix(s, &p);
	if (r < 0)
		return r;
	if (ip_prefix_has_host_bits(&p))
		return -EINVAL;
	*ret = p;
	return 0;
}

bool ip_prefix_contains(const IpPrefix *p, const IpAddress *a) {
	if (p->address.family != a->family)
		return false;
	IpPrefix probe = { .address = *a, .prefixlen = p->prefixlen };
	IpPrefix x = ip_prefix_network(&probe), y = ip_prefix_network(p);
	return memcmp(x.address.bytes, y.address.bytes, sizeof x.address.bytes) == 0;
}

bool cidr_overlap(const IpPrefix *a, const IpPrefix *b) {
	return ip_prefix_contains(a, &b->address) || ip_prefix_contains(b, &a->address);
}

bool ip_address_equal(const IpAddress *a, const IpAddress *b) {
	return a->family == b->family && memcmp(a->bytes, b->bytes, sizeof a->bytes) == 0;
}

const char *ip_address_to_string(const IpAddress *a, char buf[static IP_ADDRESS_STRING_MAX]) {
	if (!inet_ntop(a->family, a->bytes, buf, IP_ADDRESS_STRING_MAX))
		strcpy(buf, "(unset)");
	return buf;
}

const char *ip_prefix_to_string(const IpPrefix *p, char buf[static IP_PREFIX_STRING_MAX]) {
	char a[IP_ADDRESS_STRING_MAX];
	snprintf(buf, IP_PREFIX_STRING_MAX, "%s/%u", ip_address_to_string(&p->address, a), p->prefixlen);
	return buf;
}

int parse_mac_address(const char *s, MacAddress *ret) {
	MacAddress m;

	for (unsigned i = 0; i < 6; i++) {
		int hi = hex_value(s[0]), lo = hi < 0 ? -1 : hex_value(s[1]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		m.bytes[i] = (uint8_t) (hi << 4 | lo);
		if (s[2] != (i < 5 ? ':' : '\0'))
			return -EINVAL;
		s += 3;
	}
	*ret = m;
	return 0;
}

bool mac_address_is_unicast(const MacAddress *m) {
	static const MacAddress zero = {};
	return !(m->bytes[0] & 1) && memcmp(m, &zero, sizeof zero) != 0;
}

const char *mac_address_to_string(const MacAddress *m, char buf[static MAC_ADDRESS_STRING_MAX]) {
	snprintf(buf, MAC_ADDRESS_STRING_MAX, "%02x:%02x:%02x:%02x:%02x:%02x",
		 m->bytes[0], m->bytes[1], m->bytes[2], m->bytes[3], m->bytes[4], m->bytes[5]);
	return buf;
}

int parse_endpoint(const char *s, char **ret_host, uint16_t *ret_port) {
	char host[256];
	const char *port_start = NULL;
	size_t host_len;
	uint64_t port = 0;

	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (!close)
			return -EINVAL;
		host_len = close - s - 1;
		if (host_len >= sizeof host)
			return -EINVAL;
		memcpy(host, s + 1, host_len);
		host[host_len] = '\0';
		struct in6_addr a;
		if (parse_ipv6_address(host, &a) < 0)
			return -EINVAL;
		if (close[1] == ':')
			port_start = close + 2;
		else if (close[1] != '\0')
			return -EINVAL;
	} else {
		const char *colon = strchr(s, ':');
		host_len = colon ? (size_t) (colon - s) : strlen(s);
		if (host_len >= sizeof host)
			return -EINVAL;
		memcpy(host, s, host_len);
		host[host_len] = '\0';
		/* Something made of digits and dots is meant as an IPv4 address: "1.2.3.999"
		 * must not pass as a host name. */
		struct in_addr a;
		if (host_len > 0 && strspn(host, "0123456789.") == host_len) {
			if (parse_ipv4_address(host, &a) < 0)
				return -EINVAL;
		} else if (!hostname_is_valid(host))
			return -EINVAL;
		if (colon)
			port_start = colon + 1;
	}

	if (port_start) {
		size_t n = read_decimal(port_start, 5, &port);
		if (n == 0 || port_start[n] != '\0')
			return -EINVAL;
		if (port == 0 || port > 65535)
			return -ERANGE;
	}

	if (ret_host) {
		char *h = strdup(host);
		if (!h)
			return -ENOMEM;
		*ret_host = h;
	}
	if (ret_port)
		*ret_port = (uint16_t) port;
	return 0;
}

bool url_is_valid(const char *s, bool https_only) {
	const char *rest;

	if (strneq(s, "https://", STRLEN("https://")))
		rest = s + STRLEN("https://");
	else if (!https_only && strneq(s, "http://", STRLEN("http://")))
		rest = s + STRLEN("http://");
	else
		return false;

	size_t host_len = strcspn(rest, "/?#");
	if (host_len == 0)
		return false;
	for (const char *p = s; *p; p++)
		if ((unsigned char) *p <= ' ' || *p == 0x7f || *p == '"' || *p == '\\')
			return false;

	/* The authority is host[:port] or [v6][:port]; no user info (no credentials in profiles). */
	char authority[256];
	if (host_len >= sizeof authority || memchr(rest, '@', host_len))
		return false;
	memcpy(authority, rest, host_len);
	authority[host_len] = '\0';
	return parse_endpoint(authority, NULL, NULL) == 0;
}


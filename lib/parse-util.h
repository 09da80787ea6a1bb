/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Parsers for the values a profile holds: numbers in parse-util.c, addresses in
 * parse-net.c, names in parse-name.c. Each takes a NUL-terminated string, returns 0 on
 * success and fills its ret_* argument, or returns -EINVAL (malformed) / -ERANGE (well
 * formed but outside the accepted range) and leaves ret_* untouched. The predicates
 * (*_is_valid) are for values that stay strings. None of them log, and only
 * parse_endpoint() allocates (its ret_host). */

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

/* Kubernetes minors this release of kiln knows how to install: kubeadm's configuration
 * API v1beta4 (1.31 first wrote it; 1.37 still reads it), checked against the real 1.37
 * kubeadm. A newer minor may move to another API: it is refused until kiln is tested
 * with it. */
#define KUBERNETES_MINOR_MIN 31
#define KUBERNETES_MINOR_MAX 37

typedef struct IpAddress {
	int family;                     /* AF_INET, AF_INET6, or AF_UNSPEC when unset */
	union {
		struct in_addr in;
		struct in6_addr in6;
		uint8_t bytes[16];
	};
} IpAddress;

typedef struct IpPrefix {
	IpAddress address;
	unsigned prefixlen;
} IpPrefix;

typedef struct MacAddress {
	uint8_t bytes[6];
} MacAddress;

typedef struct KubernetesVersion {
	unsigned major, minor, patch;
} KubernetesVersion;

/* Longest text the formatters below write, including the NUL. */
#define IP_ADDRESS_STRING_MAX 46        /* INET6_ADDRSTRLEN */
#define IP_PREFIX_STRING_MAX (IP_ADDRESS_STRING_MAX + 4)
#define MAC_ADDRESS_STRING_MAX 18

/* Dotted quad, exactly four decimal octets without leading zeros (which some tools read
 * as octal). An octet above 255 gives -ERANGE. */
int parse_ipv4_address(const char *s, struct in_addr *ret);
/* RFC 4291 text form; zone indexes ("%eth0") are rejected. */
int parse_ipv6_address(const char *s, struct in6_addr *ret);
int parse_ip_address(const char *s, IpAddress *ret);
/* "address/prefixlen" as written on an interface: host bits may be set (192.168.1.10/24).
 * A prefix length beyond 32 or 128 gives -ERANGE. */
int parse_ip_prefix(const char *s, IpPrefix *ret);
/* A subnet: like parse_ip_prefix(), but host bits must be clear (10.244.0.0/16). */
int parse_cidr(const char *s, IpPrefix *ret);

bool ip_prefix_has_host_bits(const IpPrefix *p);
/* The network address of p (host bits cleared). */
IpPrefix ip_prefix_network(const IpPrefix *p);
bool ip_prefix_contains(const IpPrefix *p, const IpAddress *a);
/* Two subnets overlap when one contains the other's network address. */
bool cidr_overlap(const IpPrefix *a, const IpPrefix *b);
bool ip_address_equal(const IpAddress *a, const IpAddress *b);
const char *ip_address_to_string(const IpAddress *a, char buf[static IP_ADDRESS_STRING_MAX]);
const char *ip_prefix_to_string(const IpPrefix *p, char buf[static IP_PREFIX_STRING_MAX]);

/* Six colon-separated pairs of hex digits, either case: 52:54:00:12:34:56. */
int parse_mac_address(const char *s, MacAddress *ret);
bool mac_address_is_unicast(const MacAddress *m);
const char *mac_address_to_string(const MacAddress *m, char buf[static MAC_ADDRESS_STRING_MAX]);

/* RFC 1123 label as Kubernetes wants node and object names: lowercase letters, digits and
 * '-', 1 to 63 characters, starting and ending with a letter or digit. */
bool hostname_label_is_valid(const char *s);
/* RFC 1123 host name: dot-separated labels, at most 253 characters, no trailing dot. */
bool hostname_is_valid(const char *s);
/* Debian policy 5.6.1: [a-z0-9][a-z0-9+.-]+ */
bool debian_package_name_is_valid(const char *s);

/* Bytes: decimal integer with an optional binary suffix K M G T or KiB MiB GiB TiB (both
 * spellings are powers of 1024, as in sfdisk and systemd). No fractions, no sign. */
int parse_size(const char *s, uint64_t *ret);
/* Bytes in the largest binary unit that divides them exactly: "8GiB", "5377MiB", "12345". */
#define FORMAT_SIZE_MAX 32
const char *format_size(uint64_t bytes, char buf[static FORMAT_SIZE_MAX]);
/* Seconds in the same spirit: "15d", "90m", "45s". */
const char *format_duration(uint64_t sec, char buf[static FORMAT_SIZE_MAX]);

/* One or more <integer><unit> with units s m h d w, e.g. "15d", "1h30m"; in seconds.
 * A bare number is rejected: it would be ambiguous. */
int parse_duration(const char *s, uint64_t *ret_sec);
/* Decimal integer (YAML 1.2 core without 0x/0o forms), optional sign, no leading zeros. */
int parse_int64_bounded(const char *s, int64_t min, int64_t max, int64_t *ret);
/* YAML 1.2 core schema: true|True|TRUE|false|False|FALSE. YAML 1.1's yes/no/on/off are
 * rejected because YAML 1.1 tools would read them as booleans and YAML 1.2 tools as
 * strings. */
int parse_boolean(const char *s, bool *ret);
/* True for the YAML 1.1 words (yes, no, on, off, y, n) that parse_boolean() refuses. */
bool boolean_is_yaml11(const char *s);

/* "v1.31.4": major 1, a minor between KUBERNETES_MINOR_MIN and KUBERNETES_MINOR_MAX
 * (else -ERANGE), a patch level; no pre-release suffix. */
int parse_kubernetes_version(const char *s, KubernetesVersion *ret);

/* A fully qualified, pinned container image reference:
 *   registry[:port]/path[/path...][:tag][@sha256:<64 hex>]
 * with at least a tag or a digest. The first component must name a registry (contain '.'
 * or ':' or be "localhost") because containerd does not expand short names. */
bool image_reference_is_valid(const char *s);

/* "host[:port]" where host is a host name, an IPv4 address or a bracketed IPv6 address.
 * ret_host (allocated, brackets removed) and ret_port (0 when absent) may be NULL. */
int parse_endpoint(const char *s, char **ret_host, uint16_t *ret_port);

/* "http://" or "https://" (only https when https_only) followed by a host and an
 * optional path; no spaces or control characters. */
bool url_is_valid(const char *s, bool https_only);
/* Exactly len lowercase hex digits (64 for SHA-256, 128 for SHA-512). */
bool hex_digest_is_valid(const char *s, size_t len);
/* "<type> <base64> [comment]" with a key type OpenSSH accepts in authorized_keys. */
bool ssh_public_key_is_valid(const char *s);

/* Smaller syntaxes a profile uses, each a predicate on the whole string. */
/* A locale name: C.UTF-8, en_US.UTF-8, de_DE@euro. */
bool locale_is_valid(const char *s);
/* A tz database name: UTC, Europe/Berlin, America/Argentina/Buenos_Aires. */
bool timezone_is_valid(const char *s);
/* A kernel module name: letters, digits, '_' and '-'. */
bool kernel_module_name_is_valid(const char *s);
/* One kernel command line argument: printable, no spaces or quotes. */
bool kernel_argument_is_valid(const char *s);
/* An interface name or a glob matching some (en*, eth0, enp?s0), at most 15 characters. */
bool interface_pattern_is_valid(const char *s);
/* A relative path without "." or ".." components or empty components. */
bool relative_path_is_valid(const char *s);
/* A release version as upstreams write it: 1.16.5, v2.13.2, 0.40.0-rc1 (no spaces, '/'). */
bool release_version_is_valid(const char *s);

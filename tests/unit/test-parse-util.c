/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "diag.h"
#include "parse-util.h"
#include "strv.h"
#include "tap.h"

static void test_ipv4(void) {
	struct in_addr a = { .s_addr = 0x01020304 };
	char buf[IP_ADDRESS_STRING_MAX];

	is_int(parse_ipv4_address("192.168.1.10", &a), 0, "ipv4: 192.168.1.10");
	is_str(inet_ntop(AF_INET, &a, buf, sizeof buf), "192.168.1.10", "ipv4: value");
	is_int(parse_ipv4_address("0.0.0.0", &a), 0, "ipv4: 0.0.0.0");
	is_int(parse_ipv4_address("255.255.255.255", &a), 0, "ipv4: 255.255.255.255 (upper bound)");
	a.s_addr = 0x01020304;
	is_int(parse_ipv4_address("192.168.1.256", &a), -ERANGE, "ipv4: octet 256 is out of range");
	is_int(parse_ipv4_address("300.1.1.1", &a), -ERANGE, "ipv4: octet 300 is out of range");
	ok(a.s_addr == 0x01020304, "ipv4: ret untouched on failure");
	is_int(parse_ipv4_address("1.2.3", &a), -EINVAL, "ipv4: three octets");
	is_int(parse_ipv4_address("1.2.3.4.5", &a), -EINVAL, "ipv4: five octets");
	is_int(parse_ipv4_address("01.2.3.4", &a), -EINVAL, "ipv4: leading zero (octal in some tools)");
	is_int(parse_ipv4_address("1.2.3.4 ", &a), -EINVAL, "ipv4: trailing space");
	is_int(parse_ipv4_address("-1.2.3.4", &a), -EINVAL, "ipv4: sign");
	is_int(parse_ipv4_address("", &a), -EINVAL, "ipv4: empty");
	is_int(parse_ipv4_address("1..2.3", &a), -EINVAL, "ipv4: empty octet");
}

static void test_ipv6_and_any(void) {
	struct in6_addr a6;
	IpAddress a = {};
	char buf[IP_ADDRESS_STRING_MAX];

	is_int(parse_ipv6_address("fd00::1", &a6), 0, "ipv6: fd00::1");
	is_int(parse_ipv6_address("::", &a6), 0, "ipv6: ::");
	is_int(parse_ipv6_address("::ffff:192.168.1.1", &a6), 0, "ipv6: embedded IPv4");
	is_int(parse_ipv6_address("fe80::1%eth0", &a6), -EINVAL, "ipv6: zone index refused");
	is_int(parse_ipv6_address("1:2:3:4:5:6:7:8:9", &a6), -EINVAL, "ipv6: nine groups");
	is_int(parse_ipv6_address("192.168.1.1", &a6), -EINVAL, "ipv6: IPv4 text is not IPv6");
	is_int(parse_ip_address("2001:db8::10", &a), 0, "ip: IPv6");
	is_int(a.family, AF_INET6, "ip: family AF_INET6");
	is_str(ip_address_to_string(&a, buf), "2001:db8::10", "ip: formats back");
	is_int(parse_ip_address("10.0.0.1", &a), 0, "ip: IPv4");
	is_int(a.family, AF_INET, "ip: family AF_INET");
	is_int(parse_ip_address("10.0.0.999", &a), -ERANGE, "ip: range error passes through");
	is_int(parse_ip_address("host", &a), -EINVAL, "ip: a name is not an address");
}

static void test_prefix_and_cidr(void) {
	IpPrefix p, q;
	char buf[IP_PREFIX_STRING_MAX];

	is_int(parse_ip_prefix("192.168.1.10/24", &p), 0, "prefix: interface address with host bits");
	is_int(p.prefixlen, 24, "prefix: length 24");
	ok(ip_prefix_has_host_bits(&p), "prefix: host bits detected");
	q = ip_prefix_network(&p);
	is_str(ip_prefix_to_string(&q, buf), "192.168.1.0/24", "prefix: network of 192.168.1.10/24");
	is_int(parse_ip_prefix("10.0.0.0/32", &p), 0, "prefix: /32 (upper bound)");
	is_int(parse_ip_prefix("10.0.0.0/33", &p), -ERANGE, "prefix: /33 out of range");
	is_int(parse_ip_prefix("10.0.0.0/0", &p), 0, "prefix: /0 (lower bound)");
	is_int(parse_ip_prefix("10.0.0.0/", &p), -EINVAL, "prefix: missing length");
	is_int(parse_ip_prefix("10.0.0.0", &p), -EINVAL, "prefix: no slash");
	is_int(parse_ip_prefix("10.0.0.0/08", &p), -EINVAL, "prefix: leading zero in length");
	is_int(parse_ip_prefix("fd00::/128", &p), 0, "prefix: IPv6 /128");
	is_int(parse_ip_prefix("fd00::/129", &p), -ERANGE, "prefix: IPv6 /129 out of range");

	is_int(parse_cidr("10.244.0.0/16", &p), 0, "cidr: 10.244.0.0/16");
	is_int(parse_cidr("10.244.0.1/16", &q), -EINVAL, "cidr: host bits set refused");
	is_int(parse_cidr("10.244.1.0/23", &q), -EINVAL, "cidr: /23 with bit 8 set refused");
	is_int(parse_cidr("10.244.2.0/23", &q), 0, "cidr: /23 aligned");
	is_int(parse_cidr("fd00:10:244::/56", &q), 0, "cidr: IPv6");
	is_int(parse_cidr("fd00:10:244::1/56", &q), -EINVAL, "cidr: IPv6 host bits refused");
	is_int(parse_cidr("0.0.0.0/0", &q), 0, "cidr: everything");

	IpPrefix pod, svc, other, v6;
	(void) parse_cidr("10.244.0.0/16", &pod);
	(void) parse_cidr("10.96.0.0/12", &svc);
	(void) parse_cidr("10.0.0.0/8", &other);
	(void) parse_cidr("fd00::/8", &v6);
	ok(!cidr_overlap(&pod, &svc), "overlap: 10.244/16 and 10.96/12 are apart");
	ok(cidr_overlap(&pod, &other) && cidr_overlap(&other, &pod), "overlap: containment both ways");
	ok(cidr_overlap(&pod, &pod), "overlap: a subnet overlaps itself");
	ok(!cidr_overlap(&pod, &v6), "overlap: different families never overlap");
	(void) parse_cidr("10.111.0.0/16", &other);
	ok(cidr_overlap(&svc, &other), "overlap: 10.111/16 is inside 10.96/12 (10.96-10.111)");
	(void) parse_cidr("10.112.0.0/16", &other);
	ok(!cidr_overlap(&svc, &other), "overlap: 10.112/16 is just past 10.96/12");

	IpAddress a;
	(void) parse_ip_address("192.168.1.1", &a);
	(void) parse_ip_prefix("192.168.1.10/24", &p);
	ok(ip_prefix_contains(&p, &a), "contains: gateway in the node's subnet");
	(void) parse_ip_address("192.168.2.1", &a);
	ok(!ip_prefix_contains(&p, &a), "contains: other subnet");
}

static void test_mac(void) {
	MacAddress m = {};
	char buf[MAC_ADDRESS_STRING_MAX];

	is_int(parse_mac_address("52:54:00:AB:cd:10", &m), 0, "mac: mixed case");
	is_str(mac_address_to_string(&m, buf), "52:54:00:ab:cd:10", "mac: formats lowercase");
	ok(mac_address_is_unicast(&m), "mac: locally administered unicast");
	is_int(parse_mac_address("52:54:00:ab:cd", &m), -EINVAL, "mac: five pairs");
	is_int(parse_mac_address("52:54:00:ab:cd:10:00", &m), -EINVAL, "mac: seven pairs");
	is_int(parse_mac_address("52-54-00-ab-cd-10", &m), -EINVAL, "mac: dashes refused");
	is_int(parse_mac_address("52:54:00:ab:cd:1", &m), -EINVAL, "mac: short pair");
	is_int(parse_mac_address("52:54:00:ab:cd:1g", &m), -EINVAL, "mac: not hex");
	(void) parse_mac_address("01:00:5e:00:00:01", &m);
	ok(!mac_address_is_unicast(&m), "mac: multicast is not unicast");
	(void) parse_mac_address("00:00:00:00:00:00", &m);
	ok(!mac_address_is_unicast(&m), "mac: zero is not unicast");
}

static void test_names(void) {
	char label63[64], label64[65], long_name[300];

	memset(label63, 'a', 63), label63[63] = '\0';
	memset(label64, 'a', 64), label64[64] = '\0';
	ok(hostname_label_is_valid("cp1"), "label: cp1");
	ok(hostname_label_is_valid("a"), "label: one character");
	ok(hostname_label_is_valid(label63), "label: 63 characters");
	ok(!hostname_label_is_valid(label64), "label: 64 characters refused");
	ok(!hostname_label_is_valid("-cp"), "label: leading dash");
	ok(!hostname_label_is_valid("cp-"), "label: trailing dash");
	ok(!hostname_label_is_valid("Cp1"), "label: upper case refused (Kubernetes node names)");
	ok(!hostname_label_is_valid("cp_1"), "label: underscore refused");
	ok(!hostname_label_is_valid("a.b"), "label: dot refused");
	ok(!hostname_label_is_valid(""), "label: empty refused");
	ok(hostname_is_valid("cluster.local"), "hostname: cluster.local");
	ok(hostname_is_valid("cp1"), "hostname: single label");
	ok(!hostname_is_valid("cluster.local."), "hostname: trailing dot refused");
	ok(!hostname_is_valid("a..b"), "hostname: empty label refused");
	memset(long_name, 0, sizeof long_name);
	for (int i = 0; i < 4; i++)
		strcat(long_name, label63), strcat(long_name, ".");
	long_name[253] = '\0';    /* 4 x 63 + 3 dots = 255 -> cut to 253 */
	long_name[252] = 'a';
	ok(hostname_is_valid(long_name), "hostname: 253 characters");
	strcat(long_name, "b");
	ok(!hostname_is_valid(long_name), "hostname: 254 characters refused");

	ok(debian_package_name_is_valid("linux-image-amd64"), "package: linux-image-amd64");
	ok(debian_package_name_is_valid("libstdc++6"), "package: plus signs");
	ok(debian_package_name_is_valid("g++"), "package: g++");
	ok(!debian_package_name_is_valid("a"), "package: one character refused");
	ok(!debian_package_name_is_valid("Curl"), "package: upper case refused");
	ok(!debian_package_name_is_valid("-curl"), "package: leading dash refused");
	ok(!debian_package_name_is_valid("cu rl"), "package: space refused");
	ok(!debian_package_name_is_valid("curl_x"), "package: underscore refused");
}

static void test_size(void) {
	uint64_t v = 42;
	char buf[FORMAT_SIZE_MAX];

	is_int(parse_size("0", &v), 0, "size: 0");
	is_int(v, 0, "size: 0 bytes");
	is_int(parse_size("512MiB", &v), 0, "size: 512MiB");
	is_int(v, UINT64_C(512) << 20, "size: 512MiB value");
	is_int(parse_size("8G", &v), 0, "size: 8G");
	is_int(v, UINT64_C(8) << 30, "size: G is GiB");
	is_int(parse_size("1K", &v), 0, "size: 1K");
	is_int(v, 1024, "size: K is KiB");
	is_int(parse_size("2TiB", &v), 0, "size: 2TiB");
	is_int(v, UINT64_C(2) << 40, "size: TiB value");
	is_int(parse_size("4096", &v), 0, "size: plain bytes");
	is_int(v, 4096, "size: bytes value");
	is_int(parse_size("1.5G", &v), -EINVAL, "size: fractions refused");
	is_int(parse_size("8GB", &v), -EINVAL, "size: GB refused (ambiguous)");
	is_int(parse_size("8gib", &v), -EINVAL, "size: suffixes are case sensitive");
	is_int(parse_size("8 GiB", &v), -EINVAL, "size: space refused");
	is_int(parse_size("-1", &v), -EINVAL, "size: negative refused");
	is_int(parse_size("GiB", &v), -EINVAL, "size: no number");
	is_int(parse_size("16777215TiB", &v), 0, "size: 2^64 - 2^40 fits");
	is_int(parse_size("16777216TiB", &v), -ERANGE, "size: 2^64 overflows");
	is_int(parse_size("99999999999999999999999", &v), -ERANGE, "size: huge number overflows");
	is_str(format_size(UINT64_C(8) << 30, buf), "8GiB", "format_size: 8GiB");
	is_str(format_size((UINT64_C(5377) << 20), buf), "5377MiB", "format_size: 5377MiB");
	is_str(format_size(1000, buf), "1000", "format_size: bytes");
}

static void test_duration(void) {
	uint64_t v = 7;
	char buf[FORMAT_SIZE_MAX];

	is_int(parse_duration("30s", &v), 0, "duration: 30s");
	is_int(v, 30, "duration: 30 seconds");
	is_int(parse_duration("1m", &v), 0, "duration: 1m");
	is_int(v, 60, "duration: m is minutes");
	is_int(parse_duration("48h", &v), 0, "duration: 48h");
	is_int(v, 48 * 3600, "duration: 48 hours");
	is_int(parse_duration("15d", &v), 0, "duration: 15d");
	is_int(v, 15 * 86400, "duration: 15 days");
	is_int(parse_duration("1h30m", &v), 0, "duration: compound");
	is_int(v, 5400, "duration: 1h30m = 5400 s");
	is_int(parse_duration("2w", &v), 0, "duration: weeks");
	is_int(parse_duration("0s", &v), 0, "duration: zero");
	is_int(parse_duration("30", &v), -EINVAL, "duration: bare number refused");
	is_int(parse_duration("", &v), -EINVAL, "duration: empty refused");
	is_int(parse_duration("1y", &v), -EINVAL, "duration: years refused (not fixed length)");
	is_int(parse_duration("1.5h", &v), -EINVAL, "duration: fraction refused");
	is_int(parse_duration("h", &v), -EINVAL, "duration: unit without number");
	is_int(parse_duration("99999999999999999999w", &v), -ERANGE, "duration: overflow");
	is_str(format_duration(15 * 86400, buf), "15d", "format_duration: 15d");
	is_str(format_duration(90 * 60, buf), "90m", "format_duration: 90m");
}

static void test_int_bool(void) {
	int64_t v = 5;
	bool b = false;

	is_int(parse_int64_bounded("6443", 1, 65535, &v), 0, "int: 6443");
	is_int(v, 6443, "int: value");
	is_int(parse_int64_bounded("1", 1, 65535, &v), 0, "int: lower bound");
	is_int(parse_int64_bounded("65535", 1, 65535, &v), 0, "int: upper bound");
	is_int(parse_int64_bounded("0", 1, 65535, &v), -ERANGE, "int: below lower bound");
	is_int(parse_int64_bounded("65536", 1, 65535, &v), -ERANGE, "int: above upper bound");
	is_int(v, 65535, "int: ret untouched on failure");
	is_int(parse_int64_bounded("-5", -10, 10, &v), 0, "int: negative");
	is_int(v, -5, "int: negative value");
	is_int(parse_int64_bounded("+5", -10, 10, &v), 0, "int: explicit plus");
	is_int(parse_int64_bounded("0x10", 0, 100, &v), -EINVAL, "int: hex refused");
	is_int(parse_int64_bounded("010", 0, 100, &v), -EINVAL, "int: leading zero refused");
	is_int(parse_int64_bounded("1e3", 0, 10000, &v), -EINVAL, "int: exponent refused");
	is_int(parse_int64_bounded("", 0, 1, &v), -EINVAL, "int: empty refused");
	is_int(parse_int64_bounded("9223372036854775807", INT64_MIN, INT64_MAX, &v), 0, "int: INT64_MAX");
	is_int(parse_int64_bounded("9223372036854775808", INT64_MIN, INT64_MAX, &v), -ERANGE, "int: INT64_MAX + 1");
	is_int(parse_int64_bounded("-9223372036854775808", INT64_MIN, INT64_MAX, &v), 0, "int: INT64_MIN");
	is_int(v, INT64_MIN, "int: INT64_MIN value");
	is_int(parse_int64_bounded("-9223372036854775809", INT64_MIN, INT64_MAX, &v), -ERANGE, "int: INT64_MIN - 1");

	is_int(parse_boolean("true", &b), 0, "bool: true");
	ok(b, "bool: true value");
	is_int(parse_boolean("FALSE", &b), 0, "bool: FALSE");
	ok(!b, "bool: false value");
	is_int(parse_boolean("True", &b), 0, "bool: True");
	is_int(parse_boolean("yes", &b), -EINVAL, "bool: yes refused (YAML 1.1)");
	is_int(parse_boolean("on", &b), -EINVAL, "bool: on refused (YAML 1.1)");
	is_int(parse_boolean("1", &b), -EINVAL, "bool: 1 refused");
	is_int(parse_boolean("tRUE", &b), -EINVAL, "bool: odd case refused");
	ok(boolean_is_yaml11("Yes") && boolean_is_yaml11("off") && !boolean_is_yaml11("true"), "bool: YAML 1.1 words");
}

static void test_version(void) {
	KubernetesVersion v = {};

	is_int(parse_kubernetes_version("v1.31.4", &v), 0, "version: v1.31.4");
	ok(v.major == 1 && v.minor == 31 && v.patch == 4, "version: fields");
	is_int(parse_kubernetes_version("v1.31.0", &v), 0, "version: lowest supported minor");
	is_int(parse_kubernetes_version("v1.37.12", &v), 0, "version: highest supported minor");
	is_int(parse_kubernetes_version("v1.30.9", &v), -ERANGE, "version: 1.30 below range");
	is_int(parse_kubernetes_version("v1.38.0", &v), -ERANGE, "version: 1.38 above range");
	is_int(parse_kubernetes_version("v2.31.0", &v), -ERANGE, "version: major 2");
	is_int(v.minor, 37, "version: ret untouched on failure");
	is_int(parse_kubernetes_version("1.31.4", &v), -EINVAL, "version: missing v");
	is_int(parse_kubernetes_version("v1.31", &v), -EINVAL, "version: no patch");
	is_int(parse_kubernetes_version("v1.31.4-rc.0", &v), -EINVAL, "version: pre-release refused");
	is_int(parse_kubernetes_version("v1.031.4", &v), -EINVAL, "version: leading zero");
}

static void test_image(void) {
	static const char *const good[] = {
		"registry.k8s.io/pause:3.10",
		"quay.io/cilium/cilium:v1.16.5",
		"docker.io/library/nginx:1.27",
		"localhost/app:dev",
		"localhost:5000/app:1",
		"registry.example.com:5000/team/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		"quay.io/a/b:v1@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		"ghcr.io/my_org/my__app-x.y:latest",
	};
	static const char *const bad[] = {
		"pause:3.10",                        /* no registry */
		"nginx",                             /* short name, unpinned */
		"docker.io/library/nginx",           /* unpinned */
		"registry.k8s.io/Pause:3.10",        /* upper case in the path */
		"registry.k8s.io/pause:",            /* empty tag */
		"registry.k8s.io/pause:-x",          /* tag starts with '-' */
		"registry.k8s.io//pause:1",          /* empty component */
		"registry.k8s.io/pause:1@sha256:abc",/* short digest */
		"registry.k8s.io/pause@md5:0123456789abcdef0123456789abcdef",
		"registry.k8s.io:99999/pause:1",     /* port out of range */
		"registry.k8s.io/pau..se:1",         /* double separator */
		"registry.k8s.io/pause:3.10 ",       /* trailing space */
		"",
	};

	for (size_t i = 0; i < ELEMENTSOF(good); i++)
		ok(image_reference_is_valid(good[i]), "image: %s", good[i]);
	for (size_t i = 0; i < ELEMENTSOF(bad); i++)
		ok(!image_reference_is_valid(bad[i]), "image: refused '%s'", bad[i]);
}

static void test_endpoint_url(void) {
	char *host = NULL;
	uint16_t port = 1;

	is_int(parse_endpoint("192.168.1.10:6443", &host, &port), 0, "endpoint: address and port");
	is_str(host, "192.168.1.10", "endpoint: host");
	is_int(port, 6443, "endpoint: port");
	free(host), host = NULL;
	is_int(parse_endpoint("cp.example.lan", &host, &port), 0, "endpoint: name without port");
	is_int(port, 0, "endpoint: port 0 when absent");
	free(host), host = NULL;
	is_int(parse_endpoint("[fd00::10]:6443", &host, &port), 0, "endpoint: bracketed IPv6");
	is_str(host, "fd00::10", "endpoint: brackets removed");
	free(host), host = NULL;
	is_int(parse_endpoint("cp1:65535", NULL, NULL), 0, "endpoint: port 65535");
	is_int(parse_endpoint("cp1:65536", NULL, NULL), -ERANGE, "endpoint: port 65536");
	is_int(parse_endpoint("cp1:0", NULL, NULL), -ERANGE, "endpoint: port 0");
	is_int(parse_endpoint("cp1:", NULL, NULL), -EINVAL, "endpoint: empty port");
	is_int(parse_endpoint("1.2.3.999:6443", NULL, NULL), -EINVAL, "endpoint: bad address is not a name");
	is_int(parse_endpoint("fd00::10", NULL, NULL), -EINVAL, "endpoint: IPv6 needs brackets");
	is_int(parse_endpoint("", NULL, NULL), -EINVAL, "endpoint: empty");
	is_int(parse_endpoint(":6443", NULL, NULL), -EINVAL, "endpoint: no host");

	ok(url_is_valid("https://deb.example.org/debian", false), "url: https");
	ok(url_is_valid("http://10.0.0.1:8080/x", false), "url: http with port");
	ok(!url_is_valid("http://10.0.0.1/x", true), "url: http refused when https only");
	ok(!url_is_valid("ftp://x/y", false), "url: ftp refused");
	ok(!url_is_valid("https://user:pw@host/x", false), "url: credentials refused");
	ok(!url_is_valid("https:///x", false), "url: no host");
	ok(!url_is_valid("https://host/a b", false), "url: space refused");

	ok(hex_digest_is_valid("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", 64), "sha256: 64 hex");
	ok(!hex_digest_is_valid("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde", 64), "sha256: 63 hex");
	ok(!hex_digest_is_valid("0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef", 64), "sha256: upper case");
	ok(ssh_public_key_is_valid("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXo0MTIz me@host"),
	   "ssh: ed25519 key with comment");
	ok(!ssh_public_key_is_valid("ssh-dss AAAAB3NzaC1kc3MAAACBAP"), "ssh: dss refused");
	ok(!ssh_public_key_is_valid("ssh-ed25519"), "ssh: no key");
}

static void test_small_syntaxes(void) {
	ok(locale_is_valid("C.UTF-8") && locale_is_valid("de_DE@euro"), "locale: good");
	ok(!locale_is_valid("../x") && !locale_is_valid(""), "locale: bad");
	ok(timezone_is_valid("UTC") && timezone_is_valid("America/Argentina/Buenos_Aires"), "timezone: good");
	ok(!timezone_is_valid("../etc/passwd") && !timezone_is_valid("/UTC") && !timezone_is_valid("Europe/"),
	   "timezone: bad");
	ok(kernel_module_name_is_valid("br_netfilter") && !kernel_module_name_is_valid("a b"), "module names");
	ok(kernel_argument_is_valid("console=ttyS0,115200") && !kernel_argument_is_valid("a b") &&
	   !kernel_argument_is_valid("x=\"y\""), "kernel arguments");
	ok(interface_pattern_is_valid("en*") && !interface_pattern_is_valid("abcdefghijklmnop"), "interface patterns");
	ok(relative_path_is_valid("addons/cilium.yaml") && !relative_path_is_valid("/etc/x") &&
	   !relative_path_is_valid("a/../b") && !relative_path_is_valid("a//b"), "relative paths");
	ok(release_version_is_valid("1.16.5") && release_version_is_valid("v2.13.2") &&
	   !release_version_is_valid("1 2") && !release_version_is_valid("-1"), "release versions");
}

static void test_strv_diag(void) {
	_cleanup_strv_free_ char **l = NULL;
	_cleanup_(diag_list_done) DiagList d = {};
	char *s = NULL;

	ok(strv_extend(&l, "a") == 0 && strv_extend(&l, "b") == 0, "strv: extend");
	is_int(strv_length(l), 2, "strv: length");
	ok(strv_contains(l, "b") && !strv_contains(l, "c"), "strv: contains");
	is_int(strv_length(NULL), 0, "strv: NULL is empty");

	(void) diag_add(&d, "f.yaml", 3, 1, "x", "third");
	(void) diag_add(&d, "f.yaml", 1, 5, NULL, "first");
	(void) diag_add(&d, "f.yaml", 3, 1, "x", "third");
	(void) diag_add(&d, "f.yaml", 1, 5, NULL, "also first");
	diag_list_sort_unique(&d);
	is_int(d.n, 3, "diag: repeat dropped");
	is_str(d.items[0].message, "first", "diag: sorted by position, stable");
	is_str(d.items[1].message, "also first", "diag: same position keeps insertion order");
	ok(diag_format(&d.items[2], &s) == 0, "diag: format");
	is_str(s, "f.yaml:3:1: third (x)", "diag: file:line:column: message (expected)");
	free(s);
	ok(diag_format(&d.items[0], &s) == 0, "diag: format without expectation");
	is_str(s, "f.yaml:1:5: first", "diag: no parentheses without expectation");
	free(s);
}

int main(void) {
	test_ipv4();
	test_ipv6_and_any();
	test_prefix_and_cidr();
	test_mac();
	test_names();
	test_size();
	test_duration();
	test_int_bool();
	test_version();
	test_image();
	test_endpoint_url();
	test_small_syntaxes();
	test_strv_diag();
	return done_testing();
}

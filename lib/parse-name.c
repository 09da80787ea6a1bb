/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Names and other strings that stay strings: host names, package names, image
 * references, digests, keys, and the small syntaxes of a profile. */
#include <stdio.h>
#include <string.h>

#include "macro.h"
#include "parse-util-internal.h"
#include "parse-util.h"

/* Length of the RFC 1123 label at the start of s (ending at '.' or NUL), 0 if invalid. */
static size_t label_length(const char *s) {
	size_t n = 0;

	while (s[n] && s[n] != '.') {
		if (!is_lower_alnum(s[n]) && s[n] != '-')
			return 0;
		n++;
	}
	if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-')
		return 0;
	return n;
}

bool hostname_label_is_valid(const char *s) {
	size_t n = label_length(s);
	return n > 0 && s[n] == '\0';
}

bool hostname_is_valid(const char *s) {
	size_t total = strlen(s);

	if (total == 0 || total > 253)
		return false;
	for (;;) {
		size_t n = label_length(s);
		if (n == 0)
			return false;
		if (s[n] == '\0')
			return true;
		s += n + 1;
	}
}

bool debian_package_name_is_valid(const char *s) {
	if (!is_lower_alnum(s[0]) || s[1] == '\0')
		return false;
	for (s++; *s; s++)
		if (!is_lower_alnum(*s) && !strchr("+.-", *s))
			return false;
	return true;
}

/* A registry host: DNS-like labels (any case), optionally ":port". Returns length. */
static size_t image_domain_length(const char *s, size_t len) {
	size_t i = 0, label = 0;

	for (; i < len && s[i] != ':'; i++) {
		if (s[i] == '.') {
			if (label == 0 || s[i - 1] == '-')
				return 0;
			label = 0;
		} else if (is_alnum(s[i]) || (s[i] == '-' && label > 0))
			label++;
		else
			return 0;
	}
	if (label == 0 || s[i - 1] == '-')
		return 0;
	if (i < len) {
		uint64_t port;
		size_t n = read_decimal(s + i + 1, 5, &port);
		if (n == 0 || i + 1 + n != len || port == 0 || port > 65535)
			return 0;
	}
	return len;
}

/* A repository path component: [a-z0-9]+ joined by '.', '_', '__' or runs of '-'. */
static bool image_path_component_is_valid(const char *s, size_t len) {
	if (len == 0 || !is_lower_alnum(s[0]) || !is_lower_alnum(s[len - 1]))
		return false;
	for (size_t i = 1; i < len; i++) {
		if (is_lower_alnum(s[i]))
			continue;
		if (s[i] == '-')
			continue;
		if (s[i] == '.' || s[i] == '_') {
			bool dunder = s[i] == '_' && s[i + 1] == '_';
			if (!is_lower_alnum(s[i - 1]))
				return false;
			if (dunder)
				i++;
			if (!is_lower_alnum(s[i + 1]))
				return false;
			continue;
		}
		return false;
	}
	return true;
}

static bool image_tag_is_valid(const char *s, size_t len) {
	if (len == 0 || len > 128 || !(is_alnum(s[0]) || s[0] == '_'))
		return false;
	for (size_t i = 1; i < len; i++)
		if (!is_alnum(s[i]) && !strchr("_.-", s[i]))
			return false;
	return true;
}

bool image_reference_is_valid(const char *s) {
	size_t len = strlen(s), name_len;
	const char *at = strchr(s, '@');
	const char *slash = strchr(s, '/');
	bool tagged = false;

	if (len == 0 || len > 512 || !slash)
		return false;

	if (at) {
		if (!strneq(at + 1, "sha256:", STRLEN("sha256:")) ||
		    !hex_digest_is_valid(at + 1 + STRLEN("sha256:"), 64))
			return false;
		len = at - s;
	}

	/* The tag is after the last ':' that comes after the last '/'. */
	const char *last_slash = memrchr(s, '/', len);
	const char *colon = memchr(last_slash, ':', len - (last_slash - s));
	if (colon) {
		if (!image_tag_is_valid(colon + 1, len - (colon + 1 - s)))
			return false;
		tagged = true;
		len = colon - s;
	}
	if (!tagged && !at)
		return false;   /* unpinned: would mean "latest" */

	name_len = len;
	if (name_len > 255)
		return false;

	size_t domain_len = slash - s;
	bool is_domain = memchr(s, '.', domain_len) || memchr(s, ':', domain_len) ||
			 (domain_len == STRLEN("localhost") && strneq(s, "localhost", domain_len));
	if (!is_domain || image_domain_length(s, domain_len) != domain_len)
		return false;

	for (const char *p = slash + 1, *end = s + name_len; p <= end;) {
		const char *next = memchr(p, '/', end - p);
		size_t n = next ? (size_t) (next - p) : (size_t) (end - p);
		if (!image_path_component_is_valid(p, n))
			return false;
		p += n + 1;
	}
	return true;
}

bool hex_digest_is_valid(const char *s, size_t len) {
	for (size_t i = 0; i < len; i++)
		if (!is_digit(s[i]) && !(s[i] >= 'a' && s[i] <= 'f'))
			return false;
	return s[len] == '\0';
}

bool ssh_public_key_is_valid(const char *s) {
	static const char *const types[] = {
		"ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384",
		"ecdsa-sha2-nistp521", "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com",
	};
	size_t type_len = strcspn(s, " "), i;

	for (i = 0; i < ELEMENTSOF(types); i++)
		if (type_len == strlen(types[i]) && strneq(s, types[i], type_len))
			break;
	if (i == ELEMENTSOF(types) || s[type_len] != ' ')
		return false;

	const char *blob = s + type_len + 1;
	size_t n = 0;
	while (is_alnum(blob[n]) || blob[n] == '+' || blob[n] == '/')
		n++;
	while (blob[n] == '=')
		n++;
	if (n < 16 || n % 4 != 0)
		return false;
	for (const char *p = blob + n; *p; p++)
		if ((unsigned char) *p < ' ' || *p == 0x7f)
			return false;
	return blob[n] == '\0' || blob[n] == ' ';
}

/* Every character of s is in set, and s is 1 to max characters long. */
static bool only_chars(const char *s, const char *set, size_t max) {
	size_t n = strlen(s);
	return n > 0 && n <= max && strspn(s, set) == n;
}

#define ALNUM "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

bool locale_is_valid(const char *s) {
	return is_alnum(s[0]) && only_chars(s, ALNUM "_.@-", 64);
}

bool timezone_is_valid(const char *s) {
	if (!only_chars(s, ALNUM "_+-/", 64) || s[0] == '/' || s[strlen(s) - 1] == '/' || strstr(s, "//"))
		return false;
	/* Components start with a letter: no "..", no "-" tricks. */
	for (const char *p = s; p; p = strchr(p, '/'), p = p ? p + 1 : NULL)
		if (!is_alnum(*p))
			return false;
	return true;
}

bool kernel_module_name_is_valid(const char *s) {
	return only_chars(s, ALNUM "_-", 64);
}

bool kernel_argument_is_valid(const char *s) {
	if (!*s || strlen(s) > 256)
		return false;
	for (; *s; s++)
		if ((unsigned char) *s <= ' ' || *s == 0x7f || *s == '"' || *s == '\\' || *s == '\'')
			return false;
	return true;
}

bool interface_pattern_is_valid(const char *s) {
	return only_chars(s, ALNUM "*?_.:-", 15);
}

bool relative_path_is_valid(const char *s) {
	if (!*s || s[0] == '/' || strlen(s) > 4096)
		return false;
	for (const char *p = s; *p; p++)
		if ((unsigned char) *p < ' ' || *p == 0x7f)
			return false;
	for (const char *p = s; p;) {
		size_t n = strcspn(p, "/");
		if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		p = p[n] ? p + n + 1 : NULL;
	}
	return true;
}

bool release_version_is_valid(const char *s) {
	return is_alnum(s[0]) && only_chars(s, ALNUM ".+_-", 64);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Numbers, sizes, durations, booleans and versions. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "macro.h"
#include "parse-util-internal.h"
#include "parse-util.h"

size_t read_decimal(const char *s, size_t max_digits, uint64_t *ret) {
	uint64_t v = 0;
	size_t n = 0;

	while (is_digit(s[n])) {
		if (n == max_digits)
			return 0;
		unsigned d = s[n] - '0';
		v = v > (UINT64_MAX - d) / 10 ? UINT64_MAX : v * 10 + d;
		n++;
	}
	if (n > 1 && s[0] == '0')
		return 0;
	if (n > 0)
		*ret = v;
	return n;
}

int parse_size(const char *s, uint64_t *ret) {
	static const struct {
		const char *suffix;
		unsigned shift;
	} suffixes[] = {
		{ "",    0 },
		{ "K",  10 }, { "KiB", 10 },
		{ "M",  20 }, { "MiB", 20 },
		{ "G",  30 }, { "GiB", 30 },
		{ "T",  40 }, { "TiB", 40 },
	};
	uint64_t v;

	size_t n = read_decimal(s, 64, &v);
	if (n == 0)
		return -EINVAL;
	for (size_t i = 0; i < ELEMENTSOF(suffixes); i++) {
		if (!streq(s + n, suffixes[i].suffix))
			continue;
		if (v == UINT64_MAX || v > (UINT64_MAX >> suffixes[i].shift))
			return -ERANGE;
		*ret = v << suffixes[i].shift;
		return 0;
	}
	return -EINVAL;
}

const char *format_size(uint64_t bytes, char buf[static FORMAT_SIZE_MAX]) {
	static const char *const units[] = { "", "KiB", "MiB", "GiB", "TiB" };
	unsigned i = 0;

	while (i + 1 < ELEMENTSOF(units) && bytes > 0 && bytes % 1024 == 0) {
		bytes /= 1024;
		i++;
	}
	snprintf(buf, FORMAT_SIZE_MAX, "%" PRIu64 "%s", bytes, units[i]);
	return buf;
}

const char *format_duration(uint64_t sec, char buf[static FORMAT_SIZE_MAX]) {
	static const struct {
		const char *unit;
		uint64_t seconds;
	} units[] = {
		{ "w", 7 * 86400 }, { "d", 86400 }, { "h", 3600 }, { "m", 60 },
	};
	const char *unit = "s";

	for (size_t i = 0; i < ELEMENTSOF(units); i++)
		if (sec > 0 && sec % units[i].seconds == 0) {
			sec /= units[i].seconds;
			unit = units[i].unit;
			break;
		}
	snprintf(buf, FORMAT_SIZE_MAX, "%" PRIu64 "%s", sec, unit);
	return buf;
}

int parse_duration(const char *s, uint64_t *ret_sec) {
	static const struct {
		char unit;
		uint64_t seconds;
	} units[] = {
		{ 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 }, { 'w', 7 * 86400 },
	};
	uint64_t total = 0;
	bool overflow = false;

	if (!*s)
		return -EINVAL;
	while (*s) {
		uint64_t v;
		size_t n = read_decimal(s, 64, &v), i;
		if (n == 0)
			return -EINVAL;
		s += n;
		for (i = 0; i < ELEMENTSOF(units); i++)
			if (*s == units[i].unit)
				break;
		if (i == ELEMENTSOF(units))
			return -EINVAL;
		s++;
		if (v == UINT64_MAX || v > (UINT64_MAX - total) / units[i].seconds)
			overflow = true;
		else
			total += v * units[i].seconds;
	}
	if (overflow)
		return -ERANGE;
	*ret_sec = total;
	return 0;
}

int parse_int64_bounded(const char *s, int64_t min, int64_t max, int64_t *ret) {
	bool negative = false;
	uint64_t v;
	int64_t x;

	if (*s == '-' || *s == '+') {
		negative = *s == '-';
		s++;
	}
	size_t n = read_decimal(s, 64, &v);
	if (n == 0 || s[n] != '\0')
		return -EINVAL;
	if (negative) {
		if (v > (uint64_t) INT64_MAX + 1)
			return -ERANGE;
		x = v == (uint64_t) INT64_MAX + 1 ? INT64_MIN : -(int64_t) v;
	} else {
		if (v > INT64_MAX)
			return -ERANGE;
		x = (int64_t) v;
	}
	if (x < min || x > max)
		return -ERANGE;
	*ret = x;
	return 0;
}

int parse_boolean(const char *s, bool *ret) {
	static const char *const yes[] = { "true", "True", "TRUE" }, *const no[] = { "false", "False", "FALSE" };

	for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
		if (streq(s, yes[i])) {
			*ret = true;
			return 0;
		}
		if (streq(s, no[i])) {
			*ret = false;
			return 0;
		}
	}
	return -EINVAL;
}

bool boolean_is_yaml11(const char *s) {
	static const char *const words[] = { "yes", "no", "on", "off", "y", "n" };

	for (size_t i = 0; i < ELEMENTSOF(words); i++)
		if (strcasecmp(s, words[i]) == 0)
			return true;
	return false;
}

int parse_kubernetes_version(const char *s, KubernetesVersion *ret) {
	uint64_t v[3];

	if (*s++ != 'v')
		return -EINVAL;
	for (unsigned i = 0; i < 3; i++) {
		size_t n = read_decimal(s, 6, &v[i]);
		if (n == 0)
			return -EINVAL;
		s += n;
		if (*s != (i < 2 ? '.' : '\0'))
			return -EINVAL;
		s++;
	}
	if (v[0] != 1 || v[1] < KUBERNETES_MINOR_MIN || v[1] > KUBERNETES_MINOR_MAX)
		return -ERANGE;

	*ret = (KubernetesVersion) { (unsigned) v[0], (unsigned) v[1], (unsigned) v[2] };
	return 0;
}


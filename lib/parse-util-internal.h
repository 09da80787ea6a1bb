/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Helpers shared by the value parsers (parse-util.c, parse-net.c, parse-name.c). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Character classes by hand: <ctype.h> depends on the locale, these must not. */
static inline bool is_digit(char c) {
	return c >= '0' && c <= '9';
}

static inline bool is_lower_alnum(char c) {
	return is_digit(c) || (c >= 'a' && c <= 'z');
}

static inline bool is_alnum(char c) {
	return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

static inline int hex_value(char c) {
	if (is_digit(c))
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Read a decimal number without sign or leading zeros, at most max_digits long. Returns
 * the number of characters consumed, 0 when there is no number. Values that do not fit
 * in a uint64_t are clamped to UINT64_MAX, which every caller treats as out of range. */
size_t read_decimal(const char *s, size_t max_digits, uint64_t *ret);

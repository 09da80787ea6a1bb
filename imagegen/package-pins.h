/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The Debian packages of each root tree, pinned by kiln.lock ("package SET NAME VERSION").
 *
 * "lock" resolves each tree's packages with the same mmdebstrap run a build makes, only
 * simulated, and records the versions apt chose. fetch and build give apt a preferences
 * file that pins every one of them (Pin-Priority 1001: taken even when the archive has a
 * newer one), simulate first so that a version the mirror no longer serves is refused
 * before anything is downloaded, and check the finished tree against the lock too. A
 * cached tree that holds other versions than the lock pins is made again, or refused
 * offline. Pins are lists of "NAME VERSION" strings, sorted. */

#include <stdbool.h>

typedef enum PackageSet {
	PACKAGE_SET_NODE,         /* the node's root file system */
	PACKAGE_SET_BOX,          /* the Vagrant box's: the node's packages and the box's own */
	PACKAGE_SET_TOOLS,        /* the tools tree the build runs mkfs, xorriso... in */
	_PACKAGE_SET_MAX,
} PackageSet;

const char *package_set_to_string(PackageSet s);
/* -EINVAL for a word that names no set. */
int package_set_from_string(const char *s);

/* Debian policy 5.6.12 (debian_package_name_is_valid() is in parse-util.h). */
bool debian_version_is_valid(const char *s);

/* apt's simulated installation as mmdebstrap --verbose logs it ("Inst NAME (VERSION
 * ARCHIVE [ARCH])" lines, some twice) as sorted, unique "NAME VERSION" strings.
 * -EBADMSG if an Inst line is malformed or names one package at two versions. */
int apt_simulation_parse(const char *text, char ***ret);

/* The text of an apt preferences file that makes each pinned version the candidate. */
int package_pins_preferences(char *const *pins, char **ret_text);

/* What differs between the pinned and the installed (or resolved) "NAME VERSION" lists,
 * one line per package: "libc6 2.41-12 (kiln.lock pins 2.41-11)", "foo 1.0 (not in
 * kiln.lock)", "bar (kiln.lock pins 2.0; not installed)". 0 with *ret_problems NULL when
 * they are the same. */
int package_pins_compare(char *const *pinned, char *const *installed, char ***ret_problems);

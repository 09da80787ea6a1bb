/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The host name a machine gives itself at first boot, without a person at the console.
 *
 * The decision (identity_pick) is a pure function of the profile baked into the image,
 * the machine's network cards and its machine ID, so it is tested without sysfs; reading
 * those inputs from a root directory is separate (identity_read_macs). The rules, first
 * that applies wins:
 *
 *   1. the nodes[] entry whose mac is one of the machine's network cards: its hostname;
 *   2. node.hostname, when the profile sets it (not empty);
 *   3. "kiln-" and the last three bytes of the first network card's MAC in lower-case
 *      hex; with no network card at all, "kiln-" and the first six hex digits of the
 *      machine ID. */

#include <stdbool.h>
#include <stddef.h>

#include "parse-util.h"
#include "profile.h"

typedef enum IdentitySource {
	IDENTITY_FROM_NODES,        /* the nodes[] entry for one of the MACs */
	IDENTITY_FROM_DEFAULT,      /* node.hostname */
	IDENTITY_FROM_MAC,          /* derived from the first MAC */
	IDENTITY_FROM_MACHINE_ID,   /* derived from the machine ID: no usable MAC */
	_IDENTITY_SOURCE_MAX,
} IdentitySource;

/* An RFC 1123 label, which is what Kubernetes accepts as a node name: 63 characters. */
#define IDENTITY_HOSTNAME_MAX (63 + 1)

typedef struct Identity {
	char hostname[IDENTITY_HOSTNAME_MAX];
	IdentitySource source;
	/* The MAC that decided: the matching one (FROM_NODES) or the first one (FROM_MAC);
	 * all zero otherwise. */
	MacAddress mac;
	/* FROM_NODES: how many nodes[] entries match one of the MACs. More than one means the
	 * profile lists this machine twice (once per card); the first card's entry won. */
	size_t n_matches;
} Identity;

/* False for the all-zero and the broadcast address, which some drivers report for a card
 * that has no address programmed yet: they say nothing about which machine this is. */
bool identity_mac_is_usable(const MacAddress *m);

/* Pick the identity from profile p, the machine's MACs in order of interface name (unusable
 * ones are skipped), and machine_id (32 hex digits, only needed when no MAC is usable; may
 * be NULL otherwise). Returns 0 and fills *ret; -EINVAL for a missing argument or a host
 * name in p that is not an RFC 1123 label; -ENXIO when the machine ID is needed and NULL;
 * -EBADMSG when it is needed and malformed or all zero. *ret is untouched on failure. */
int identity_pick(const Profile *p, const MacAddress *macs, size_t n_macs, const char *machine_id,
		  Identity *ret);

/* The physical network cards of the system under root_fd: every
 * sys/class/net/<name>/address whose <name> has a "device" entry (virtual interfaces such
 * as lo, bridges and veths have none), sorted by name, with unusable and unparsable
 * addresses left out. No sys/class/net at all gives an empty list. On success *ret_macs is
 * an allocated array (NULL when empty) of *ret_n entries; both untouched on failure. */
int identity_read_macs(int root_fd, MacAddress **ret_macs, size_t *ret_n);

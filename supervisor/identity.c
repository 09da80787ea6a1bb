/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "alloc-util.h"
#include "fd-util.h"
#include "fileio.h"
#include "identity.h"

/* A sysfs attribute is at most one page; sysfs reports that as st_size whatever the content. */
#define SYSFS_ATTRIBUTE_MAX 4096

bool identity_mac_is_usable(const MacAddress *m) {
	static const MacAddress zero = {}, broadcast = { { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } };

	return memcmp(m, &zero, sizeof *m) != 0 && memcmp(m, &broadcast, sizeof *m) != 0;
}

static bool mac_equal(const MacAddress *a, const MacAddress *b) {
	return memcmp(a, b, sizeof *a) == 0;
}

static int set_hostname(Identity *id, const char *name) {
	/* The loader has checked the profile already; this catches a profile built some other
	 * way, because a bad name here would end up in /etc/hostname and as the node name. */
	if (!name || !hostname_label_is_valid(name) || strlen(name) >= sizeof id->hostname)
		return -EINVAL;
	strcpy(id->hostname, name);
	return 0;
}

static int hex_digit(char c) {
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* machine-id(5): 32 hex digits. All zero is what an unset ID reads as, and would give every
 * machine the same name. */
static bool machine_id_is_valid(const char *s) {
	bool nonzero = false;
	size_t i;

	for (i = 0; s[i]; i++) {
		int v = hex_digit(s[i]);
		if (v < 0 || i >= 32)
			return false;
		nonzero = nonzero || v != 0;
	}
	return i == 32 && nonzero;
}

int identity_pick(const Profile *p, const MacAddress *macs, size_t n_macs, const char *machine_id,
		  Identity *ret) {
	Identity id = {};
	const MacAddress *first = NULL;
	const ProfileMachine *match = NULL;
	int r;

	if (!p || !ret || (n_macs > 0 && !macs))
		return -EINVAL;

	/* Cards in name order, so that a machine the profile lists once per card always gets
	 * the entry of the same card. */
	for (size_t i = 0; i < n_macs && !match; i++) {
		if (!identity_mac_is_usable(&macs[i]))
			continue;
		if (!first)
			first = &macs[i];
		for (size_t j = 0; j < p->n_nodes && !match; j++)
			if (mac_equal(&macs[i], &p->nodes[j].mac)) {
				match = &p->nodes[j];
				id.mac = macs[i];
			}
	}

	if (match) {
		r = set_hostname(&id, match->hostname);
		if (r < 0)
			return r;
		id.source = IDENTITY_FROM_NODES;
		for (size_t j = 0; j < p->n_nodes; j++)
			for (size_t i = 0; i < n_macs; i++)
				if (identity_mac_is_usable(&macs[i]) && mac_equal(&macs[i], &p->nodes[j].mac)) {
					id.n_matches++;
					break;
				}
	} else if (!isempty(p->node.hostname)) {
		r = set_hostname(&id, p->node.hostname);
		if (r < 0)
			return r;
		id.source = IDENTITY_FROM_DEFAULT;
	} else if (first) {
		/* The last three bytes are the part the vendor assigns per card; the first three
		 * are the vendor's and the same across a rack of identical machines. */
		(void) snprintf(id.hostname, sizeof id.hostname, "kiln-%02x%02x%02x",
				first->bytes[3], first->bytes[4], first->bytes[5]);
		id.source = IDENTITY_FROM_MAC;
		id.mac = *first;
	} else {
		if (!machine_id)
			return -ENXIO;
		if (!machine_id_is_valid(machine_id))
			return -EBADMSG;
		memcpy(id.hostname, "kiln-", STRLEN("kiln-"));
		for (size_t i = 0; i < 6; i++)
			id.hostname[STRLEN("kiln-") + i] = "0123456789abcdef"[hex_digit(machine_id[i])];
		id.hostname[STRLEN("kiln-") + 6] = '\0';
		id.source = IDENTITY_FROM_MACHINE_ID;
	}

	*ret = id;
	return 0;
}

typedef struct Nic {
	char *name;
	MacAddress mac;
} Nic;

typedef struct NicList {
	Nic *items;
	size_t n, n_allocated;
} NicList;

static void nic_list_done(NicList *l) {
	for (size_t i = 0; i < l->n; i++)
		free(l->items[i].name);
	free(l->items);
	l->items = NULL;
	l->n = l->n_allocated = 0;
}

static int nic_list_add(NicList *l, const char *name, const MacAddress *mac) {
	if (!GREEDY_REALLOC(l->items, l->n_allocated, l->n + 1))
		return -ENOMEM;
	char *copy = strdup(name);
	if (!copy)
		return -ENOMEM;
	l->items[l->n++] = (Nic) { .name = copy, .mac = *mac };
	return 0;
}

static int nic_compare(const void *a, const void *b) {
	return strcmp(((const Nic *) a)->name, ((const Nic *) b)->name);
}

/* 1 and *ret for a physical card with a usable address, 0 for anything else. Only running
 * out of memory is an error: a card we cannot read is one we cannot be identified by. */
static int read_nic(int net_fd, const char *name, MacAddress *ret) {
	char path[NAME_MAX + sizeof "/address"];
	_cleanup_free_ char *data = NULL;
	_cleanup_close_ int fd = -EBADF;
	struct stat st;
	MacAddress mac;
	int r;

	/* Physical cards have a "device" link to their bus device; lo, bridges, bonds, veths,
	 * tun/tap and the like do not, and their addresses are random or borrowed. */
	(void) snprintf(path, sizeof path, "%s/device", name);
	if (fstatat(net_fd, path, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return 0;

	(void) snprintf(path, sizeof path, "%s/address", name);
	fd = openat(net_fd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return 0;
	r = read_full_fd_max(fd, SYSFS_ATTRIBUTE_MAX, &data, NULL);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return 0;
	data[strcspn(data, "\n")] = '\0';
	/* InfiniBand and other non-Ethernet addresses do not parse: not ours to match. */
	if (parse_mac_address(data, &mac) < 0 || !identity_mac_is_usable(&mac))
		return 0;
	*ret = mac;
	return 1;
}

int identity_read_macs(int root_fd, MacAddress **ret_macs, size_t *ret_n) {
	_cleanup_(nic_list_done) NicList nics = {};
	_cleanup_free_ MacAddress *macs = NULL;
	_cleanup_close_ int fd = -EBADF;
	DIR *d;
	int r;

	if (!ret_macs || !ret_n)
		return -EINVAL;

	fd = openat(root_fd, "sys/class/net", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 && errno != ENOENT)
		return negative_errno();
	if (fd >= 0) {
		d = fdopendir(fd);
		if (!d)
			return negative_errno();
		TAKE_FD(fd);   /* owned by d now */

		for (;;) {
			struct dirent *de;
			MacAddress mac;

			errno = 0;
			de = readdir(d);
			if (!de) {
				r = errno > 0 ? -errno : 0;
				break;
			}
			if (de->d_name[0] == '.')
				continue;
			r = read_nic(dirfd(d), de->d_name, &mac);
			if (r > 0)
				r = nic_list_add(&nics, de->d_name, &mac);
			if (r < 0)
				break;
		}
		(void) closedir(d);
		if (r < 0)
			return r;
	}

	/* readdir() order is the order of creation or of a hash, neither stable across boots. */
	if (nics.n > 0) {
		qsort(nics.items, nics.n, sizeof *nics.items, nic_compare);
		macs = reallocarray(NULL, nics.n, sizeof *macs);
		if (!macs)
			return -ENOMEM;
		for (size_t i = 0; i < nics.n; i++)
			macs[i] = nics.items[i].mac;
	}

	*ret_macs = TAKE_PTR(macs);
	*ret_n = nics.n;
	return 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The first-boot host name decision (identity_pick) on profiles loaded from text, and the
 * sysfs reader (identity_read_macs) on a fake root directory. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "diag.h"
#include "fd-util.h"
#include "fileio.h"
#include "identity.h"
#include "profile-text.h"
#include "tap.h"

/* Two machines, the first MAC in upper case as people copy it from a label. */
#define NODES \
	"nodes:\n" \
	"  - mac: 52:54:00:AA:BB:01\n" \
	"    hostname: cp1\n" \
	"  - mac: 52:54:00:aa:bb:02\n" \
	"    hostname: worker1\n"

#define MACHINE_ID "0123456789abcdef0123456789abcdef"

static Profile *load_text(const char *text) {
	int r;
	Profile *p = profile_from_text(text, &r);
	ok(r == 0 && p, "test profile loads (r=%d)", r);
	return p;
}

static MacAddress mac(const char *s) {
	MacAddress m = {};
	if (parse_mac_address(s, &m) < 0)
		diag("bad MAC in the test itself: %s", s);
	return m;
}

static bool mac_is(const MacAddress *got, const char *want) {
	MacAddress w = mac(want);
	return memcmp(got, &w, sizeof w) == 0;
}

static void test_usable(void) {
	MacAddress zero = mac("00:00:00:00:00:00"), bcast = mac("ff:ff:ff:ff:ff:ff"),
		   real = mac("52:54:00:12:34:56"), almost = mac("ff:ff:ff:ff:ff:fe");

	ok(!identity_mac_is_usable(&zero), "all-zero MAC is not usable");
	ok(!identity_mac_is_usable(&bcast), "broadcast MAC is not usable");
	ok(identity_mac_is_usable(&real), "a real MAC is usable");
	ok(identity_mac_is_usable(&almost), "ff:ff:ff:ff:ff:fe is not the broadcast address");
}

static void test_nodes_match(void) {
	_cleanup_(profile_freep) Profile *p = load_text(PROFILE_HEAD "node:\n  hostname: edge\n" NODES);
	Identity id;
	int r;
	if (!p)
		return;

	/* NICs as sysfs writes them: lower case. The profile has the MAC in upper case. */
	MacAddress one[] = { mac("52:54:00:aa:bb:01") };
	r = identity_pick(p, one, ELEMENTSOF(one), NULL, &id);
	is_int(r, 0, "nodes[] match: picked");
	is_str(id.hostname, "cp1", "nodes[] entry wins over node.hostname");
	is_int(id.source, IDENTITY_FROM_NODES, "source is the nodes[] entry");
	ok(mac_is(&id.mac, "52:54:00:aa:bb:01"), "the matching MAC is reported");
	is_int(id.n_matches, 1, "one entry matches");

	/* The other way round: lower case in the profile, upper case on the card. */
	MacAddress upper[] = { mac("52:54:00:AA:BB:02") };
	r = identity_pick(p, upper, ELEMENTSOF(upper), NULL, &id);
	is_int(r, 0, "upper-case card MAC: picked");
	is_str(id.hostname, "worker1", "MAC comparison ignores case");

	/* The first card is unknown, the second is in the list. */
	MacAddress second[] = { mac("52:54:00:00:00:99"), mac("52:54:00:aa:bb:02") };
	r = identity_pick(p, second, ELEMENTSOF(second), MACHINE_ID, &id);
	is_int(r, 0, "second card matches: picked");
	is_str(id.hostname, "worker1", "a match on the second card counts");
	is_int(id.source, IDENTITY_FROM_NODES, "source is the nodes[] entry for the second card");
	ok(mac_is(&id.mac, "52:54:00:aa:bb:02"), "the second card's MAC is reported");

	/* Each card in its own entry: the first card (by name) decides, and it is noticed. */
	MacAddress both[] = { mac("52:54:00:aa:bb:02"), mac("52:54:00:aa:bb:01") };
	r = identity_pick(p, both, ELEMENTSOF(both), NULL, &id);
	is_int(r, 0, "two matching cards: picked");
	is_str(id.hostname, "worker1", "the first card's entry wins, not the first entry");
	is_int(id.n_matches, 2, "both matching entries are counted");

	/* Bond members can all show the bond's MAC: still one machine, one entry. */
	MacAddress dup[] = { mac("52:54:00:aa:bb:01"), mac("52:54:00:aa:bb:01") };
	r = identity_pick(p, dup, ELEMENTSOF(dup), NULL, &id);
	is_int(r, 0, "the same MAC on two cards: picked");
	is_int(id.n_matches, 1, "the same MAC on two cards is one matching entry");
}

static void test_default(void) {
	_cleanup_(profile_freep) Profile *p = load_text(PROFILE_HEAD "node:\n  hostname: edge\n" NODES);
	Identity id;
	if (!p)
		return;

	MacAddress other[] = { mac("52:54:00:00:00:99") };
	is_int(identity_pick(p, other, ELEMENTSOF(other), NULL, &id), 0, "no nodes[] match: picked");
	is_str(id.hostname, "edge", "node.hostname is the default");
	is_int(id.source, IDENTITY_FROM_DEFAULT, "source is the profile default");
	ok(mac_is(&id.mac, "00:00:00:00:00:00"), "no MAC is reported for the default");

	is_int(identity_pick(p, NULL, 0, NULL, &id), 0, "no card at all, but a default: picked");
	is_str(id.hostname, "edge", "the default needs neither a card nor a machine ID");
}

static void test_derived(void) {
	/* hostname: "" is how the shipped single-node profile says "derive it". */
	_cleanup_(profile_freep) Profile *p = load_text(PROFILE_HEAD "node:\n  hostname: \"\"\n" NODES);
	_cleanup_(profile_freep) Profile *bare = load_text(PROFILE_HEAD);
	Identity id;
	if (!p || !bare)
		return;

	MacAddress cards[] = { mac("52:54:00:A1:B2:C3"), mac("52:54:00:d4:e5:f6") };
	is_int(identity_pick(p, cards, ELEMENTSOF(cards), MACHINE_ID, &id), 0, "derived: picked");
	is_str(id.hostname, "kiln-a1b2c3", "kiln- and the first card's last three bytes, lower case");
	is_int(id.source, IDENTITY_FROM_MAC, "source is the MAC");
	ok(mac_is(&id.mac, "52:54:00:a1:b2:c3"), "the first card's MAC is reported");

	is_int(identity_pick(bare, cards, ELEMENTSOF(cards), NULL, &id), 0, "no node: mapping at all: picked");
	is_str(id.hostname, "kiln-a1b2c3", "a profile without node.hostname derives the name");

	/* Unusable addresses are skipped before "first" is decided. */
	MacAddress junk_first[] = { mac("00:00:00:00:00:00"), mac("ff:ff:ff:ff:ff:ff"), mac("52:54:00:0a:0b:0c") };
	is_int(identity_pick(bare, junk_first, ELEMENTSOF(junk_first), NULL, &id), 0, "unusable cards first: picked");
	is_str(id.hostname, "kiln-0a0b0c", "zero and broadcast addresses are skipped, leading zeros kept");
}

static void test_machine_id(void) {
	_cleanup_(profile_freep) Profile *p = load_text(PROFILE_HEAD NODES);
	Identity id;
	if (!p)
		return;

	is_int(identity_pick(p, NULL, 0, MACHINE_ID, &id), 0, "no card: picked");
	is_str(id.hostname, "kiln-012345", "kiln- and the first six hex digits of the machine ID");
	is_int(id.source, IDENTITY_FROM_MACHINE_ID, "source is the machine ID");

	is_int(identity_pick(p, NULL, 0, "ABCDEF0123456789ABCDEF0123456789", &id), 0, "upper-case machine ID: picked");
	is_str(id.hostname, "kiln-abcdef", "the derived name is lower case");

	MacAddress junk[] = { mac("00:00:00:00:00:00"), mac("ff:ff:ff:ff:ff:ff") };
	is_int(identity_pick(p, junk, ELEMENTSOF(junk), MACHINE_ID, &id), 0, "only unusable cards: picked");
	is_int(id.source, IDENTITY_FROM_MACHINE_ID, "only unusable cards count as no card");
}

/* Every failure leaves *ret exactly as it was. */
static void fails(int want, const Profile *p, const MacAddress *macs, size_t n, const char *machine_id,
		  const char *name) {
	Identity id, before;

	memset(&id, 0xa5, sizeof id);
	before = id;
	is_int(identity_pick(p, macs, n, machine_id, &id), want, name);
	ok(memcmp(&id, &before, sizeof id) == 0, "%s: result untouched", name);
}

static void test_invalid(void) {
	_cleanup_(profile_freep) Profile *p = load_text(PROFILE_HEAD NODES);
	MacAddress card = mac("52:54:00:12:34:56");
	Identity id;
	if (!p)
		return;

	fails(-EINVAL, NULL, &card, 1, MACHINE_ID, "no profile");
	is_int(identity_pick(p, &card, 1, MACHINE_ID, NULL), -EINVAL, "no result pointer");
	fails(-EINVAL, p, NULL, 2, MACHINE_ID, "MACs counted but missing");
	fails(-ENXIO, p, NULL, 0, NULL, "no card and no machine ID");
	fails(-EBADMSG, p, NULL, 0, "", "empty machine ID");
	fails(-EBADMSG, p, NULL, 0, "0123456789abcdef0123456789abcde", "machine ID of 31 digits");
	fails(-EBADMSG, p, NULL, 0, MACHINE_ID "0", "machine ID of 33 digits");
	fails(-EBADMSG, p, NULL, 0, "0123456789abcdef0123456789abcdeg", "machine ID with a non-hex digit");
	fails(-EBADMSG, p, NULL, 0, MACHINE_ID "\n", "machine ID with its newline still on");
	fails(-EBADMSG, p, NULL, 0, "00000000000000000000000000000000", "all-zero machine ID");
	fails(-EBADMSG, p, NULL, 0, "uninitialized", "machine ID not yet initialized");
	is_int(identity_pick(p, &card, 1, "garbage", &id), 0, "a bad machine ID does not matter when there is a card");

	/* A profile built without the loader's checks: bad names never reach /etc/hostname. */
	char bad_name[] = "Bad_Name", long_name[65], empty[] = "";
	memset(long_name, 'a', 64);
	long_name[64] = '\0';
	ProfileMachine m = { .mac = card, .hostname = bad_name };
	Profile hand = { .nodes = &m, .n_nodes = 1 };
	fails(-EINVAL, &hand, &card, 1, NULL, "nodes[] host name that is not a label");
	m.hostname = long_name;
	fails(-EINVAL, &hand, &card, 1, NULL, "nodes[] host name of 64 characters");
	m.hostname = NULL;
	fails(-EINVAL, &hand, &card, 1, NULL, "nodes[] entry without a host name");

	Profile def = { .node.hostname = bad_name };
	fails(-EINVAL, &def, &card, 1, NULL, "node.hostname that is not a label");
	def.node.hostname = empty;
	is_int(identity_pick(&def, &card, 1, NULL, &id), 0, "empty node.hostname: picked");
	is_int(id.source, IDENTITY_FROM_MAC, "empty node.hostname counts as not set");
}

/* A fake sysfs: name, MAC text (NULL: no address file), whether it has a device link. */
static int make_nic(const char *root, const char *name, const char *address, bool physical) {
	_cleanup_free_ char *path = NULL;
	int r;

	if (asprintf(&path, "%s/sys/class/net/%s/address", root, name) < 0)
		return -ENOMEM;
	r = mkdir_parents(path, 0755);
	if (r < 0)
		return r;
	if (address) {
		r = write_file_atomic(path, address, strlen(address), 0444, 0);
		if (r < 0)
			return r;
	}
	if (physical) {
		free(path);
		if (asprintf(&path, "%s/sys/class/net/%s/device", root, name) < 0)
			return -ENOMEM;
		/* Real sysfs has a link to the bus device, which the fake root does not have. */
		if (symlink("../../../devices/pci0000:00/0000:00:03.0", path) < 0)
			return negative_errno();
	}
	return 0;
}

static void test_read_macs(void) {
	_cleanup_free_ char *root = tap_mkdtemp();
	_cleanup_free_ MacAddress *macs = NULL;
	_cleanup_close_ int root_fd = -EBADF;
	size_t n = 4711;

	if (!root) {
		ok(false, "temporary directory");
		return;
	}
	root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	ok(root_fd >= 0, "open the fake root");

	is_int(identity_read_macs(root_fd, &macs, &n), 0, "no sys/class/net: read");
	is_int(n, 0, "no sys/class/net: no cards");
	ok(!macs, "no sys/class/net: no array");

	ok(make_nic(root, "eth1", "52:54:00:00:00:02\n", true) == 0 &&
	   make_nic(root, "eth0", "52:54:00:00:00:01\n", true) == 0 &&
	   make_nic(root, "enp0s10", "52:54:00:00:00:0a\n", true) == 0 &&
	   make_nic(root, "lo", "00:00:00:00:00:00\n", false) == 0 &&
	   make_nic(root, "veth0", "02:42:ac:11:00:02\n", false) == 0 &&
	   make_nic(root, "eth2", "00:00:00:00:00:00\n", true) == 0 &&
	   make_nic(root, "eth3", "ff:ff:ff:ff:ff:ff\n", true) == 0 &&
	   make_nic(root, "ib0", "80:00:02:08:fe:80:00:00:00:00:00:00:00:02:c9:03:00:0a:0b:0c\n", true) == 0 &&
	   make_nic(root, "eth4", NULL, true) == 0,
	   "fake sysfs created");

	is_int(identity_read_macs(root_fd, &macs, &n), 0, "fake sysfs: read");
	is_int(n, 3, "only the physical cards with a usable Ethernet address");
	if (macs && n == 3) {
		ok(mac_is(&macs[0], "52:54:00:00:00:0a"), "sorted by name: enp0s10 first");
		ok(mac_is(&macs[1], "52:54:00:00:00:01"), "then eth0");
		ok(mac_is(&macs[2], "52:54:00:00:00:02"), "then eth1");
	} else
		skip(3, "wrong number of cards");

	static MacAddress sentinel[1];
	MacAddress *keep = sentinel;
	size_t n_keep = 4711;
	is_int(identity_read_macs(-EBADF, &keep, &n_keep), -EBADF, "bad root fd: -EBADF");
	ok(keep == sentinel && n_keep == 4711, "bad root fd: outputs untouched");
	is_int(identity_read_macs(root_fd, NULL, &n_keep), -EINVAL, "missing output: -EINVAL");

	is_int(rm_rf(root), 0, "fake root removed");
}

int main(void) {
	test_usable();
	test_nodes_match();
	test_default();
	test_derived();
	test_machine_id();
	test_invalid();
	test_read_macs();
	return done_testing();
}

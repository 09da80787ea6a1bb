/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The Vagrant box's root tree: the node's finished tree, plus what the box's packages
 * (openssh-server, sudo) changed in Debian's root file system, plus what Vagrant needs
 * (the vagrant user with Vagrant's public key and passwordless sudo, sshd with host keys
 * made at the first boot, DHCP on every Ethernet card).
 *
 * Why a second root file system and not the node's with a few files added: sshd and sudo
 * are Debian packages with users, libraries and units of their own, installed by dpkg;
 * copying binaries in by hand would be a Debian nobody else runs. Why the *difference*
 * laid over the node's finished tree, and not the tree steps run again from the box's
 * root file system: the node's tree is more than those steps (the store step adds to
 * it, --extra-tree lays fixtures over it), and a replay would drift from it. Taking the
 * difference keeps the box the node's image exactly, but for the entries the box's
 * packages changed: an entry kiln changed too is a conflict and fails the build rather
 * than one side silently winning. The node's /var (the seeded store) is shared as it is:
 * the box's packages change nothing there a node needs (dpkg's database aside), so the
 * box boots the same var image. /boot is not taken either: the box boots the node's
 * kernel and initrd.
 *
 * The raw disk, the ISO and PXE never get any of this: only the box tree has it. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "box.h"
#include "build.h"
#include "dir-util.h"
#include "fd-util.h"
#include "fileio.h"
#include "log.h"
#include "strv.h"

/* Vagrant's well-known insecure public key: public data, published by HashiCorp in
 * Vagrant's keys/vagrant.pub, which `vagrant up` uses to log into a fresh box (the box
 * Vagrantfile says not to replace it: the root file system is read-only). Anyone has
 * the private half: a box is for trying kiln on one's own machine, not for a network
 * others reach. */
static const char vagrant_public_key[] =
	"ssh-rsa AAAAB3NzaC1yc2EAAAABIwAAAQEA6NF8iallvQVp22WDkTkyrtvp9eWW6A8YVr+kz4TjGYe7gHzIw+niNltGEFHzD8+v1I2YJ6oXevct1YeS0o9HZyN1Q9qgCgzUFtdOKLv6IedplqoPkcmF0aYet2PkEDo3MlTBckFXPITAMzF8dJSIFo9D8HfdOV0IAdx4O7PtixWKn5y2hMNG0zQPyUecp4pzC6kivAIhyfHilFR61RGL+GPXQ2MWZWFYbAGjyiYJnAmCP3NOTd0jMZEnDkbUvxhMmBYSdETk1rRgm+R4LOzFUGaHqHDLKLX+FIPKcF96hrucXzcWyLbIbEgE98OHlnVYCzRdK8jlqm8tehUc9c9WhQ== vagrant insecure public key\n";

#define VAGRANT_UID 1000

/* The box's packages on top of the node's. */
const char *const box_packages[] = { "openssh-server", "sudo", NULL };

/* Entries of the box's root file system that are not taken: the node's /var is shared,
 * the node's kernel boots, and sshd's host keys are made by each machine at its first
 * boot (a key in the image would be every box's, and mmdebstrap's are random). */
static bool box_skip(const char *rel) {
	return streq(rel, "/var") || streq(rel, "/boot") || strneq(rel, "/etc/ssh/ssh_host_", 18);
}

static int same_content(const char *a, const char *b) {
	_cleanup_close_ int fa = open(a, O_RDONLY | O_CLOEXEC), fb = open(b, O_RDONLY | O_CLOEXEC);
	char ba[65536], bb[65536];

	if (fa < 0 || fb < 0)
		return -errno;
	for (;;) {
		ssize_t na = read(fa, ba, sizeof ba), nb;
		if (na < 0)
			return -errno;
		size_t got = 0;
		while (got < (size_t) na) {
			nb = read(fb, bb + got, (size_t) na - got);
			if (nb < 0)
				return -errno;
			if (nb == 0)
				return 0;
			got += (size_t) nb;
		}
		if (memcmp(ba, bb, (size_t) na) != 0)
			return 0;
		if (na == 0)
			return read(fb, bb, 1) == 0;
	}
}

/* 1 if the entries a and b (lstat()ed as sa, sb) are the same: type, mode, owner, and
 * contents or link target. */
static int same_entry(const char *a, const struct stat *sa, const char *b, const struct stat *sb) {
	if (sa->st_mode != sb->st_mode || sa->st_uid != sb->st_uid || sa->st_gid != sb->st_gid)
		return 0;
	if (S_ISDIR(sa->st_mode))
		return 1;
	if (S_ISREG(sa->st_mode))
		return sa->st_size == sb->st_size ? same_content(a, b) : 0;
	if (S_ISLNK(sa->st_mode)) {
		char ta[4096], tb[4096];
		ssize_t na = readlink(a, ta, sizeof ta), nb = readlink(b, tb, sizeof tb);
		if (na < 0 || nb < 0)
			return -errno;
		return na == nb && memcmp(ta, tb, (size_t) na) == 0;
	}
	return sa->st_rdev == sb->st_rdev;
}

typedef struct BoxDelta {
	const char *box_root, *node_root, *tree;
	size_t taken;
	char *conflict;         /* the first entry both kiln and the box's packages changed */
} BoxDelta;

static int delta_dir(BoxDelta *d, const char *rel);

static int delta_entry(BoxDelta *d, const char *rel) {
	_cleanup_free_ char *bp = NULL, *np = NULL, *tp = NULL;
	struct stat bs, ns, ts;
	int r;

	if (box_skip(rel))
		return 0;
	if (asprintf(&bp, "%s%s", d->box_root, rel) < 0 || asprintf(&np, "%s%s", d->node_root, rel) < 0 ||
	    asprintf(&tp, "%s%s", d->tree, rel) < 0)
		return -ENOMEM;
	if (lstat(bp, &bs) < 0)
		return -errno;
	bool in_node = lstat(np, &ns) >= 0, in_tree = lstat(tp, &ts) >= 0;
	if (in_node && (r = same_entry(bp, &bs, np, &ns)) != 0) {
		if (r < 0)
			return r;
		return S_ISDIR(bs.st_mode) ? delta_dir(d, rel) : 0;
	}

	if (S_ISDIR(bs.st_mode)) {
		if (!in_tree) {
			if (mkdir(tp, bs.st_mode & 07777) < 0 || lchown(tp, bs.st_uid, bs.st_gid) < 0 ||
			    chmod(tp, bs.st_mode & 07777) < 0)
				return -errno;
			d->taken++;
		}
		return delta_dir(d, rel);
	}
	/* Kiln removed it from the node's tree (its hostname, say): so it stays. */
	if (in_node && !in_tree)
		return 0;
	/* Kiln changed or added it too: untouched entries are still the cache's inode. */
	if (in_tree && (!in_node || ts.st_ino != ns.st_ino || ts.st_dev != ns.st_dev)) {
		if (!d->conflict && !(d->conflict = strdup(rel)))
			return -ENOMEM;
		return 0;
	}
	if (in_tree && unlink(tp) < 0)
		return -errno;
	/* A hard link to the cached tree, as the node's tree has (tree_link_copy()). */
	if (link(bp, tp) < 0)
		return -errno;
	d->taken++;
	return 0;
}

static int delta_dir(BoxDelta *d, const char *rel) {
	_cleanup_free_ char *path = NULL;
	_cleanup_strv_free_ char **names = NULL;
	_cleanup_close_ int fd = -EBADF;
	int r;

	if (asprintf(&path, "%s%s", d->box_root, rel) < 0)
		return -ENOMEM;
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if ((r = dir_list_sorted(fd, &names)) < 0)
		return r;
	STRV_FOREACH(n, names) {
		_cleanup_free_ char *child = NULL;
		if (asprintf(&child, "%s/%s", rel, *n) < 0)
			return -ENOMEM;
		if ((r = delta_entry(d, child)) < 0)
			return r;
	}
	return 0;
}

/* Write rel into the box tree, owned by uid (a new inode: the tree's files are hard
 * links into the cache). */
static int box_write(const char *tree, const char *rel, const char *text, mode_t mode, uid_t uid) {
	_cleanup_free_ char *p = NULL;
	int r;

	if (asprintf(&p, "%s%s", tree, rel) < 0)
		return -ENOMEM;
	r = write_file_atomic(p, text, strlen(text), mode, WRITE_FILE_MKDIR_PARENTS);
	if (r < 0)
		return r;
	return lchown(p, uid, uid) < 0 ? -errno : 0;
}

/* Append line to the account database rel (passwd, group, shadow, gshadow). */
static int box_append(const char *tree, const char *rel, const char *line) {
	_cleanup_free_ char *p = NULL, *text = NULL, *out = NULL;
	struct stat st;
	size_t size;
	int r;

	if (asprintf(&p, "%s%s", tree, rel) < 0)
		return -ENOMEM;
	if (stat(p, &st) < 0)
		return -errno;
	if ((r = read_full_file(p, &text, &size)) < 0)
		return r;
	if (asprintf(&out, "%s%s%s\n", text, size > 0 && text[size - 1] != '\n' ? "\n" : "", line) < 0)
		return -ENOMEM;
	r = write_file_atomic(p, out, strlen(out), st.st_mode & 07777, 0);
	if (r < 0)
		return r;
	return lchown(p, st.st_uid, st.st_gid) < 0 ? -errno : 0;
}

static int box_mkdir(const char *tree, const char *rel, mode_t mode, uid_t uid) {
	_cleanup_free_ char *p = NULL;
	if (asprintf(&p, "%s%s", tree, rel) < 0)
		return -ENOMEM;
	if (mkdir(p, mode) < 0 && errno != EEXIST)
		return -errno;
	return chown(p, uid, uid) < 0 || chmod(p, mode) < 0 ? -errno : 0;
}

/* The lowest system group id from 999 down that /etc/group of tree does not use. */
static int free_system_gid(const char *tree, unsigned *ret) {
	_cleanup_free_ char *p = NULL, *text = NULL;
	int r;

	if (asprintf(&p, "%s/etc/group", tree) < 0)
		return -ENOMEM;
	if ((r = read_full_file(p, &text, NULL)) < 0)
		return r;
	for (unsigned gid = 999; gid >= 100; gid--) {
		char needle[32];
		snprintf(needle, sizeof needle, ":x:%u:", gid);
		if (!strstr(text, needle)) {
			*ret = gid;
			return 0;
		}
	}
	return -ENOSPC;
}

/* What Vagrant needs of a box (its documentation, "Creating a Base Box"). */
static int box_vagrant_files(Build *b, const char *tree) {
	_cleanup_free_ char *pw = NULL, *gr = NULL, *sh = NULL, *gs = NULL;
	int r;

	/* The user: no password (shadow "*": nothing logs in with one; sshd's key log-in
	 * still works, as a locked "!" would not allow under every configuration). */
	if (asprintf(&pw, "vagrant:x:%d:%d:Vagrant:/home/vagrant:/bin/bash", VAGRANT_UID, VAGRANT_UID) < 0 ||
	    asprintf(&gr, "vagrant:x:%d:", VAGRANT_UID) < 0 ||
	    asprintf(&sh, "vagrant:*:%llu:0:99999:7:::", (unsigned long long) (b->epoch / 86400)) < 0 ||
	    asprintf(&gs, "vagrant:!::") < 0)
		return -ENOMEM;
	if ((r = box_append(tree, "/etc/passwd", pw)) < 0 || (r = box_append(tree, "/etc/group", gr)) < 0 ||
	    (r = box_append(tree, "/etc/shadow", sh)) < 0 || (r = box_append(tree, "/etc/gshadow", gs)) < 0)
		return r;

	/* The group "kiln" may read the supervisor's status socket (kiln-supervisor(8)): with
	 * vagrant in it, `vagrant ssh -c 'kilnctl status'` works without sudo. The node's
	 * image has no such group, so only root reads it there. */
	_cleanup_free_ char *kg = NULL;
	unsigned gid;
	if ((r = free_system_gid(tree, &gid)) < 0)
		return r;
	if (asprintf(&kg, "kiln:x:%u:vagrant", gid) < 0)
		return -ENOMEM;
	if ((r = box_append(tree, "/etc/group", kg)) < 0 || (r = box_append(tree, "/etc/gshadow", "kiln:!::vagrant")) < 0)
		return r;

	/* The home directory is on the read-only root: the key cannot be replaced (the box
	 * Vagrantfile says so to Vagrant), and nothing else needs writing there. */
	if ((r = box_mkdir(tree, "/home", 0755, 0)) < 0 || (r = box_mkdir(tree, "/home/vagrant", 0755, VAGRANT_UID)) < 0 ||
	    (r = box_mkdir(tree, "/home/vagrant/.ssh", 0700, VAGRANT_UID)) < 0 ||
	    (r = box_write(tree, "/home/vagrant/.ssh/authorized_keys", vagrant_public_key, 0600, VAGRANT_UID)) < 0)
		return r;

	static const char sudoers[] =
		"# kiln box: Vagrant runs its commands through passwordless sudo.\n"
		"vagrant ALL=(ALL) NOPASSWD: ALL\n";
	/* Sorted before the node's network files (50-kiln*, 40-kiln-<mac>): the first match
	 * wins, and Vagrant's providers hand out addresses by DHCP. */
	static const char network[] =
		"# kiln box: every Ethernet card by DHCP, as Vagrant's providers expect.\n"
		"[Match]\nType=ether\n\n[Network]\nDHCP=yes\n";
	/* Debian's ssh.service checks its configuration (sshd -t) first, which fails without
	 * host keys: make the missing ones before that, at each machine's first boot (/etc
	 * is writable then: its overlay lives on var). */
	static const char host_keys[] =
		"# kiln box: host keys are made by each machine, not shipped in the image.\n"
		"[Service]\nExecStartPre=\nExecStartPre=/usr/bin/ssh-keygen -A\nExecStartPre=/usr/sbin/sshd -t\n";
	if ((r = box_write(tree, "/etc/sudoers.d/vagrant", sudoers, 0440, 0)) < 0 ||
	    (r = box_write(tree, "/etc/systemd/network/10-kiln-box.network", network, 0644, 0)) < 0 ||
	    (r = box_write(tree, "/etc/systemd/system/ssh.service.d/kiln-host-keys.conf", host_keys, 0644, 0)) < 0)
		return r;
	return 0;
}

int box_tree_make(Build *b, const char *box_rootfs, const char *tree) {
	BoxDelta d = { .box_root = box_rootfs, .node_root = b->rootfs_tree, .tree = tree };
	_cleanup_free_ char *ssh_unit = NULL;
	int r;

	r = tree_link_copy(b->tree_dir, tree);
	if (r < 0)
		return log_error_errno(r, "Cannot copy %s to %s: %m", b->tree_dir, tree);
	r = delta_dir(&d, "");
	if (r < 0)
		return log_error_errno(r, "Cannot lay the box's packages over %s: %m", tree);
	if (d.conflict) {
		log_error("%s: changed both by the box's packages (%s and %s) and by kiln in the node's image; the box cannot have both.",
			  d.conflict, box_packages[0], box_packages[1]);
		free(d.conflict);
		return -EEXIST;
	}
	log_debug("Box tree: %zu entries from the box's packages.", d.taken);

	/* sshd must start at boot: Debian's package enables it, a profile cannot undo that. */
	if (asprintf(&ssh_unit, "%s/etc/systemd/system/multi-user.target.wants/ssh.service", tree) < 0)
		return log_oom();
	/* The link's target is absolute, in the image: not followed here. */
	struct stat st;
	if (lstat(ssh_unit, &st) < 0)
		return log_error_errno(-errno, "The box's root file system does not start sshd (%s): %m", ssh_unit);

	r = box_vagrant_files(b, tree);
	if (r < 0)
		return log_error_errno(r, "Cannot write the vagrant user's files into %s: %m", tree);
	r = tree_clamp_mtimes(tree, b->epoch);
	if (r < 0)
		return log_error_errno(r, "Cannot clamp the box tree's times: %m");
	return 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* kiln-firstboot: give a freshly booted machine its host name from the image's profile,
 * once, without a person at the console. Started by kiln-firstboot.service. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "diag.h"
#include "fd-util.h"
#include "fileio.h"
#include "identity.h"
#include "log.h"
#include "profile.h"
#include "verbs.h"

#define PROFILE_PATH "usr/lib/kiln/profile.yaml"
#define HOSTNAME_PATH "etc/hostname"
#define MACHINE_ID_PATH "etc/machine-id"

static char *arg_root = NULL;   /* NULL: "/" */
static bool arg_force = false;
static bool arg_dry_run = false;

/* "<root>/<rel>" for messages: plain "/<rel>" for the running system. */
static const char *root_prefix(void) {
	return arg_root ?: "";
}

static int help(void) {
	printf("%s [OPTIONS...]\n"
	       "\n"
	       "Give this machine its host name at first boot: the profile's nodes[] entry for\n"
	       "one of its MAC addresses, else node.hostname, else one derived from the MAC.\n"
	       "Leaves an existing /etc/hostname alone.\n"
	       "\n"
	       "Options:\n"
	       "  -h --help             Show this help\n"
	       "     --version          Show the version\n"
	       "     --root=DIR         Operate on the system image in DIR instead of /\n"
	       "     --force            Replace an existing /etc/hostname\n"
	       "     --dry-run          Print the decision, write nothing\n"
	       "\n"
	       "See kiln-firstboot(8).\n",
	       program_invocation_short_name);
	return 0;
}

static int parse_argv(int argc, char **argv) {
	enum { ARG_VERSION = 0x100, ARG_ROOT, ARG_FORCE, ARG_DRY_RUN };
	static const struct option options[] = {
		{ "help",    no_argument,       NULL, 'h'         },
		{ "version", no_argument,       NULL, ARG_VERSION },
		{ "root",    required_argument, NULL, ARG_ROOT    },
		{ "force",   no_argument,       NULL, ARG_FORCE   },
		{ "dry-run", no_argument,       NULL, ARG_DRY_RUN },
		{}
	};
	int c;

	while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
		switch (c) {
		case 'h':
			help();
			return 0;
		case ARG_VERSION:
			printf("kiln-firstboot %s\n", KILN_VERSION);
			return 0;
		case ARG_ROOT: {
			if (isempty(optarg)) {
				log_error("--root= needs a directory.");
				return -EINVAL;
			}
			char *s = strdup(optarg);
			if (!s)
				return log_error_errno(-ENOMEM, "Out of memory.");
			/* Trailing slashes only make messages read "dir//etc/hostname". */
			size_t n = strlen(s);
			while (n > 1 && s[n - 1] == '/')
				s[--n] = '\0';
			free(arg_root);
			arg_root = s;
			if (streq(arg_root, "/")) {
				free(arg_root);
				arg_root = NULL;
			}
			break;
		}
		case ARG_FORCE:
			arg_force = true;
			break;
		case ARG_DRY_RUN:
			arg_dry_run = true;
			break;
		case '?':
			return -EINVAL;
		default:
			abort();
		}
	if (optind < argc) {
		log_error("This program takes no positional arguments.");
		return -EINVAL;
	}
	return 1;
}

/* Read a small file below the root, without its trailing whitespace. -ENOENT when absent. */
static int read_root_file(int root_fd, const char *rel, char **ret) {
	_cleanup_close_ int fd = openat(root_fd, rel, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	_cleanup_free_ char *data = NULL;
	size_t n;
	int r;

	if (fd < 0)
		return negative_errno();
	r = read_full_fd_max(fd, 4096, &data, &n);
	if (r < 0)
		return r;
	while (n > 0 && strchr(" \t\r\n", data[n - 1]))
		data[--n] = '\0';
	*ret = TAKE_PTR(data);
	return 0;
}

/* 1 and the name when the system already has an identity: then it is not ours to change. */
static int existing_hostname(int root_fd, char **ret) {
	_cleanup_free_ char *name = NULL;
	int r;

	r = read_root_file(root_fd, HOSTNAME_PATH, &name);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return log_error_errno(r, "Failed to read %s/%s: %m", root_prefix(), HOSTNAME_PATH);
	if (isempty(name))
		return 0;
	*ret = TAKE_PTR(name);
	return 1;
}

static int load_profile(Profile **ret) {
	_cleanup_(diag_list_done) DiagList diags = {};
	_cleanup_free_ char *path = NULL;
	int r;

	if (asprintf(&path, "%s/%s", root_prefix(), PROFILE_PATH) < 0)
		return log_error_errno(-ENOMEM, "Out of memory.");
	r = profile_load_file(path, ret, &diags);
	if (r == -EBADMSG) {
		for (size_t i = 0; i < diags.n; i++) {
			_cleanup_free_ char *line = NULL;
			if (diag_format(&diags.items[i], &line) < 0)
				return log_error_errno(-ENOMEM, "Out of memory.");
			log_error("%s", line);
		}
		return log_error_errno(r, "Profile %s is not valid, not setting a host name.", path);
	}
	if (r < 0)
		return log_error_errno(r, "Failed to load profile %s: %m", path);
	return 0;
}

/* Which rule chose the name, for the one line an operator reads in the journal. */
static int describe(const Identity *id, char **ret) {
	char mac[MAC_ADDRESS_STRING_MAX];
	int r = -1;

	(void) mac_address_to_string(&id->mac, mac);
	switch (id->source) {
	case IDENTITY_FROM_NODES:
		r = asprintf(ret, "the profile's nodes[] entry for MAC %s", mac);
		break;
	case IDENTITY_FROM_DEFAULT:
		r = asprintf(ret, "the profile's default node.hostname (no nodes[] entry for this machine)");
		break;
	case IDENTITY_FROM_MAC:
		r = asprintf(ret, "derived from MAC %s (no nodes[] entry, no node.hostname)", mac);
		break;
	case IDENTITY_FROM_MACHINE_ID:
		r = asprintf(ret, "derived from %s/%s (no network card, no node.hostname)",
			     root_prefix(), MACHINE_ID_PATH);
		break;
	default:
		abort();
	}
	return r < 0 ? -ENOMEM : 0;
}

static int is_running_system(int root_fd) {
	struct stat a, b;

	if (fstat(root_fd, &a) < 0 || stat("/", &b) < 0)
		return negative_errno();
	return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

static int run(void) {
	_cleanup_(profile_freep) Profile *p = NULL;
	_cleanup_free_ char *existing = NULL, *machine_id = NULL, *why = NULL;
	_cleanup_free_ MacAddress *macs = NULL;
	_cleanup_close_ int root_fd = -EBADF;
	size_t n_macs = 0;
	Identity id;
	int r;

	root_fd = open(arg_root ?: "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root_fd < 0)
		return log_error_errno(negative_errno(), "Failed to open root directory %s: %m", arg_root ?: "/");

	r = existing_hostname(root_fd, &existing);
	if (r < 0)
		return r;
	if (r > 0 && !arg_force) {
		log_info("Host name '%s' is already set in %s/%s, leaving it alone (--force replaces it).",
			 existing, root_prefix(), HOSTNAME_PATH);
		return 0;
	}

	r = load_profile(&p);
	if (r < 0)
		return r;

	r = identity_read_macs(root_fd, &macs, &n_macs);
	if (r < 0)
		return log_error_errno(r, "Failed to read the network cards in %s/sys/class/net: %m", root_prefix());

	/* Only needed when there is no network card; identity_pick() says so with -ENXIO. */
	r = read_root_file(root_fd, MACHINE_ID_PATH, &machine_id);
	if (r < 0 && r != -ENOENT)
		log_debug_errno(r, "Failed to read %s/%s, ignoring: %m", root_prefix(), MACHINE_ID_PATH);

	r = identity_pick(p, macs, n_macs, machine_id, &id);
	if (r == -ENXIO)
		return log_error_errno(r, "No network card and no %s/%s to derive a host name from.",
				       root_prefix(), MACHINE_ID_PATH);
	if (r == -EBADMSG)
		return log_error_errno(r, "%s/%s is not a valid machine ID, cannot derive a host name.",
				       root_prefix(), MACHINE_ID_PATH);
	if (r < 0)
		return log_error_errno(r, "Failed to pick a host name: %m");

	r = describe(&id, &why);
	if (r < 0)
		return log_error_errno(r, "Out of memory.");
	if (id.source == IDENTITY_FROM_NODES && id.n_matches > 1)
		log_warning("%zu nodes[] entries match this machine's MACs; the first card's wins.", id.n_matches);

	if (arg_dry_run) {
		printf("%s: %s\n", id.hostname, why);
		return 0;
	}

	char line[IDENTITY_HOSTNAME_MAX + 1];
	int n = snprintf(line, sizeof line, "%s\n", id.hostname);
	r = write_file_atomic_at(root_fd, HOSTNAME_PATH, line, (size_t) n, 0644, WRITE_FILE_MKDIR_PARENTS);
	if (r < 0)
		return log_error_errno(r, "Failed to write %s/%s: %m", root_prefix(), HOSTNAME_PATH);

	/* systemd set the kernel's host name from /etc/hostname before this ran, when there
	 * was none: give the running system the new one now, not at the next boot. */
	r = is_running_system(root_fd);
	if (r < 0)
		return log_error_errno(r, "Failed to compare %s with /: %m", arg_root ?: "/");
	if (r > 0 && sethostname(id.hostname, strlen(id.hostname)) < 0)
		return log_error_errno(negative_errno(), "Wrote %s/%s, but failed to set the host name to %s: %m",
				       root_prefix(), HOSTNAME_PATH, id.hostname);

	log_info("Host name set to %s: %s.", id.hostname, why);
	return 0;
}

int main(int argc, char **argv) {
	int r;

	log_setup();
	r = parse_argv(argc, argv);
	if (r > 0)
		r = run() < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
	else
		r = r < 0 ? EXIT_USAGE : EXIT_SUCCESS;
	free(arg_root);
	return r;
}

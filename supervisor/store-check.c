/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* kiln-store-check: before containerd starts (ExecStartPre= of containerd.service),
 * restore its databases from the image's seed when they are missing or corrupt, so that
 * containerd never starts on an empty database and collects the seeded images as garbage.
 * Runs at every start of containerd: for a valid store it reads one 64-byte meta record
 * per database (10 system calls in all beyond the process's start) and writes nothing. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "fd-util.h"
#include "log.h"
#include "store-seed.h"
#include "verbs.h"

static const char *arg_root = STORE_SEED_ROOT;
static const char *arg_seed = STORE_SEED_DIR;

static int help(void) {
	printf("%s [OPTIONS...]\n"
	       "\n"
	       "Check containerd's databases before containerd starts; restore a missing or\n"
	       "corrupt one from the copy the image was built with.\n"
	       "\n"
	       "Options:\n"
	       "  -h --help             Show this help\n"
	       "     --version          Show the version\n"
	       "     --root=DIR         containerd's root directory (default: %s)\n"
	       "     --seed=DIR         The image's copy of the databases (default: %s)\n"
	       "\n"
	       "See kiln-store-check(8).\n",
	       program_invocation_short_name, STORE_SEED_ROOT, STORE_SEED_DIR);
	return 0;
}

static int parse_argv(int argc, char **argv) {
	enum { ARG_VERSION = 0x100, ARG_ROOT, ARG_SEED };
	static const struct option options[] = {
		{ "help",    no_argument,       NULL, 'h'         },
		{ "version", no_argument,       NULL, ARG_VERSION },
		{ "root",    required_argument, NULL, ARG_ROOT    },
		{ "seed",    required_argument, NULL, ARG_SEED    },
		{}
	};
	int c;

	while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
		switch (c) {
		case 'h':
			help();
			return 0;
		case ARG_VERSION:
			printf("kiln-store-check %s\n", KILN_VERSION);
			return 0;
		case ARG_ROOT:
		case ARG_SEED:
			if (isempty(optarg)) {
				log_error("--%s= needs a directory.", c == ARG_ROOT ? "root" : "seed");
				return -EINVAL;
			}
			*(c == ARG_ROOT ? &arg_root : &arg_seed) = optarg;
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

/* How each event is logged: a database left alone for a reason a person should know is
 * a warning; a restore is a notice (the node heals, but something broke it). */
static const struct {
	int level;
	const char *field;   /* KILN_STORE_<field>=<database path> */
} event_log[_STORE_SEED_EVENT_MAX] = {
	[STORE_SEED_VALID]       = { LOG_DEBUG,   "KILN_STORE_VALID"       },
	[STORE_SEED_IN_USE]      = { LOG_WARNING, "KILN_STORE_IN_USE"      },
	[STORE_SEED_UNREADABLE]  = { LOG_WARNING, "KILN_STORE_UNREADABLE"  },
	[STORE_SEED_NO_DATA]     = { LOG_WARNING, "KILN_STORE_NO_DATA"     },
	[STORE_SEED_MOVED_ASIDE] = { LOG_NOTICE,  "KILN_STORE_MOVED_ASIDE" },
	[STORE_SEED_RESTORED]    = { LOG_NOTICE,  "KILN_STORE_RESTORED"    },
	[STORE_SEED_PRUNED]      = { LOG_NOTICE,  "KILN_STORE_PRUNED"      },
};

static unsigned n_restored;

static void on_report(const StoreSeedReport *r, void *userdata) {
	const StoreDatabase *db = r->database;
	const char *root = userdata;
	_cleanup_free_ char *path = NULL;

	if (asprintf(&path, "%s/%s", root, db->path) < 0)
		path = NULL;
	const char *p = path ?: db->path;
	int level = event_log[r->event].level;

	if (r->event == STORE_SEED_RESTORED)
		n_restored++;

#define FIELDS LOG_FIELDS({ event_log[r->event].field, p }, { "KILN_STORE_REASON", r->reason })
	switch (r->event) {
	case STORE_SEED_VALID:
		log_struct(level, 0, FIELDS, "%s is valid: %s.", db->what, p);
		break;
	case STORE_SEED_IN_USE:
		log_struct(level, 0, FIELDS, "%s is locked by a running containerd, not checked: %s.", db->what, p);
		break;
	case STORE_SEED_UNREADABLE:
		log_struct(level, r->error, FIELDS, "Cannot read %s, leaving it to containerd: %s: %m", db->what, p);
		break;
	case STORE_SEED_NO_DATA:
		log_struct(level, 0, FIELDS,
			   "%s is %s, and what it describes is gone too (%s/%s): not restoring it, the seeded "
			   "images must be rebuilt.", p, r->reason, root, db->data);
		break;
	case STORE_SEED_MOVED_ASIDE: {
		_cleanup_free_ char *moved = NULL;
		if (asprintf(&moved, "%s/%s", root, r->moved_to) < 0)
			moved = NULL;
		log_struct(level, 0,
			   LOG_FIELDS({ event_log[r->event].field, moved ?: r->moved_to }, { "KILN_STORE_REASON", r->reason }),
			   "%s is corrupt (%s): moved aside to %s.", p, r->reason, moved ?: r->moved_to);
		break;
	}
	case STORE_SEED_RESTORED:
		log_struct(level, 0, FIELDS, "Restored %s from the image's seed (it was %s): %s.", db->what,
			   streq(r->reason, "missing") || streq(r->reason, STORE_SEED_REASON_PARTNER) ? r->reason : "corrupt", p);
		break;
	case STORE_SEED_PRUNED: {
		_cleanup_free_ char *dir = NULL;
		if (asprintf(&dir, "%s/%s", root, r->moved_to) < 0)
			dir = NULL;
		log_struct(level, 0, LOG_FIELDS({ event_log[r->event].field, dir ?: r->moved_to }),
			   "Removed %s: a snapshot the restored records do not know.", dir ?: r->moved_to);
		break;
	}
	default:
		abort();
	}
#undef FIELDS
}

static const char *restore_error(int r) {
	switch (r) {
	case -ENOENT:
		return "the seed has no copy of it";
	case -EBADMSG:
		return "the seed's copy is not a usable database either";
	default:
		return NULL;
	}
}

static int run(void) {
	_cleanup_close_ int root_fd = -EBADF, seed_fd = -EBADF;
	int failed = 0;

	/* An image without a seeded store (built --without-kubernetes): nothing to protect. */
	seed_fd = open(arg_seed, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (seed_fd < 0 && errno == ENOENT) {
		log_debug("No seeded store at %s, nothing to check.", arg_seed);
		return 0;
	}
	if (seed_fd < 0)
		return log_error_errno(negative_errno(), "Failed to open the seed %s: %m", arg_seed);

	root_fd = open(arg_root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root_fd < 0 && errno == ENOENT) {
		log_struct(LOG_WARNING, 0, LOG_FIELDS({ "KILN_STORE_NO_DATA", arg_root }),
			   "containerd's store %s is gone: not restoring its databases, the seeded images "
			   "must be rebuilt.", arg_root);
		return 0;
	}
	if (root_fd < 0)
		return log_error_errno(negative_errno(), "Failed to open containerd's store %s: %m", arg_root);

	usec_t t = now(CLOCK_REALTIME);
	bool restored[STORE_DATABASES_N] = {}, any = false;
	for (size_t i = 0; i < store_databases_n; i++) {
		const StoreDatabase *db = &store_databases[i];
		unsigned before = n_restored;
		int r = store_seed_check(root_fd, seed_fd, db, t, on_report, (void *) arg_root);
		restored[i] = n_restored > before;
		any = any || restored[i];
		if (r < 0) {
			_cleanup_free_ char *path = NULL;
			const char *why = restore_error(r);
			if (asprintf(&path, "%s/%s", arg_root, db->path) < 0)
				return log_oom();
			if (why)
				log_struct(LOG_ERR, r, LOG_FIELDS({ "KILN_STORE_FAILED", path }),
					   "Failed to restore %s from %s/%s: %s.", path, arg_seed, db->path, why);
			else
				log_struct(LOG_ERR, r, LOG_FIELDS({ "KILN_STORE_FAILED", path }),
					   "Failed to restore %s from %s/%s: %m", path, arg_seed, db->path);
			failed = r;
		}
	}
	/* One database restored: the other goes back to the seed's state with it. */
	if (any && !failed) {
		int r = store_seed_restore_all(root_fd, seed_fd, restored, on_report, (void *) arg_root);
		if (r < 0) {
			log_struct(LOG_ERR, r, LOG_FIELDS({ "KILN_STORE_FAILED", arg_root }),
				   "Failed to put containerd's store %s back to the seed's state: %m", arg_root);
			failed = r;
		}
	}
	return failed;
}

int main(int argc, char **argv) {
	int r;

	log_setup();
	r = parse_argv(argc, argv);
	if (r > 0)
		r = run() < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
	else
		r = r < 0 ? EXIT_USAGE : EXIT_SUCCESS;
	return r;
}

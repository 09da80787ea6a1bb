/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* kiln-confine: check, show and run under the node's security profiles (profiles/security/,
 * in an image at /usr/lib/kiln/security). "run" takes the same harden-then-exec steps
 * (confine.h) the supervisor's spawn_full() takes for its helpers, in this process. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "confine.h"
#include "helper-security.h"
#include "log.h"
#include "process-util.h"
#include "security-profile.h"
#include "syscall-groups.h"
#include "verbs.h"

static const char *arg_dir = HELPER_SECURITY_DIR;

static int help(void) {
	printf("%s [OPTIONS...] COMMAND ...\n"
	       "\n"
	       "Check, show and run under the node's security profiles.\n"
	       "\n"
	       "Commands:\n"
	       "  check PROFILE...        Validate profiles; exit 2 with file:line:column if any is not valid\n"
	       "  show PROFILE...         Compile profiles and print what each allows\n"
	       "  list                    List the syscall groups\n"
	       "  run PROFILE -- CMD...   Run CMD confined by PROFILE, exit with its status\n"
	       "\n"
	       "PROFILE is a name (looked up in the profile directory) or a path to a .yaml file.\n"
	       "\n"
	       "Options:\n"
	       "  -h --help               Show this help\n"
	       "     --version            Show the version\n"
	       "     --profile-dir=DIR    Where named profiles are (default: %s)\n"
	       "\n"
	       "See kiln-confine(8) and kiln-security(5).\n",
	       program_invocation_short_name, HELPER_SECURITY_DIR);
	return 0;
}

static void print_diags(const DiagList *diags) {
	for (size_t i = 0; i < diags->n; i++) {
		_cleanup_free_ char *line = NULL;
		if (diag_format(&diags->items[i], &line) >= 0)
			fprintf(stderr, "%s\n", line);
	}
}

/* 0, EXIT_USAGE for an invalid profile (reported), or -errno (logged). */
static int load(const char *what, SecurityProfile **ret) {
	_cleanup_(diag_list_done) DiagList diags = {};
	int r;

	if (strchr(what, '/'))
		r = security_profile_load_file(what, ret, &diags);
	else
		r = security_profile_load_named(arg_dir, what, ret, &diags);
	if (r == -EBADMSG) {
		print_diags(&diags);
		return EXIT_USAGE;
	}
	if (r < 0)
		return log_error_errno(r, "%s: %m", what);
	return 0;
}

/* load(), then compile: 0, EXIT_USAGE or EXIT_FAILURE (reported). */
static int load_compiled(const char *what, SecurityProfile **ret_profile, Confinement **ret) {
	_cleanup_(security_profile_freep) SecurityProfile *p = NULL;
	_cleanup_free_ char *why = NULL;
	int r = load(what, &p);
	if (r != 0)
		return r < 0 ? EXIT_FAILURE : r;
	r = confinement_prepare(p, ret, &why);
	if (r < 0) {
		log_error("%s: %s", p->file, why ?: strerror(-r));
		return EXIT_FAILURE;
	}
	*ret_profile = TAKE_PTR(p);
	return 0;
}

static int verb_check(int argc, char **argv) {
	int ret = EXIT_SUCCESS;

	for (int i = 1; i < argc; i++) {
		_cleanup_(security_profile_freep) SecurityProfile *p = NULL;
		int r = load(argv[i], &p);
		if (r == EXIT_USAGE)
			ret = EXIT_USAGE;
		else if (r < 0 && ret == EXIT_SUCCESS)
			ret = EXIT_FAILURE;
	}
	return ret;
}

static void print_caps(const char *label, uint64_t mask) {
	_cleanup_free_ char *names = NULL;
	(void) security_capability_names(mask, &names);
	printf("  %-22s%s\n", label, names && *names ? names : "(none)");
}

static int verb_show(int argc, char **argv) {
	for (int i = 1; i < argc; i++) {
		_cleanup_(security_profile_freep) SecurityProfile *p = NULL;
		_cleanup_(confinement_freep) Confinement *c = NULL;
		int r = load_compiled(argv[i], &p, &c);
		if (r != 0)
			return r;
		printf("%s: %s\n", p->name, p->description);
		printf("  %-22s%s:%s%s\n", "user:group", p->user, p->group, p->n_supplementary_groups ? " (+groups)" : "");
		printf("  %-22s%zu (%zu BPF instructions)\n", "syscalls allowed", confinement_syscalls_allowed(c),
		       confinement_bpf_instructions(c));
		printf("  %-22s%s\n", "other syscalls",
		       confinement_kills(c) ? "kill the process" :
		       seccomp_errno_to_string(p->seccomp.errno_value == _SECCOMP_ERRNO_UNSET ? SECCOMP_ERRNO_EPERM
											: p->seccomp.errno_value));
		print_caps("capabilities kept", confinement_ambient(c));
		print_caps("bounding set", confinement_bounding(c));
		printf("  %-22s%s\n", "no_new_privs", p->no_new_privileges ? "yes" : "no");
		printf("  %-22s", "writable paths");
		for (size_t j = 0; j < p->n_writable_paths; j++)
			printf("%s%s", j ? " " : "", p->writable_paths[j]);
		printf("%s\n", p->n_writable_paths ? "" : "(none)");
	}
	return fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

static int verb_list(int argc, char **argv) {
	size_t n = syscall_set_size();
	for (size_t i = 0; i < syscall_groups_count; i++) {
		_cleanup_free_ bool *set = calloc(n, sizeof(bool));
		if (!set)
			return log_oom();
		int k = syscall_set_add(set, n, syscall_groups[i].name);
		printf("%-16s %3d  %s\n", syscall_groups[i].name, k, syscall_groups[i].help);
	}
	return fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* Harden, then exec in place: kiln-confine becomes the command, so that no unconfined
 * parent stays behind it (in a unit of the executor, the command is the unit's main
 * process, and the only one). */
static int verb_run(int argc, char **argv) {
	_cleanup_(security_profile_freep) SecurityProfile *p = NULL;
	_cleanup_(confinement_freep) Confinement *c = NULL;
	ConfineStep step;
	int r;

	if (argc < 3) {
		log_error("run: give a profile and a command.");
		return EXIT_USAGE;
	}
	r = load_compiled(argv[1], &p, &c);
	if (r != 0)
		return r;
	r = exec_confined((const char *const *) argv + 2, c, &step);
	if (step != _CONFINE_STEP_NONE) {
		log_error_errno(r, "%s: confinement step \"%s\" failed: %m", argv[2], confine_step_to_string(step));
		return confine_step_exit_code(step);
	}
	log_error_errno(r, "%s: could not start it: %m", argv[2]);
	return 127;
}

static const Verb verbs[] = {
	{ "check", 2, VERB_ANY, verb_check },
	{ "show",  2, VERB_ANY, verb_show  },
	{ "list",  1, 1,        verb_list  },
	{ "run",   3, VERB_ANY, verb_run   },
};

static int parse_argv(int argc, char **argv) {
	enum { ARG_VERSION = 0x100, ARG_PROFILE_DIR };
	static const struct option options[] = {
		{ "help",        no_argument,       NULL, 'h'             },
		{ "version",     no_argument,       NULL, ARG_VERSION     },
		{ "profile-dir", required_argument, NULL, ARG_PROFILE_DIR },
		{}
	};
	int c;

	/* "+": stop at the first non-option, so "run P -- cmd --flag" reaches the command. */
	while ((c = getopt_long(argc, argv, "+h", options, NULL)) >= 0)
		switch (c) {
		case 'h':
			help();
			return 0;
		case ARG_VERSION:
			printf("kiln-confine %s\n", KILN_VERSION);
			return 0;
		case ARG_PROFILE_DIR:
			if (isempty(optarg)) {
				log_error("--profile-dir= needs a directory.");
				return -EINVAL;
			}
			arg_dir = optarg;
			break;
		case '?':
			return -EINVAL;
		default:
			abort();
		}
	if (optind >= argc) {
		log_error("No command given; see --help.");
		return -EINVAL;
	}
	return 1;
}

int main(int argc, char **argv) {
	int r;

	log_setup();
	r = parse_argv(argc, argv);
	if (r <= 0)
		return r < 0 ? EXIT_USAGE : EXIT_SUCCESS;
	/* "run PROFILE -- CMD": drop the "--" that separates the command. */
	if (argc - optind >= 3 && streq(argv[optind], "run") && streq(argv[optind + 2], "--")) {
		memmove(argv + optind + 2, argv + optind + 3, (size_t) (argc - optind - 3 + 1) * sizeof(char *));
		argc--;
	}
	return dispatch_verb(argc - optind, argv + optind, verbs, ELEMENTSOF(verbs));
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/landlock.h>
#include <linux/seccomp.h>
#include <linux/securebits.h>
#include <pwd.h>
#include <seccomp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "confine.h"
#include "fd-util.h"
#include "fileio.h"
#include "syscall-groups.h"

/* Rights of later Landlock ABIs, for headers older than the running kernel. */
#ifndef LANDLOCK_ACCESS_FS_REFER
#define LANDLOCK_ACCESS_FS_REFER (1ULL << 13)
#endif
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif
#ifndef LANDLOCK_CREATE_RULESET_VERSION
#define LANDLOCK_CREATE_RULESET_VERSION (1U << 0)
#endif

struct Confinement {
	char *name;
	uint64_t bounding, ambient;
	int cap_last;                   /* /proc/sys/kernel/cap_last_cap */
	uid_t uid;
	gid_t gid;
	gid_t *groups;
	size_t n_groups;
	bool no_new_privs;
	int landlock_fd;                /* -1: writes are not restricted */
	struct sock_filter *bpf;
	size_t n_bpf;
	size_t n_syscalls;
	bool kills;
};

static const char *const step_names[_CONFINE_STEP_MAX] = {
	[CONFINE_STEP_FDS] = "fds",
	[CONFINE_STEP_BOUNDING] = "bounding",
	[CONFINE_STEP_SECUREBITS] = "securebits",
	[CONFINE_STEP_GROUPS] = "groups",
	[CONFINE_STEP_GID] = "gid",
	[CONFINE_STEP_UID] = "uid",
	[CONFINE_STEP_CAPABILITIES] = "capabilities",
	[CONFINE_STEP_AMBIENT] = "ambient",
	[CONFINE_STEP_NO_NEW_PRIVS] = "no-new-privileges",
	[CONFINE_STEP_LANDLOCK] = "landlock",
	[CONFINE_STEP_SECCOMP] = "seccomp",
};

const char *confine_step_to_string(ConfineStep s) {
	return (int) s >= 0 && s < _CONFINE_STEP_MAX ? step_names[s] : NULL;
}

Confinement *confinement_free(Confinement *c) {
	if (!c)
		return NULL;
	safe_close(c->landlock_fd);
	free(c->name);
	free(c->groups);
	free(c->bpf);
	free(c);
	return NULL;
}

int confinement_keep_fd(const Confinement *c) {
	return c ? c->landlock_fd : -1;
}
const char *confinement_name(const Confinement *c) {
	return c->name;
}
size_t confinement_syscalls_allowed(const Confinement *c) {
	return c->n_syscalls;
}
size_t confinement_bpf_instructions(const Confinement *c) {
	return c->n_bpf;
}
uint64_t confinement_bounding(const Confinement *c) {
	return c->bounding;
}
uint64_t confinement_ambient(const Confinement *c) {
	return c->ambient;
}
bool confinement_kills(const Confinement *c) {
	return c->kills;
}

_printf_(2, 3) static int fail(char **ret_error, const char *fmt, ...) {
	if (ret_error) {
		va_list ap;
		va_start(ap, fmt);
		if (vasprintf(ret_error, fmt, ap) < 0)
			*ret_error = NULL;
		va_end(ap);
	}
	return -EINVAL;
}

static int parse_id(const char *s, unsigned long *ret) {
	char *end;
	if (!(s[0] >= '0' && s[0] <= '9'))
		return -EINVAL;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || *end || v >= (unsigned long) (uid_t) -1)
		return -ERANGE;
	*ret = v;
	return 0;
}

/* "root" is 0 on every Linux system: no NSS lookup for it, so that the default identity
 * works where there is no passwd or group file (the installer's initramfs). */
static int resolve_user(const char *s, uid_t *ret, char **ret_error) {
	unsigned long v;
	if (streq(s, "root")) {
		*ret = 0;
		return 0;
	}
	if (parse_id(s, &v) == 0) {
		*ret = (uid_t) v;
		return 0;
	}
	errno = 0;
	struct passwd *pw = getpwnam(s);        /* before fork, in the parent: NSS is fine here */
	if (!pw)
		return fail(ret_error, "user \"%s\": %s", s, errno ? strerror(errno) : "no such user");
	*ret = pw->pw_uid;
	return 0;
}

static int resolve_group(const char *s, gid_t *ret, char **ret_error) {
	unsigned long v;
	if (streq(s, "root")) {
		*ret = 0;
		return 0;
	}
	if (parse_id(s, &v) == 0) {
		*ret = (gid_t) v;
		return 0;
	}
	errno = 0;
	struct group *gr = getgrnam(s);
	if (!gr)
		return fail(ret_error, "group \"%s\": %s", s, errno ? strerror(errno) : "no such group");
	*ret = gr->gr_gid;
	return 0;
}

static int read_cap_last(int *ret) {
	_cleanup_free_ char *t = NULL;
	int r = read_full_file("/proc/sys/kernel/cap_last_cap", &t, NULL);
	if (r < 0)
		return r;
	int v = atoi(t);
	if (v <= 0 || v >= 64)
		return -EINVAL;
	*ret = v;
	return 0;
}

static unsigned long forbidden_namespaces(const SecuritySeccomp *s) {
	unsigned long all = 0, allowed = 0;
	for (NamespaceType t = 0; t < _NAMESPACE_TYPE_MAX; t++)
		all |= namespace_type_flag(t);
	for (size_t i = 0; i < s->n_namespaces; i++)
		allowed |= namespace_type_flag(s->namespaces[i]);
	return all & ~allowed;
}

/* The allow-list, with the argument filters on socket, clone, clone3, unshare and setns. */
static int add_rules(scmp_filter_ctx ctx, const SecuritySeccomp *s, const bool *allowed, size_t n) {
	unsigned long forbidden = forbidden_namespaces(s);
	int nr_socket = syscall_resolve("socket"), nr_clone = syscall_resolve("clone"),
	    nr_clone3 = syscall_resolve("clone3"), nr_unshare = syscall_resolve("unshare"),
	    nr_setns = syscall_resolve("setns");
	int r;

	for (size_t nr = 0; nr < n; nr++) {
		if (!allowed[nr])
			continue;
		if ((int) nr == nr_socket) {
			for (size_t i = 0; i < s->n_socket_families; i++) {
				r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, (int) nr, 1,
						     SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t) socket_family_value(s->socket_families[i])));
				if (r < 0)
					return r;
			}
			continue;
		}
		if (forbidden != 0 && ((int) nr == nr_clone || (int) nr == nr_unshare)) {
			/* clone's and unshare's first argument is the flags on this architecture. */
			r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, (int) nr, 1, SCMP_A0(SCMP_CMP_MASKED_EQ, forbidden, 0));
			if (r < 0)
				return r;
			continue;
		}
		if (forbidden != 0 && (int) nr == nr_clone3) {
			/* Its flags sit in a struct a filter cannot read: ENOSYS makes glibc fall
			 * back to clone(), which is filtered (systemd does the same). */
			r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), (int) nr, 0);
			if (r < 0)
				return r;
			continue;
		}
		if (forbidden != 0 && (int) nr == nr_setns)
			continue;       /* setns(fd, 0) enters any type: only with every type allowed */
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, (int) nr, 0);
		if (r < 0)
			return r;
	}
	return 0;
}

static int compile_seccomp(const SecuritySeccomp *s, Confinement *c, char **ret_error) {
	size_t n = syscall_set_size();
	_cleanup_free_ bool *allowed = NULL;
	_cleanup_close_ int fd = -EBADF;
	_cleanup_free_ char *buf = NULL;
	scmp_filter_ctx ctx;
	size_t size;
	int r;

	r = syscall_set_new(s->allow, s->n_allow, &allowed);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return fail(ret_error, "seccomp.allow: %s", strerror(-r));
	c->n_syscalls = 0;
	for (size_t i = 0; i < n; i++)
		c->n_syscalls += allowed[i];

	c->kills = s->default_action == SECCOMP_DEFAULT_KILL;
	uint32_t def = c->kills ? SCMP_ACT_KILL_PROCESS : SCMP_ACT_ERRNO(seccomp_errno_value(s->errno_value));
	ctx = seccomp_init(def);
	if (!ctx)
		return -ENOMEM;
	/* We set PR_SET_NO_NEW_PRIVS ourselves, as its own step (or not, as the profile says). */
	r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	if (r >= 0)
		r = add_rules(ctx, s, allowed, n);
	if (r >= 0) {
		fd = memfd_create("kiln-seccomp", MFD_CLOEXEC);
		r = fd < 0 ? -errno : seccomp_export_bpf(ctx, fd);
	}
	seccomp_release(ctx);
	if (r < 0)
		return fail(ret_error, "seccomp filter: %s", strerror(-r));
	if (lseek(fd, 0, SEEK_SET) < 0)
		return -errno;
	r = read_full_fd(fd, &buf, &size);
	if (r < 0)
		return r;
	if (size == 0 || size % sizeof(struct sock_filter) != 0 || size / sizeof(struct sock_filter) > BPF_MAXINSNS)
		return fail(ret_error, "seccomp filter: %zu bytes of BPF, not a filter the kernel takes", size);
	c->bpf = malloc(size);
	if (!c->bpf)
		return -ENOMEM;
	memcpy(c->bpf, buf, size);
	c->n_bpf = size / sizeof(struct sock_filter);
	return 0;
}

/* Write rights: Landlock here restricts changes only, reads stay as uid and caps allow. */
static uint64_t landlock_write_rights(int abi) {
	uint64_t r = LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_REMOVE_DIR | LANDLOCK_ACCESS_FS_REMOVE_FILE |
		     LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG |
		     LANDLOCK_ACCESS_FS_MAKE_SOCK | LANDLOCK_ACCESS_FS_MAKE_FIFO | LANDLOCK_ACCESS_FS_MAKE_BLOCK |
		     LANDLOCK_ACCESS_FS_MAKE_SYM;
	if (abi >= 2)
		r |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		r |= LANDLOCK_ACCESS_FS_TRUNCATE;
	return r;
}

#define LANDLOCK_FILE_RIGHTS (LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_TRUNCATE)

static int build_landlock(const SecurityProfile *p, Confinement *c, char **ret_error) {
	for (size_t i = 0; i < p->n_writable_paths; i++)
		if (streq(p->writable_paths[i], "/"))
			return 0;       /* every path: nothing to restrict */

	int abi = (int) syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	if (abi < 0)
		return fail(ret_error, "writablePaths needs Landlock, which this kernel does not offer (%s)",
			    strerror(errno));
	uint64_t handled = landlock_write_rights(abi);
	struct landlock_ruleset_attr attr = { .handled_access_fs = handled };
	_cleanup_close_ int fd = (int) syscall(SYS_landlock_create_ruleset, &attr, sizeof attr, 0);
	if (fd < 0)
		return fail(ret_error, "Landlock ruleset: %s", strerror(errno));

	/* Writing to /dev/null changes nothing, and tools open it for writing all the time
	 * (a shell's "2>/dev/null"): every profile may. */
	for (size_t i = 0; i <= p->n_writable_paths; i++) {
		const char *path = i < p->n_writable_paths ? p->writable_paths[i] : "/dev/null";
		_cleanup_close_ int pfd = open(path, O_PATH | O_CLOEXEC);
		struct stat st;
		if (pfd < 0 || fstat(pfd, &st) < 0)
			return fail(ret_error, "writable path \"%s\": %s", path, strerror(errno));
		struct landlock_path_beneath_attr rule = {
			.allowed_access = S_ISDIR(st.st_mode) ? handled : handled & LANDLOCK_FILE_RIGHTS,
			.parent_fd = pfd,
		};
		if (syscall(SYS_landlock_add_rule, fd, LANDLOCK_RULE_PATH_BENEATH, &rule, 0) < 0)
			return fail(ret_error, "writable path \"%s\": Landlock: %s", path, strerror(errno));
	}
	c->landlock_fd = TAKE_FD(fd);
	return 0;
}

int confinement_prepare(const SecurityProfile *p, Confinement **ret, char **ret_error) {
	_cleanup_(confinement_freep) Confinement *c = NULL;
	int r;

	if (ret_error)
		*ret_error = NULL;
	c = calloc(1, sizeof *c);
	if (!c)
		return -ENOMEM;
	c->landlock_fd = -EBADF;
	c->name = strdup(p->name);
	if (!c->name)
		return -ENOMEM;
	if (security_capability_mask(p->capabilities.bounding, p->capabilities.n_bounding, &c->bounding) < 0 ||
	    security_capability_mask(p->capabilities.ambient, p->capabilities.n_ambient, &c->ambient) < 0)
		return fail(ret_error, "capabilities: a name libcap does not know");
	r = read_cap_last(&c->cap_last);
	if (r < 0)
		return fail(ret_error, "/proc/sys/kernel/cap_last_cap: %s", strerror(-r));

	r = resolve_user(p->user, &c->uid, ret_error);
	if (r < 0)
		return r;
	r = resolve_group(p->group, &c->gid, ret_error);
	if (r < 0)
		return r;
	if (p->n_supplementary_groups > 0) {
		c->groups = calloc(p->n_supplementary_groups, sizeof(gid_t));
		if (!c->groups)
			return -ENOMEM;
		for (size_t i = 0; i < p->n_supplementary_groups; i++) {
			r = resolve_group(p->supplementary_groups[i], &c->groups[i], ret_error);
			if (r < 0)
				return r;
		}
		c->n_groups = p->n_supplementary_groups;
	}
	c->no_new_privs = p->no_new_privileges;

	r = build_landlock(p, c, ret_error);
	if (r < 0)
		return r;
	r = compile_seccomp(&p->seccomp, c, ret_error);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(c);
	return 0;
}

/* --- In the child: system calls only. --- */

/* setgroups() needs CAP_SETGID even when it changes nothing; a caller that already has
 * exactly these groups (a root service has none) need not hold it. setresuid() and
 * setresgid() to the ids a process has need no capability by themselves. */
static bool groups_are(const gid_t *want, size_t n) {
	gid_t cur[64];
	int k = getgroups(ELEMENTSOF(cur), cur);

	if (k < 0 || (size_t) k != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		bool found = false;
		for (int j = 0; j < k && !found; j++)
			found = cur[j] == want[i];
		if (!found)
			return false;
	}
	return true;
}

#define STEP(s, expr)                                   \
	do {                                            \
		if ((expr) < 0) {                       \
			*ret_step = (s);                \
			return -errno;                  \
		}                                       \
	} while (0)

int confinement_apply(const Confinement *c, ConfineStep *ret_step) {
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2] = {};

	for (int cap = 0; cap <= c->cap_last; cap++)
		if (!(c->bounding & (UINT64_C(1) << cap)) && prctl(PR_CAPBSET_READ, cap, 0, 0, 0) > 0)
			STEP(CONFINE_STEP_BOUNDING, prctl(PR_CAPBSET_DROP, cap, 0, 0, 0));

	/* NOROOT: uid 0 gains nothing at execve() but the ambient set. KEEP_CAPS: the
	 * permitted set survives setresuid() away from 0 (execve() clears the bit). */
	STEP(CONFINE_STEP_SECUREBITS,
	     prctl(PR_SET_SECUREBITS, SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_KEEP_CAPS, 0, 0, 0));

	if (!groups_are(c->groups, c->n_groups))
		STEP(CONFINE_STEP_GROUPS, setgroups(c->n_groups, c->groups));
	STEP(CONFINE_STEP_GID, setresgid(c->gid, c->gid, c->gid));
	STEP(CONFINE_STEP_UID, setresuid(c->uid, c->uid, c->uid));

	d[0].permitted = d[0].effective = d[0].inheritable = (uint32_t) c->ambient;
	d[1].permitted = d[1].effective = d[1].inheritable = (uint32_t) (c->ambient >> 32);
	STEP(CONFINE_STEP_CAPABILITIES, syscall(SYS_capset, &h, d));

	STEP(CONFINE_STEP_AMBIENT, prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0));
	for (int cap = 0; cap <= c->cap_last; cap++)
		if (c->ambient & (UINT64_C(1) << cap))
			STEP(CONFINE_STEP_AMBIENT, prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0));

	if (c->no_new_privs)
		STEP(CONFINE_STEP_NO_NEW_PRIVS, prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0));

	if (c->landlock_fd >= 0) {
		STEP(CONFINE_STEP_LANDLOCK, syscall(SYS_landlock_restrict_self, c->landlock_fd, 0));
		(void) close(c->landlock_fd);   /* kept for this step only: the helper gets none */
	}

	struct sock_fprog prog = { .len = (unsigned short) c->n_bpf, .filter = c->bpf };
	STEP(CONFINE_STEP_SECCOMP, syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog));
	return 0;
}

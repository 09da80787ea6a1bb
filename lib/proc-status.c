/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc-util.h"
#include "fileio.h"
#include "macro.h"
#include "proc-status.h"

enum {
	SEEN_NAME = 1 << 0, SEEN_PPID = 1 << 1, SEEN_UID = 1 << 2, SEEN_CAPPRM = 1 << 3,
	SEEN_CAPEFF = 1 << 4, SEEN_CAPBND = 1 << 5, SEEN_CAPAMB = 1 << 6, SEEN_NNP = 1 << 7,
	SEEN_SECCOMP = 1 << 8,
	SEEN_ALL = (1 << 9) - 1,
};

static int parse_u64(const char *s, int base, uint64_t *ret) {
	char *end;

	if (!*s || *s == '-' || *s == '+')
		return -EBADMSG;
	errno = 0;
	unsigned long long v = strtoull(s, &end, base);
	if (errno != 0 || end == s || *end != '\0')
		return -EBADMSG;
	*ret = v;
	return 0;
}

/* One "Key:\tvalue" line; value is the text after the tab(s), line without its newline. */
static int parse_line(const char *key, const char *value, ProcStatus *st, unsigned *seen) {
	static const struct {
		const char *key;
		unsigned bit;
		size_t offset;
	} caps[] = {
		{ "CapPrm", SEEN_CAPPRM, offsetof(ProcStatus, cap_permitted) },
		{ "CapEff", SEEN_CAPEFF, offsetof(ProcStatus, cap_effective) },
		{ "CapBnd", SEEN_CAPBND, offsetof(ProcStatus, cap_bounding)  },
		{ "CapAmb", SEEN_CAPAMB, offsetof(ProcStatus, cap_ambient)   },
	};
	uint64_t v;
	int r;

	for (size_t i = 0; i < ELEMENTSOF(caps); i++)
		if (streq(key, caps[i].key)) {
			/* 16 hex digits: the kernel prints every capability set in full. */
			if (strlen(value) != 16 || parse_u64(value, 16, &v) < 0)
				return -EBADMSG;
			*(uint64_t *) ((uint8_t *) st + caps[i].offset) = v;
			*seen |= caps[i].bit;
			return 0;
		}
	if (streq(key, "Name")) {
		/* comm is at most 15 bytes; the kernel escapes what is not printable. */
		if (strlen(value) >= sizeof(st->name))
			return -EBADMSG;
		strcpy(st->name, value);
		*seen |= SEEN_NAME;
	} else if (streq(key, "PPid")) {
		if (parse_u64(value, 10, &v) < 0 || v > INT32_MAX)
			return -EBADMSG;
		st->ppid = (pid_t) v;
		*seen |= SEEN_PPID;
	} else if (streq(key, "Uid")) {
		/* real, effective, saved, filesystem */
		unsigned long long ruid, euid;
		if (sscanf(value, "%llu %llu", &ruid, &euid) != 2 || euid > UINT32_MAX)
			return -EBADMSG;
		st->euid = (uid_t) euid;
		*seen |= SEEN_UID;
	} else if (streq(key, "NoNewPrivs")) {
		if (!streq(value, "0") && !streq(value, "1"))
			return -EBADMSG;
		st->no_new_privs = value[0] == '1';
		*seen |= SEEN_NNP;
	} else if (streq(key, "Seccomp")) {
		r = parse_u64(value, 10, &v);
		if (r < 0 || v > PROC_SECCOMP_FILTER)
			return -EBADMSG;
		st->seccomp = (ProcSeccomp) v;
		*seen |= SEEN_SECCOMP;
	} else if (streq(key, "Seccomp_filters")) {
		if (parse_u64(value, 10, &v) < 0 || v > UINT32_MAX)
			return -EBADMSG;
		st->seccomp_filters = (unsigned) v;
	}
	return 0;
}

int proc_status_parse(const char *text, ProcStatus *ret) {
	ProcStatus st = {};
	unsigned seen = 0;
	int r;

	if (!text || !ret)
		return -EINVAL;
	for (const char *p = text; *p;) {
		const char *eol = strchrnul(p, '\n');
		const char *colon = memchr(p, ':', eol - p);
		if (colon) {
			_cleanup_free_ char *key = strndup(p, colon - p);
			const char *v = colon + 1;
			while (v < eol && (*v == '\t' || *v == ' '))
				v++;
			_cleanup_free_ char *value = strndup(v, eol - v);
			if (!key || !value)
				return -ENOMEM;
			r = parse_line(key, value, &st, &seen);
			if (r < 0)
				return r;
		}
		p = *eol ? eol + 1 : eol;
	}
	if (seen != SEEN_ALL)
		return -EBADMSG;
	*ret = st;
	return 0;
}

int proc_status_read(const char *proc_root, pid_t pid, ProcStatus *ret) {
	_cleanup_free_ char *path = NULL, *text = NULL;
	int r;

	if (pid <= 0 || !ret)
		return -EINVAL;
	if (asprintf(&path, "%s/%d/status", proc_root ?: "/proc", (int) pid) < 0)
		return -ENOMEM;
	r = read_full_file(path, &text, NULL);
	if (r == -ENOENT)
		return -ESRCH;
	if (r < 0)
		return r;
	return proc_status_parse(text, ret);
}

const char *proc_seccomp_to_string(ProcSeccomp s) {
	static const char *const names[] = {
		[PROC_SECCOMP_DISABLED] = "disabled",
		[PROC_SECCOMP_STRICT]   = "strict",
		[PROC_SECCOMP_FILTER]   = "filter",
	};
	return (unsigned) s < ELEMENTSOF(names) ? names[s] : NULL;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fd-util.h"
#include "profile.h"

Profile *profile_free(Profile *p) {
	if (!p)
		return NULL;
	schema_done(&profile_schema, p);
	schema_positions_done(&p->positions);
	free(p->file);
	free(p);
	return NULL;
}

void profile_position(Profile *p, const void *addr, const void *fallback, unsigned *ret_line, unsigned *ret_column) {
	if (addr && schema_position_find(&p->positions, addr, false, ret_line, ret_column) == 0)
		return;
	if (fallback && schema_position_find(&p->positions, fallback, true, ret_line, ret_column) == 0)
		return;
	*ret_line = *ret_column = 1;
}

int profile_diagv(Profile *p, DiagList *diags, const void *addr, const void *fallback, const char *expected,
		  const char *fmt, va_list ap) {
	_cleanup_free_ char *msg = NULL;
	unsigned line, column;

	if (vasprintf(&msg, fmt, ap) < 0)
		return -ENOMEM;
	profile_position(p, addr, fallback, &line, &column);
	return diag_add(diags, p->file, line, column, expected, "%s", msg);
}

int profile_diag(Profile *p, DiagList *diags, const void *addr, const void *fallback, const char *expected,
		 const char *fmt, ...) {
	va_list ap;
	va_start(ap, fmt);
	int r = profile_diagv(p, diags, addr, fallback, expected, fmt, ap);
	va_end(ap);
	return r;
}

/* Values that default to something computed from other values. */
static int profile_resolve(Profile *p) {
	if (!p->kernel.package &&
	    asprintf(&p->kernel.package, "linux-image-%s", architecture_to_string(p->base.architecture)) < 0) {
		p->kernel.package = NULL;
		return -ENOMEM;
	}
	for (size_t i = 0; i < p->n_nodes; i++)
		if (p->nodes[i].role == _NODE_ROLE_UNSET)
			p->nodes[i].role = p->node.role;
	return 0;
}

int profile_load_buffer(const char *name, const void *buf, size_t size, Profile **ret, DiagList *diags) {
	_cleanup_(profile_freep) Profile *p = NULL;
	size_t before = diags->n;
	int r;

	p = calloc(1, sizeof(Profile));
	if (!p)
		return -ENOMEM;
	/* schema_load() zeroes the whole struct first, so set p->file only afterwards. */
	r = schema_load(&profile_schema, name, buf, size, p, &p->positions, diags);
	if (r < 0)
		return r;
	p->file = strdup(name);
	if (!p->file)
		return -ENOMEM;
	r = profile_resolve(p);
	if (r < 0)
		return r;
	r = profile_check(p, diags);
	if (r < 0)
		return r;

	if (diags->n > before) {
		diag_list_sort_unique(diags);
		return -EBADMSG;
	}
	*ret = TAKE_PTR(p);
	return 0;
}

int profile_load_fd(int fd, const char *name, Profile **ret, DiagList *diags) {
	/* One byte more than allowed tells "too large" from "exactly at the limit". */
	_cleanup_free_ char *buf = malloc(SCHEMA_INPUT_MAX + 1);
	size_t size = 0;

	if (!buf)
		return -ENOMEM;
	while (size <= SCHEMA_INPUT_MAX) {
		ssize_t n = read(fd, buf + size, SCHEMA_INPUT_MAX + 1 - size);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return negative_errno();
		}
		if (n == 0)
			break;
		size += n;
	}
	if (size > SCHEMA_INPUT_MAX)
		return -EFBIG;
	return profile_load_buffer(name, buf, size, ret, diags);
}

int profile_load_file(const char *path, Profile **ret, DiagList *diags) {
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	struct stat st;

	if (fd < 0)
		return negative_errno();
	if (fstat(fd, &st) < 0)
		return negative_errno();
	if (S_ISDIR(st.st_mode))
		return -EISDIR;
	if (S_ISREG(st.st_mode) && st.st_size > SCHEMA_INPUT_MAX)
		return -EFBIG;
	return profile_load_fd(fd, path, ret, diags);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <search.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "alloc-util.h"
#include "archive-cleanup.h"
#include "macro.h"
#include "oci-layer-internal.h"


/* Read size per read(2) of the input fd. */
#define LAYER_READ_BLOCK_SIZE (64U * 1024U)

/* "layer 4294967295, " and its NUL. */
#define LAYER_PREFIX_MAX 20

/* Why an entry is refused. The check functions return one of these (> 0), 0 for an
 * acceptable entry, or -errno. */
typedef enum Refusal {
	REFUSE_NONE,
	REFUSE_PATH_UNREADABLE,
	REFUSE_PATH_EMPTY,
	REFUSE_PATH_ABSOLUTE,
	REFUSE_PATH_DOTDOT,
	REFUSE_PATH_DUPLICATE,
	REFUSE_PATH_THROUGH_FILE,
	REFUSE_PATH_THROUGH_LOWER_LINK,
	REFUSE_PATH_WHITEOUT_PARENT,
	REFUSE_ROOT_NOT_DIRECTORY,
	REFUSE_CHAR_DEVICE,
	REFUSE_BLOCK_DEVICE,
	REFUSE_UNKNOWN_TYPE,
	REFUSE_SYMLINK_EMPTY,
	REFUSE_SYMLINK_INNER_DOTDOT,
	REFUSE_SYMLINK_LEAVES,
	REFUSE_HARDLINK_EMPTY,
	REFUSE_HARDLINK_ABSOLUTE,
	REFUSE_HARDLINK_DOTDOT,
	REFUSE_HARDLINK_UNKNOWN,
	REFUSE_HARDLINK_DIRECTORY,
	REFUSE_HARDLINK_WHITEOUT,
	REFUSE_WHITEOUT_NOT_FILE,
	REFUSE_WHITEOUT_EMPTY,
	REFUSE_WHITEOUT_DOT,
	REFUSE_WHITEOUT_RESERVED,
	_REFUSE_MAX,
} Refusal;

/* The reasons callers show. Tests match their beginnings: keep them stable. */
static const char *const refusal_text[_REFUSE_MAX] = {
	[REFUSE_PATH_UNREADABLE]      = "path cannot be decoded",
	[REFUSE_PATH_EMPTY]           = "path is empty",
	[REFUSE_PATH_ABSOLUTE]        = "path is absolute",
	[REFUSE_PATH_DOTDOT]          = "path leaves the layer",
	[REFUSE_PATH_DUPLICATE]       = "path appears twice",
	[REFUSE_PATH_THROUGH_FILE]    = "path runs through a non-directory of this layer",
	[REFUSE_PATH_THROUGH_LOWER_LINK] = "path runs through the symlink",   /* + which, see refuse() */
	[REFUSE_PATH_WHITEOUT_PARENT] = "path runs through a directory named like a whiteout",
	[REFUSE_ROOT_NOT_DIRECTORY]   = "the layer root is not a directory",
	[REFUSE_CHAR_DEVICE]          = "character device",
	[REFUSE_BLOCK_DEVICE]         = "block device",
	[REFUSE_UNKNOWN_TYPE]         = "unknown entry type",
	[REFUSE_SYMLINK_EMPTY]        = "symlink target is empty",
	[REFUSE_SYMLINK_INNER_DOTDOT] = "symlink target has \"..\" after a name",
	[REFUSE_SYMLINK_LEAVES]       = "symlink leaves the layer",
	[REFUSE_HARDLINK_EMPTY]       = "hard link target is empty",
	[REFUSE_HARDLINK_ABSOLUTE]    = "hard link target is absolute",
	[REFUSE_HARDLINK_DOTDOT]      = "hard link target leaves the layer",
	[REFUSE_HARDLINK_UNKNOWN]     = "hard link target is not an earlier entry",
	[REFUSE_HARDLINK_DIRECTORY]   = "hard link to a directory",
	[REFUSE_HARDLINK_WHITEOUT]    = "hard link to a whiteout",
	[REFUSE_WHITEOUT_NOT_FILE]    = "whiteout is not a regular file",
	[REFUSE_WHITEOUT_EMPTY]       = "whiteout names nothing",
	[REFUSE_WHITEOUT_DOT]         = "whiteout names \".\" or \"..\"",
	[REFUSE_WHITEOUT_RESERVED]    = "reserved whiteout name",
};

/* Which entry types a layer may hold (layer.md "File Types"), and which are refused. */
static const struct {
	mode_t type;
	Refusal refusal;
} type_policy[] = {
	{ AE_IFREG,  REFUSE_NONE },
	{ AE_IFDIR,  REFUSE_NONE },
	{ AE_IFLNK,  REFUSE_NONE },
	{ AE_IFIFO,  REFUSE_NONE },
	{ AE_IFSOCK, REFUSE_NONE },
	{ AE_IFCHR,  REFUSE_CHAR_DEVICE },
	{ AE_IFBLK,  REFUSE_BLOCK_DEVICE },
};

/* How a path and a hard link target are refused: they follow the same path rules. */
typedef struct PathRefusals {
	Refusal empty, absolute, dotdot;
} PathRefusals;

static const PathRefusals entry_path = { REFUSE_PATH_EMPTY, REFUSE_PATH_ABSOLUTE, REFUSE_PATH_DOTDOT };
static const PathRefusals hardlink_path = { REFUSE_HARDLINK_EMPTY, REFUSE_HARDLINK_ABSOLUTE, REFUSE_HARDLINK_DOTDOT };

typedef struct Layer {
	void *seen;         /* tsearch(3) tree of Seen */
	unsigned n;         /* entries read so far; the current one is number n */
	unsigned first;     /* for REFUSE_PATH_DUPLICATE: the earlier entry's number */
	char *last_path;    /* the current entry's path as stored, for messages */

	/* Checked as a layer of an image: the tree the layers below it leave, else NULL. */
	OciLayerStack *stack;
	const OciLayerLink *through;   /* for REFUSE_PATH_THROUGH_LOWER_LINK: the stack's symlink */
	OciLayerLink *links;           /* this layer's symlinks, for the stack (strings in seen) */
	size_t n_links, n_links_allocated;
} Layer;

static int seen_compare(const void *a, const void *b) {
	return strcmp(((const Seen *) a)->path, ((const Seen *) b)->path);
}

static void layer_done(Layer *l) {
	tdestroy(l->seen, free);
	l->seen = NULL;
	l->last_path = mfree_str(l->last_path);
	free(l->links);
	l->links = NULL;
	l->n_links = l->n_links_allocated = 0;
}

const Seen *oci_layer_seen_find(void *const *seen, const char *path) {
	Seen key = { .path = path };
	void *node = tfind(&key, seen, seen_compare);

	return node ? *(Seen **) node : NULL;
}

static const Seen *seen_find(const Layer *l, const char *path) {
	return oci_layer_seen_find(&l->seen, path);
}

/* Remember path (and a symlink's target); a path seen before is refused, with the
 * earlier entry's number. */
static int seen_add(Layer *l, const char *path, mode_t type, const char *symlink, bool whiteout) {
	size_t len = strlen(path), slen = symlink ? strlen(symlink) + 1 : 0;
	Seen *s;
	void *node;

	if (len > SIZE_MAX - sizeof(Seen) - 1 - slen)
		return -ENOMEM;
	s = malloc(sizeof(Seen) + len + 1 + slen);
	if (!s)
		return -ENOMEM;
	memcpy((char *) (s + 1), path, len + 1);
	if (symlink)
		memcpy((char *) (s + 1) + len + 1, symlink, slen);
	*s = (Seen) {
		.path = (char *) (s + 1),
		.symlink = symlink ? (char *) (s + 1) + len + 1 : NULL,
		.index = l->n,
		.type = type,
		.whiteout = whiteout,
	};

	node = tsearch(s, &l->seen, seen_compare);
	if (!node) {
		free(s);
		return -ENOMEM;
	}
	if (*(Seen **) node != s) {
		l->first = (*(Seen **) node)->index;
		free(s);
		return REFUSE_PATH_DUPLICATE;
	}
	/* The stack gets the layer's symlinks once the whole layer has passed. */
	if (l->stack && type == AE_IFLNK) {
		if (!GREEDY_REALLOC(l->links, l->n_links_allocated, l->n_links + 1))
			return -ENOMEM;   /* s stays in the tree, which layer_done() frees */
		l->links[l->n_links++] = (OciLayerLink) { .path = s->path, .target = s->symlink };
	}
	return 0;
}

static bool is_dotdot(const char *p, size_t len) {
	return len == 2 && p[0] == '.' && p[1] == '.';
}

static bool is_dot_or_empty(const char *p, size_t len) {
	return len == 0 || (len == 1 && p[0] == '.');
}

/* "./a//b/" -> "a/b", "." -> "" (the root); *ret_depth is the number of components. */
static int normalize(const char *path, const PathRefusals *why, char **ret, unsigned *ret_depth) {
	_cleanup_free_ char *out = NULL;
	unsigned depth = 0;
	size_t n = 0;

	if (isempty(path))
		return why->empty;
	if (path[0] == '/')
		return why->absolute;

	out = malloc(strlen(path) + 1);
	if (!out)
		return -ENOMEM;
	for (const char *p = path; *p; p += strspn(p, "/")) {
		size_t len = strcspn(p, "/");

		if (is_dotdot(p, len))
			return why->dotdot;
		if (!is_dot_or_empty(p, len)) {
			if (n > 0)
				out[n++] = '/';
			memcpy(out + n, p, len);
			n += len;
			depth++;
		}
		p += len;
	}
	out[n] = '\0';
	*ret = TAKE_PTR(out);
	*ret_depth = depth;
	return 0;
}

static bool startswith(const char *s, const char *prefix) {
	return strneq(s, prefix, strlen(prefix));
}

/* Every leading component of path (normalized) must be a directory, as far as this layer
 * tells, and must not be named like a whiteout. One that this layer has not written
 * (yet) must not be a symlink of the layers below: only a directory entry of this layer,
 * earlier in the archive, replaces one before an extractor writes through it. */
static int check_parents(Layer *l, char *path) {
	for (char *slash = strchr(path, '/'); slash; slash = strchr(slash + 1, '/')) {
		const OciLayerLink *link = NULL;
		const char *name = path;
		const Seen *s;

		*slash = '\0';
		if (strrchr(path, '/'))
			name = strrchr(path, '/') + 1;
		s = seen_find(l, path);
		if (!s && l->stack)
			link = oci_layer_stack_find(l->stack, path);
		*slash = '/';
		if (startswith(name, WHITEOUT_PREFIX))
			return REFUSE_PATH_WHITEOUT_PARENT;
		if (s && (s->whiteout || s->type != AE_IFDIR))
			return REFUSE_PATH_THROUGH_FILE;
		if (link) {
			l->through = link;
			return REFUSE_PATH_THROUGH_LOWER_LINK;
		}
	}
	return 0;
}

/* The symlink lives in a directory dir_depth components below the root. */
static int check_symlink(const char *target, unsigned dir_depth) {
	unsigned up = 0;
	bool named = false;

	if (isempty(target))
		return REFUSE_SYMLINK_EMPTY;
	/* An absolute target is resolved from the root the layer is unpacked into (containerd
	 * resolves it inside that root; a container sees its own root there), so it is
	 * checked like a relative one written at the root. Real images are full of them
	 * (etc/localtime -> /usr/share/zoneinfo/..., busybox applets -> /bin/busybox). */
	if (target[0] == '/')
		dir_depth = 0;

	for (const char *p = target; *p; p += strspn(p, "/")) {
		size_t len = strcspn(p, "/");

		if (is_dotdot(p, len)) {
			if (named)
				return REFUSE_SYMLINK_INNER_DOTDOT;
			up++;
		} else if (!is_dot_or_empty(p, len))
			named = true;
		p += len;
	}
	return up > dir_depth ? REFUSE_SYMLINK_LEAVES : 0;
}

/* A hard link must name an earlier entry of this layer; on success *ret is that entry (a
 * hard link to a symlink is a symlink). */
static int check_hardlink(const Layer *l, const char *target, const Seen **ret) {
	_cleanup_free_ char *t = NULL;
	unsigned depth;
	const Seen *s;
	int r;

	r = normalize(target, &hardlink_path, &t, &depth);
	if (r != 0)
		return r;
	s = seen_find(l, t);
	if (!s)
		return REFUSE_HARDLINK_UNKNOWN;
	if (s->whiteout)
		return REFUSE_HARDLINK_WHITEOUT;
	if (s->type == AE_IFDIR)
		return REFUSE_HARDLINK_DIRECTORY;
	*ret = s;
	return 0;
}

/* base is the last component of the path; sets *ret_whiteout for whiteouts and the
 * opaque marker, which must be plain regular files. */
static int check_whiteout(const char *base, mode_t type, bool hardlink, bool *ret_whiteout) {
	const char *name;

	*ret_whiteout = false;
	if (!startswith(base, WHITEOUT_PREFIX))
		return 0;
	name = base + STRLEN(WHITEOUT_PREFIX);
	if (!streq(base, WHITEOUT_OPAQUE)) {
		if (startswith(base, WHITEOUT_RESERVED_PREFIX))
			return REFUSE_WHITEOUT_RESERVED;
		if (isempty(name))
			return REFUSE_WHITEOUT_EMPTY;
		if (streq(name, ".") || streq(name, ".."))
			return REFUSE_WHITEOUT_DOT;
	}
	if (type != AE_IFREG || hardlink)
		return REFUSE_WHITEOUT_NOT_FILE;
	*ret_whiteout = true;
	return 0;
}

static int check_type(mode_t type) {
	for (size_t i = 0; i < ELEMENTSOF(type_policy); i++)
		if (type_policy[i].type == type)
			return type_policy[i].refusal;
	return REFUSE_UNKNOWN_TYPE;
}

static int check_entry(Layer *l, struct archive_entry *e) {
	const char *stored = archive_entry_pathname(e), *hardlink = archive_entry_hardlink(e), *symlink = NULL;
	_cleanup_free_ char *path = NULL;
	mode_t type = archive_entry_filetype(e);
	const Seen *linked;
	bool whiteout = false;
	const char *base;
	unsigned depth;
	int r;

	l->last_path = mfree_str(l->last_path);
	if (!stored)
		return REFUSE_PATH_UNREADABLE;
	l->last_path = strdup(stored);
	if (!l->last_path)
		return -ENOMEM;

	r = normalize(stored, &entry_path, &path, &depth);
	if (r != 0)
		return r;

	/* A hard link entry's own type is whatever its tar header's mode says; what it
	 * really is comes from its target. */
	if (hardlink) {
		r = check_hardlink(l, hardlink, &linked);
		if (r != 0)
			return r;
		type = linked->type;
		symlink = linked->symlink;
	} else {
		r = check_type(type);
		if (r != 0)
			return r;
	}
	if (depth == 0)
		return type == AE_IFDIR ? seen_add(l, path, type, NULL, false) : REFUSE_ROOT_NOT_DIRECTORY;

	r = check_parents(l, path);
	if (r != 0)
		return r;
	base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	r = check_whiteout(base, archive_entry_filetype(e), hardlink, &whiteout);
	if (r != 0)
		return r;
	if (type == AE_IFLNK && !hardlink) {
		symlink = archive_entry_symlink(e);
		r = check_symlink(symlink, depth - 1);
		if (r != 0)
			return r;
	}
	return seen_add(l, path, type, symlink, whiteout);
}

/* Control characters, quotes and backslashes as \xHH, so a message stays one line. */
static char *escape_path(const char *s) {
	size_t n = strlen(s);
	char *out, *p;

	if (n > (SIZE_MAX - 1) / 4)
		return NULL;
	out = p = malloc(4 * n + 1);
	if (!out)
		return NULL;
	for (; *s; s++) {
		unsigned char c = (unsigned char) *s;

		if (c < 0x20 || c == 0x7f || c == '"' || c == '\\')
			p += sprintf(p, "\\x%02x", c);
		else
			*p++ = (char) c;
	}
	*p = '\0';
	return out;
}

/* A layer of an image is named by its number too: "layer 3, entry 2 ...". */
static void layer_prefix(const Layer *l, char buf[static LAYER_PREFIX_MAX]) {
	buf[0] = '\0';
	if (l->stack)
		(void) snprintf(buf, LAYER_PREFIX_MAX, "layer %u, ", oci_layer_stack_size(l->stack) + 1);
}

/* What comes after the reason: which entry or symlink it is about. */
static int refusal_detail(const Layer *l, Refusal why, char **ret) {
	_cleanup_free_ char *link = NULL, *target = NULL;

	if (why == REFUSE_PATH_DUPLICATE)
		return asprintf(ret, " (first as entry %u)", l->first) < 0 ? -ENOMEM : 0;
	if (why != REFUSE_PATH_THROUGH_LOWER_LINK)
		return (*ret = strdup("")) ? 0 : -ENOMEM;
	link = escape_path(l->through->path);
	target = escape_path(l->through->target);
	if (!link || !target)
		return -ENOMEM;
	return asprintf(ret, " \"%s\" (-> \"%s\") made by layer %u", link, target, l->through->layer) < 0 ? -ENOMEM : 0;
}

static int refuse(const Layer *l, Refusal why, char **ret_error) {
	_cleanup_free_ char *path = NULL, *detail = NULL, *msg = NULL;
	char prefix[LAYER_PREFIX_MAX];
	int r;

	if (!ret_error)
		return -EBADMSG;
	layer_prefix(l, prefix);
	r = refusal_detail(l, why, &detail);
	if (r < 0)
		return r;
	if (!l->last_path)
		r = asprintf(&msg, "%sentry %u: %s%s", prefix, l->n, refusal_text[why], detail);
	else {
		path = escape_path(l->last_path);
		if (!path)
			return -ENOMEM;
		r = asprintf(&msg, "%sentry %u \"%s\": %s%s", prefix, l->n, path, refusal_text[why], detail);
	}
	if (r < 0)
		return -ENOMEM;
	*ret_error = TAKE_PTR(msg);
	return -EBADMSG;
}

/* Our own reader rather than archive_read_open_fd(): that one skips the data of an
 * uncompressed tar with lseek(2), which goes past the end of a truncated file without
 * complaint, and the truncation would pass unnoticed. Reading every byte finds it. */
typedef struct Input {
	int fd;
	int error;          /* -errno of a failed read(2), else 0 */
	uint8_t buf[LAYER_READ_BLOCK_SIZE];
} Input;

static la_ssize_t input_read(struct archive *a, void *userdata, const void **ret_buf) {
	Input *in = userdata;

	for (;;) {
		ssize_t k = read(in->fd, in->buf, sizeof in->buf);

		if (k >= 0) {
			*ret_buf = in->buf;
			return k;
		}
		if (errno != EINTR) {
			in->error = negative_errno();
			archive_set_error(a, -in->error, "read");
			return -1;
		}
	}
}

/* Why libarchive stopped: our reader's own read(2) error, an allocation failure, or else a
 * malformed stream. libarchive's errno says little about the last: it reports damage with
 * ARCHIVE_ERRNO_FILE_FORMAT (EILSEQ), ARCHIVE_ERRNO_MISC (-1), no errno, or even EINVAL
 * ("Damaged tar archive" in GNU long names), so only ENOMEM is taken from it. */
static int unreadable(struct archive *a, int read_error, const Layer *l, char **ret_error) {
	const char *what = archive_error_string(a) ?: "unknown error";
	_cleanup_free_ char *path = NULL, *msg = NULL;
	char prefix[LAYER_PREFIX_MAX];
	int r;

	if (read_error < 0)
		return read_error;
	if (archive_errno(a) == ENOMEM)
		return -ENOMEM;
	if (!ret_error)
		return -EBADMSG;
	layer_prefix(l, prefix);
	if (l->n == 0)
		r = asprintf(&msg, "%snot a tar archive (plain, gzip or zstd): %s", prefix, what);
	else {
		path = escape_path(l->last_path ?: "");
		if (!path)
			return -ENOMEM;
		r = asprintf(&msg, "%safter entry %u \"%s\": corrupt or truncated archive: %s",
			     prefix, l->n, path, what);
	}
	if (r < 0) {
		msg = NULL;   /* asprintf leaves it undefined */
		return -ENOMEM;
	}
	*ret_error = TAKE_PTR(msg);
	return -EBADMSG;
}

/* Built-in decompressors only: libarchive would otherwise fork an external program. */
static int support(int r) {
	if (r == ARCHIVE_OK)
		return 0;
	return r == ARCHIVE_WARN ? -EOPNOTSUPP : -ENOMEM;
}

static int check_layer(OciLayerStack *stack, int fd, char **ret_error) {
	_cleanup_(archive_read_freep) struct archive *a = NULL;
	_cleanup_(layer_done) Layer layer = { .stack = stack };
	_cleanup_free_ Input *in = NULL;
	int r;

	if (fd < 0)
		return -EBADF;

	in = calloc(1, sizeof(Input));
	a = archive_read_new();
	if (!in || !a)
		return -ENOMEM;
	in->fd = fd;
	/* Exactly the compressions layer.md defines: xz, bzip2 and the rest are no layers. */
	if ((r = support(archive_read_support_filter_gzip(a))) < 0 ||
	    (r = support(archive_read_support_filter_zstd(a))) < 0 ||
	    (r = support(archive_read_support_format_tar(a))) < 0)
		return r;

	if (archive_read_open(a, in, NULL, input_read, NULL) != ARCHIVE_OK)
		return unreadable(a, in->error, &layer, ret_error);

	for (;;) {
		struct archive_entry *e;

		/* Moves past the previous entry's data, decompressing it: a truncated or
		 * corrupt stream anywhere is found here. */
		r = archive_read_next_header(a, &e);
		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN)   /* ARCHIVE_RETRY too: no resyncing past damage */
			return unreadable(a, in->error, &layer, ret_error);

		/* ARCHIVE_WARN (say, an unknown pax keyword) is no reason to refuse a layer. */
		layer.n++;
		r = check_entry(&layer, e);
		if (r < 0)
			return r;
		if (r > 0)
			return refuse(&layer, r, ret_error);
	}

	/* Only now is the layer known to be whole and safe: the next one is checked against
	 * the tree it leaves. */
	if (!stack)
		return 0;
	return oci_layer_stack_push(stack, &layer.seen, layer.links, layer.n_links);
}

int oci_layer_check_fd(int fd, char **ret_error) {
	return check_layer(NULL, fd, ret_error);
}

int oci_layer_stack_check_fd(OciLayerStack *s, int fd, char **ret_error) {
	if (!s)
		return -EINVAL;
	return check_layer(s, fd, ret_error);
}

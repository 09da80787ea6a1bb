/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "cache-inventory.h"
#include "dir-util.h"
#include "fd-util.h"
#include "fileio.h"
#include "hash.h"
#include "strv.h"

#define INVENTORY_HEADER "kiln-inventory 1\n"
#define PROBLEMS_SHOWN 5
#define HASH_THREADS_MAX 8

typedef struct Entry {
	char *raw;              /* relative to the tree, as the file system has it */
	char *path;             /* the same, escaped for the inventory */
	struct stat st;
	char *what;             /* digest of a file, target of a link, device numbers */
	char *line;             /* the inventory line */
} Entry;

typedef struct Listing {
	int root_fd;
	Entry *entries;
	size_t n, allocated;
	atomic_size_t next;     /* the next entry a hashing thread takes */
	atomic_int error;
} Listing;

static void listing_done(Listing *l) {
	for (size_t i = 0; i < l->n; i++) {
		free(l->entries[i].raw);
		free(l->entries[i].path);
		free(l->entries[i].what);
		free(l->entries[i].line);
	}
	free(l->entries);
	safe_close(l->root_fd);
}

/* Paths and link targets may hold any byte but '\0': spaces, newlines and anything not
 * printable become \xHH, so a line is always "fields... path". */
static char *escape(const char *s) {
	char *out = malloc(strlen(s) * 4 + 1), *o = out;
	if (!out)
		return NULL;
	for (const unsigned char *p = (const unsigned char *) s; *p; p++)
		if (*p <= ' ' || *p >= 0x7f || *p == '\\')
			o += sprintf(o, "\\x%02x", *p);
		else
			*o++ = (char) *p;
	*o = '\0';
	return out;
}

static int listing_add(Listing *l, const char *rel, const struct stat *st) {
	if (l->n == l->allocated) {
		size_t a = l->allocated ? l->allocated * 2 : 1024;
		Entry *e = reallocarray(l->entries, a, sizeof(Entry));
		if (!e)
			return -ENOMEM;
		l->entries = e;
		l->allocated = a;
	}
	Entry *e = &l->entries[l->n];
	*e = (Entry) { .raw = strdup(rel), .path = escape(rel), .st = *st };
	if (!e->raw || !e->path) {
		free(e->raw);
		free(e->path);
		return -ENOMEM;
	}
	if (S_ISLNK(st->st_mode)) {
		char target[4096];
		ssize_t k = readlinkat(l->root_fd, rel, target, sizeof target - 1);
		if (k < 0)
			return -errno;
		target[k] = '\0';
		if (!(e->what = escape(target)))
			return -ENOMEM;
	} else if (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode)) {
		if (asprintf(&e->what, "%u:%u", major(st->st_rdev), minor(st->st_rdev)) < 0)
			return -ENOMEM;
	}
	l->n++;
	return 0;
}

static int walk(Listing *l, const char *rel, InventorySkip skip) {
	_cleanup_close_ int fd = openat(l->root_fd, rel[0] ? rel : ".", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	_cleanup_strv_free_ char **names = NULL;
	int r;

	if (fd < 0)
		return -errno;
	r = dir_list_sorted(fd, &names);
	if (r < 0)
		return r;
	STRV_FOREACH(name, names) {
		_cleanup_free_ char *path = NULL;
		struct stat st;

		if (!rel[0] && skip && strv_contains((char **) skip, *name))
			continue;
		if (asprintf(&path, "%s%s%s", rel, rel[0] ? "/" : "", *name) < 0)
			return -ENOMEM;
		if (fstatat(fd, *name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			return -errno;
		if ((r = listing_add(l, path, &st)) < 0)
			return r;
		if (S_ISDIR(st.st_mode) && (r = walk(l, path, skip)) < 0)
			return r;
	}
	return 0;
}

/* One hashing thread: takes the next entry until none is left. */
static void *hash_worker(void *userdata) {
	Listing *l = userdata;
	for (;;) {
		size_t i = atomic_fetch_add(&l->next, 1);
		if (i >= l->n || atomic_load(&l->error) != 0)
			return NULL;
		Entry *e = &l->entries[i];
		if (!S_ISREG(e->st.st_mode))
			continue;
		uint8_t md[HASH_SIZE_MAX];
		size_t len;
		char hex[2 * HASH_SIZE_MAX + 1];
		_cleanup_close_ int fd = openat(l->root_fd, e->raw, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
		int r = fd < 0 ? -errno : hash_fd(HASH_SHA256, fd, md, &len);
		if (r >= 0)
			r = hexmem_buf(md, len, hex, sizeof hex);
		if (r >= 0 && !(e->what = strdup(hex)))
			r = -ENOMEM;
		if (r < 0) {
			int expected = 0;
			atomic_compare_exchange_strong(&l->error, &expected, r);
		}
	}
}

static int hash_files(Listing *l) {
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t n_threads = cpus < 1 ? 1 : cpus > HASH_THREADS_MAX ? HASH_THREADS_MAX : (size_t) cpus;
	pthread_t threads[HASH_THREADS_MAX];
	size_t started = 0;

	atomic_store(&l->next, 0);
	atomic_store(&l->error, 0);
	for (; started < n_threads; started++)
		if (pthread_create(&threads[started], NULL, hash_worker, l) != 0)
			break;
	if (started == 0)
		(void) hash_worker(l);
	for (size_t i = 0; i < started; i++)
		(void) pthread_join(threads[i], NULL);
	return atomic_load(&l->error);
}

static char type_char(mode_t m) {
	return S_ISREG(m) ? 'f' : S_ISDIR(m) ? 'd' : S_ISLNK(m) ? 'l' : S_ISCHR(m) ? 'c' : S_ISBLK(m) ? 'b' :
	       S_ISFIFO(m) ? 'p' : 's';
}

/* type mode uid gid size mtime what path. A directory's size and time change whenever an
 * entry is added or removed, which the entries' own lines show: they are left out.
 * content_only: type mode what path. */
static int format_line(Entry *e, bool content_only, char **ret) {
	const struct stat *st = &e->st;
	bool dir = S_ISDIR(st->st_mode);
	char size[24] = "-", mtime[48] = "-";

	if (content_only)
		return asprintf(ret, "%c %04o %s %s", type_char(st->st_mode), st->st_mode & 07777, e->what ?: "-",
				e->path) < 0 ? -ENOMEM : 0;
	if (!dir) {
		snprintf(size, sizeof size, "%lld", (long long) (S_ISREG(st->st_mode) || S_ISLNK(st->st_mode) ? st->st_size : 0));
		snprintf(mtime, sizeof mtime, "%lld.%09ld", (long long) st->st_mtim.tv_sec, st->st_mtim.tv_nsec);
	}
	return asprintf(ret, "%c %04o %u %u %s %s %s %s", type_char(st->st_mode), st->st_mode & 07777, st->st_uid,
			st->st_gid, size, mtime, e->what ?: "-", e->path) < 0 ? -ENOMEM : 0;
}

/* The tree's listing, every file hashed; entries[i].line holds the lines. */
static int listing_make(const char *tree, InventorySkip skip, bool content_only, Listing *l) {
	int r;

	*l = (Listing) { .root_fd = open(tree, O_RDONLY | O_DIRECTORY | O_CLOEXEC) };
	if (l->root_fd < 0)
		return -errno;
	r = walk(l, "", skip);
	if (r < 0)
		return r;
	r = hash_files(l);
	if (r < 0)
		return r;
	for (size_t i = 0; i < l->n; i++) {
		if ((r = format_line(&l->entries[i], content_only, &l->entries[i].line)) < 0)
			return r;
	}
	return 0;
}

int inventory_write(const char *tree, InventorySkip skip, const char *path) {
	_cleanup_(listing_done) Listing l = { .root_fd = -EBADF };
	_cleanup_free_ char *text = NULL;
	size_t size = 0;
	int r = listing_make(tree, skip, false, &l);
	if (r < 0)
		return r;

	FILE *f = open_memstream(&text, &size);
	if (!f)
		return -ENOMEM;
	fputs(INVENTORY_HEADER, f);
	for (size_t i = 0; i < l.n; i++)
		fprintf(f, "%s\n", l.entries[i].line);
	if (fclose(f) != 0)
		return -ENOMEM;
	return write_file_atomic(path, text, size, 0644, 0);
}

static int cmp_paths(const void *a, const void *b) {
	const char *const *x = a, *const *y = b;
	return strcmp(strrchr(*x, ' ') + 1, strrchr(*y, ' ') + 1);
}

/* Why two lines of one path differ, in words. */
static const char *difference(const char *had, const char *has) {
	char ht, nt, hs[32], ns[32], hw[1024], nw[1024];
	unsigned hm, nm, hu, nu, hg, ng;
	char hmt[48], nmt[48];
	if (sscanf(had, "%c %o %u %u %31s %47s %1023s", &ht, &hm, &hu, &hg, hs, hmt, hw) != 7 ||
	    sscanf(has, "%c %o %u %u %31s %47s %1023s", &nt, &nm, &nu, &ng, ns, nmt, nw) != 7)
		return "changed";
	if (ht != nt)
		return "changed type";
	if (nt == 'l' && !streq(hw, nw))
		return "changed target";
	if (!streq(hs, ns))
		return nt == 'f' && streq(ns, "0") ? "truncated to 0 bytes" : "changed size";
	if (!streq(hw, nw))
		return nt == 'f' ? "changed content" : "changed device numbers";
	if (hm != nm || hu != nu || hg != ng)
		return "changed mode or owner";
	return "changed modification time";
}

/* path is inside the directory dir (both relative, escaped). */
static bool below(const char *path, const char *dir) {
	size_t n = strlen(dir);
	return strneq(path, dir, n) && path[n] == '/';
}

static int add_problem(char ***problems, unsigned *n, const char *what, const char *line) {
	if ((*n)++ >= PROBLEMS_SHOWN)
		return 0;
	return strv_extendf(problems, "%s: %s", what, strrchr(line, ' ') + 1);
}

int inventory_check(const char *tree, InventorySkip skip, const char *path, char ***ret_problems) {
	_cleanup_(listing_done) Listing l = { .root_fd = -EBADF };
	_cleanup_free_ char *text = NULL;
	_cleanup_free_ char **had = NULL, **has = NULL;
	_cleanup_strv_free_ char **problems = NULL;
	size_t n_had = 0, size = 0;
	unsigned n_problems = 0;
	int r;

	r = read_full_file(path, &text, &size);
	if (r < 0)
		return r;
	if (!strneq(text, INVENTORY_HEADER, strlen(INVENTORY_HEADER))) {
		if (ret_problems && strv_extend(ret_problems, "the inventory itself is damaged") < 0)
			return -ENOMEM;
		return -EBADMSG;
	}
	r = listing_make(tree, skip, false, &l);
	if (r < 0)
		return r;

	/* Both sides sorted by path, then merged. */
	for (char *p = text + strlen(INVENTORY_HEADER); *p; ) {
		char *nl = strchr(p, '\n');
		if (!nl || !strchr(p, ' '))
			break;
		*nl = '\0';
		char **m = reallocarray(had, n_had + 1, sizeof(char *));
		if (!m)
			return -ENOMEM;
		had = m;
		had[n_had++] = p;
		p = nl + 1;
	}
	has = calloc(l.n + 1, sizeof(char *));
	if (!has)
		return -ENOMEM;
	for (size_t i = 0; i < l.n; i++)
		has[i] = l.entries[i].line;
	qsort(had, n_had, sizeof(char *), cmp_paths);
	qsort(has, l.n, sizeof(char *), cmp_paths);

	/* A directory that is missing or new stands for everything in it: one line. */
	const char *under = NULL;
	for (size_t i = 0, j = 0; i < n_had || j < l.n; ) {
		int c = i == n_had ? 1 : j == l.n ? -1 : cmp_paths(&had[i], &has[j]);
		const char *line = c < 0 ? had[i++] : c > 0 ? has[j++] : NULL;
		if (line && under && below(strrchr(line, ' ') + 1, under))
			continue;
		if (line) {
			r = add_problem(&problems, &n_problems, c < 0 ? line[0] == 'd' ? "missing, with all it held" : "missing"
								: line[0] == 'd' ? "not in the inventory, with all it holds" : "not in the inventory",
					line);
			under = line[0] == 'd' ? strrchr(line, ' ') + 1 : NULL;
		} else {
			if (!streq(had[i], has[j]))
				r = add_problem(&problems, &n_problems, difference(had[i], has[j]), has[j]);
			i++, j++;
		}
		if (r < 0)
			return r;
	}
	if (n_problems == 0)
		return 0;
	if (n_problems > PROBLEMS_SHOWN &&
	    strv_extendf(&problems, "and %u more differences", n_problems - PROBLEMS_SHOWN) < 0)
		return -ENOMEM;
	if (ret_problems)
		*ret_problems = TAKE_PTR(problems);
	return -EBADMSG;
}

int inventory_content_digest(const char *tree, char ret[static 65]) {
	_cleanup_(listing_done) Listing l = { .root_fd = -EBADF };
	_cleanup_(hash_context_freep) HashContext *h = NULL;
	uint8_t md[HASH_SIZE_MAX];
	size_t len;
	int r = listing_make(tree, NULL, true, &l);
	if (r < 0)
		return r;

	if ((r = hash_context_new(HASH_SHA256, &h)) < 0)
		return r;
	for (size_t i = 0; i < l.n; i++) {
		mode_t m = l.entries[i].st.st_mode;
		if (!S_ISREG(m) && !S_ISDIR(m) && !S_ISLNK(m))
			return -EBADFD;
		if ((r = hash_context_update(h, l.entries[i].line, strlen(l.entries[i].line))) < 0 ||
		    (r = hash_context_update(h, "\n", 1)) < 0)
			return r;
	}
	if ((r = hash_context_final(h, md, &len)) < 0)
		return r;
	return hexmem_buf(md, len, ret, 65);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* write_file_atomic*(), fsync_directory_of() and mkdir_*(). */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fd-util.h"
#include "fileio.h"
#include "io-fault.h"
#include "io-util.h"
#include "tap.h"
#include "tmpdir-files.h"

/* The most .# temp files seen in T/f while data was being written. */
static int seen_temp;

static void record_temp_files(void) {
	seen_temp = MAX(seen_temp, count_entries(P("f"), ".#"));
}

static void test_write_basic(bool o_tmpfile) {
	const char *m = o_tmpfile ? "[O_TMPFILE]" : "[named temp]";
	struct stat a, b;

	fileio_set_o_tmpfile(o_tmpfile);
	fresh_dir("w");
	umask(022);

	is_int(write_file_atomic(P("w/f"), "hello", 5, 0644, 0), 0, "write_file_atomic: new file");
	is_str(get(P("w/f")), "hello", "new file has the content");
	is_int(mode_of(P("w/f")) & 07777, 0644, "new file has mode 0644");
	is_int(count_entries(P("w"), ""), 1, "no temp file left next to it");
	ok(stat(P("w/f"), &a) == 0, "stat");

	is_int(write_file_atomic(P("w/f"), "bye", 3, 0644, 0), 0, "overwrite with shorter content");
	is_str(get(P("w/f")), "bye", "content replaced completely, no tail left");
	ok(stat(P("w/f"), &b) == 0 && a.st_ino != b.st_ino, "%s a new inode was renamed in", m);
	is_int(count_entries(P("w"), ""), 1, "still one entry");

	is_int(write_file_atomic(P("w/empty"), NULL, 0, 0600, 0), 0, "empty content, NULL data");
	ok(stat(P("w/empty"), &a) == 0 && a.st_size == 0, "empty file has size 0");

	/* The temp name must fit NAME_MAX even for the longest target name. */
	char longname[256];
	memset(longname, 'x', 255);
	longname[255] = '\0';
	_cleanup_free_ char *lp = NULL;
	ok(asprintf(&lp, "%s/w/%s", T, longname) > 0, "asprintf");
	is_int(write_file_atomic(lp, "L", 1, 0644, 0), 0, "255-character file name works");
	is_str(get(lp), "L", "long-named file has the content");
	is_int(count_entries(P("w"), ".#"), 0, "no .# temp files");
	fileio_set_o_tmpfile(true);
}

static void test_write_errors(void) {
	fresh_dir("e");
	is_int(write_file_atomic("", "x", 1, 0644, 0), -EINVAL, "empty path is -EINVAL");
	is_int(write_file_atomic(P("e/x"), NULL, 1, 0644, 0), -EINVAL, "NULL data with size is -EINVAL");
	is_int(write_file_atomic(P("e/x"), "x", 1, 010644, 0), -EINVAL, "mode beyond 07777 is -EINVAL");
	is_int(write_file_atomic(P("e/x/"), "x", 1, 0644, 0), -EISDIR, "trailing slash is -EISDIR");
	is_int(write_file_atomic(P("e/.."), "x", 1, 0644, 0), -EISDIR, "\"..\" is -EISDIR");

	is_int(write_file_atomic(P("e/no/such/f"), "x", 1, 0644, 0), -ENOENT, "missing parent is -ENOENT");
	ok(access(P("e/no"), F_OK) < 0, "without the flag no parent was created");
	umask(022);
	is_int(write_file_atomic(P("e/no/such/f"), "x", 1, 0600, WRITE_FILE_MKDIR_PARENTS), 0,
	       "WRITE_FILE_MKDIR_PARENTS creates the parents");
	is_str(get(P("e/no/such/f")), "x", "file under new parents has the content");
	is_int(mode_of(P("e/no/such")), S_IFDIR | 0755, "new parent is a directory with mode 0755");

	put(P("e/file"), "keep");
	is_int(write_file_atomic(P("e/file/f"), "x", 1, 0644, 0), -ENOTDIR, "parent is a file: -ENOTDIR");
	is_int(write_file_atomic(P("e/file/a/f"), "x", 1, 0644, WRITE_FILE_MKDIR_PARENTS), -ENOTDIR,
	       "parent is a file, with MKDIR_PARENTS: -ENOTDIR");
	is_str(get(P("e/file")), "keep", "the file in the way is untouched");

	ok(mkdir(P("e/d"), 0755) == 0, "mkdir target directory");
	put(P("e/d/inside"), "in");
	for (int t = 1; t >= 0; t--) {
		fileio_set_o_tmpfile(t);
		is_int(write_file_atomic(P("e/d"), "x", 1, 0644, 0), -EISDIR, "target is a directory: -EISDIR");
	}
	fileio_set_o_tmpfile(true);
	ok(S_ISDIR(mode_of(P("e/d"))) && streq(get(P("e/d/inside")), "in"), "the directory is intact");
	is_int(count_entries(P("e"), ".#"), 0, "no temp file left after -EISDIR");
}

static void test_write_symlink(void) {
	fresh_dir("s");
	put(P("s/real"), "old");
	ok(symlink("real", P("s/link")) == 0, "symlink link -> real");
	is_int(write_file_atomic(P("s/link"), "new", 3, 0644, 0), 0, "write through a symlink name");
	ok(S_ISREG(mode_of(P("s/link"))), "the symlink was replaced by a regular file");
	is_str(get(P("s/link")), "new", "the new file has the content");
	is_str(get(P("s/real")), "old", "the old symlink target is untouched");

	ok(symlink("nowhere", P("s/dangling")) == 0, "dangling symlink");
	is_int(write_file_atomic(P("s/dangling"), "d", 1, 0644, 0), 0, "write over a dangling symlink");
	ok(S_ISREG(mode_of(P("s/dangling"))), "dangling symlink replaced by a regular file");
	ok(access(P("s/nowhere"), F_OK) < 0, "its target was not created");
}

static void test_write_modes(void) {
	static const struct { mode_t umask, mode; } cases[] = {
		{ 0, 0640 }, { 0, 0777 }, { 022, 0666 }, { 077, 0644 }, { 022, 0 }, { 0, 01750 },
	};
	fresh_dir("m");
	mode_t old = umask(0);
	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		umask(cases[i].umask);
		int r = write_file_atomic(P("m/f"), "x", 1, cases[i].mode, 0);
		ok(r == 0 && (mode_of(P("m/f")) & 07777) == cases[i].mode,
		   "umask %03o, mode %04o: file has exactly %04o (got %04o, r=%d)", (unsigned) cases[i].umask,
		   (unsigned) cases[i].mode, (unsigned) cases[i].mode, (unsigned) (mode_of(P("m/f")) & 07777), r);
	}
	umask(old);
}

/* Inject faults at each step; the old content must survive and no temp file remain. */
static void test_write_faults(bool o_tmpfile) {
	const char *m = o_tmpfile ? "[O_TMPFILE]" : "[named temp]";
	char big[10000];

	fileio_set_o_tmpfile(o_tmpfile);
	fresh_dir("f");
	put(P("f/state"), "old");
	memset(big, 'B', sizeof big);

	io_set_write_hook(fault_write);
	fault_reset();
	F.chunk = 100, F.fail_errno = ENOSPC, F.fail_after = 300;
	is_int(write_file_atomic(P("f/state"), big, sizeof big, 0644, 0), -ENOSPC, "injected ENOSPC is returned");
	is_str(get(P("f/state")), "old", "old content intact after ENOSPC");
	ok(count_entries(P("f"), "") == 1, "%s no temp file after ENOSPC", m);

	fault_reset();
	F.chunk = 1, F.n_eintr = 5, F.on_write = record_temp_files;
	seen_temp = 0;
	is_int(write_file_atomic(P("f/state"), "complete", 8, 0644, 0), 0, "1-byte writes after 5 EINTR");
	is_str(get(P("f/state")), "complete", "content complete after short writes and EINTR");
	io_set_write_hook(NULL);
	/* Prove which path ran: only the named temp file is visible while it is written. */
	_cleanup_close_ int probe = open(P("f"), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
	if (o_tmpfile && probe < 0)
		skip(1, "no O_TMPFILE on this filesystem: %m");
	else
		is_int(seen_temp, o_tmpfile ? 0 : 1, o_tmpfile ? "O_TMPFILE: the temp file has no name while written"
								: "named: the .# temp file exists while written");

	io_set_fsync_hook(fault_fsync);
	fault_reset();
	F.fail_errno = EIO;   /* the file's own fsync */
	is_int(write_file_atomic(P("f/state"), "new", 3, 0644, 0), -EIO, "file fsync EIO is returned");
	is_str(get(P("f/state")), "complete", "old content intact after fsync failure");
	ok(count_entries(P("f"), "") == 1, "%s no temp file after fsync failure", m);

	fault_reset();
	F.fail_errno = EIO, F.fail_after = 1;   /* only the directory fsync fails */
	is_int(write_file_atomic(P("f/state"), "new", 3, 0644, 0), -EIO, "directory fsync EIO is returned");
	is_int(F.calls, 2, "exactly two fsyncs: file, then directory");
	is_str(get(P("f/state")), "new", "documented: after the rename only durability is in doubt");
	io_set_fsync_hook(NULL);
	fileio_set_o_tmpfile(true);
}

struct enospc_result {
	int setup, first, big, content_ok, entries, after;
};

/* A real full filesystem: a 64 KiB tmpfs in a private mount namespace of a child. */
static void test_write_real_enospc(bool o_tmpfile) {
	struct enospc_result res = { .setup = -EIO };
	int p[2];

	fresh_dir("tmpfs");
	if (pipe2(p, O_CLOEXEC) < 0)
		return (void) ok(false, "pipe: %m");
	pid_t pid = fork();
	if (pid == 0) {
		safe_close(p[0]);
		fileio_set_o_tmpfile(o_tmpfile);
		if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
		    mount("tmpfs", P("tmpfs"), "tmpfs", 0, "size=64k,mode=0755") < 0)
			res.setup = -errno;
		else {
			char *big = calloc(1, 1024 * 1024);
			res.setup = big ? 0 : -ENOMEM;
			res.first = write_file_atomic(P("tmpfs/state"), "old", 3, 0644, 0);
			res.big = write_file_atomic(P("tmpfs/state"), big, 1024 * 1024, 0644, 0);
			res.content_ok = streq(get(P("tmpfs/state")), "old");
			res.entries = count_entries(P("tmpfs"), "");
			/* The failed attempt gave its space back, so a small write fits again. */
			res.after = write_file_atomic(P("tmpfs/state"), "new", 3, 0644, 0);
			free(big);
		}
		_exit(write(p[1], &res, sizeof res) == sizeof res ? 0 : 1);
	}
	safe_close(p[1]);
	ssize_t k = read(p[0], &res, sizeof res);
	safe_close(p[0]);
	(void) waitpid(pid, NULL, 0);

	const char *m = o_tmpfile ? "[O_TMPFILE]" : "[named temp]";
	if (k != sizeof res || res.setup < 0) {
		skip(5, "cannot mount a tmpfs here: %s", k == sizeof res ? strerror(-res.setup) : "no result");
		return;
	}
	is_int(res.first, 0, "tmpfs: small write fits");
	is_int(res.big, -ENOSPC, "tmpfs: 1 MiB into 64 KiB is -ENOSPC");
	ok(res.content_ok, "%s tmpfs: old content intact after real ENOSPC", m);
	is_int(res.entries, 1, "tmpfs: no temp file left behind");
	is_int(res.after, 0, "tmpfs: the space was released, a small write succeeds");
}

static void test_write_at(void) {
	fresh_dir("at");
	_cleanup_close_ int dfd = open(P("at"), O_PATH | O_DIRECTORY | O_CLOEXEC);
	is_int(write_file_atomic_at(dfd, "sub/f", "x", 1, 0644, WRITE_FILE_MKDIR_PARENTS), 0,
	       "write_file_atomic_at on an O_PATH dir fd with a nested name");
	is_str(get(P("at/sub/f")), "x", "nested file has the content");
	is_int(write_file_atomic_at(dfd, P("at/abs"), "y", 1, 0644, 0), 0, "absolute name ignores dir_fd");
	is_str(get(P("at/abs")), "y", "absolute-name file has the content");

	char cwd[PATH_MAX];
	ok(getcwd(cwd, sizeof cwd) && chdir(P("at")) == 0, "chdir into the test directory");
	is_int(write_file_atomic("rel", "z", 1, 0644, 0), 0, "a bare name is relative to the cwd");
	ok(chdir(cwd) == 0, "chdir back");
	is_str(get(P("at/rel")), "z", "relative file has the content");

	io_set_fsync_hook(fault_fsync);
	fault_reset();
	is_int(fsync_directory_of(P("at/rel")), 0, "fsync_directory_of works");
	is_int(F.calls, 1, "fsync_directory_of: one fsync");
	io_set_fsync_hook(NULL);
	is_int(fsync_directory_of(P("at/none/x")), -ENOENT, "fsync_directory_of: missing dir is -ENOENT");
}


static void test_mkdir(void) {
	fresh_dir("k");
	mode_t old = umask(0);
	is_int(mkdir_p(P("k/a/b/c"), 0750), 0, "mkdir_p nested");
	is_int(mode_of(P("k/a/b/c")), S_IFDIR | 0750, "deepest directory with mode 0750");
	is_int(mode_of(P("k/a")), S_IFDIR | 0750, "top new directory with mode 0750");
	is_int(mkdir_p(P("k/a/b/c"), 0750), 0, "mkdir_p again is fine");
	umask(old);

	is_int(mkdir_parents(P("k/x/y/z"), 0755), 0, "mkdir_parents");
	ok(S_ISDIR(mode_of(P("k/x/y"))) && access(P("k/x/y/z"), F_OK) < 0, "parents made, not the path");
	is_int(mkdir_parents(P("k/m/n//"), 0755), 0, "mkdir_parents with trailing slashes");
	ok(S_ISDIR(mode_of(P("k/m"))) && access(P("k/m/n"), F_OK) < 0, "trailing slashes are ignored");
	is_int(mkdir_p(P("k//p///q//"), 0755), 0, "mkdir_p with repeated slashes");
	ok(S_ISDIR(mode_of(P("k/p/q"))), "repeated slashes are ignored");

	put(P("k/file"), "f");
	is_int(mkdir_p(P("k/file"), 0755), -ENOTDIR, "mkdir_p of an existing file is -ENOTDIR");
	is_int(mkdir_p(P("k/file/sub"), 0755), -ENOTDIR, "mkdir_p through a file is -ENOTDIR");
	is_int(mkdir_parents(P("k/file/sub/x"), 0755), -ENOTDIR, "mkdir_parents through a file is -ENOTDIR");

	ok(symlink("a", P("k/link")) == 0, "symlink to a directory");
	is_int(mkdir_p(P("k/link/new"), 0755), 0, "a symlink to a directory is a fine component");
	ok(S_ISDIR(mode_of(P("k/a/new"))), "created through the symlink");
	ok(symlink("nowhere", P("k/dangling")) == 0, "dangling symlink");
	is_int(mkdir_p(P("k/dangling/x"), 0755), -ENOENT, "a dangling symlink component is -ENOENT");

	is_int(mkdir_p("", 0755), -EINVAL, "empty path is -EINVAL");
	is_int(mkdir_p("/", 0755), 0, "mkdir_p / is fine");
	is_int(mkdir_parents("/kiln-test-no-such-dir", 0755), 0, "mkdir_parents of a top-level name does nothing");
	ok(access("/kiln-test-no-such-dir", F_OK) < 0, "and creates nothing");
	is_int(mkdir_parents("bare", 0755), 0, "mkdir_parents of a bare name does nothing");

	_cleanup_close_ int dfd = open(P("k"), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	is_int(mkdir_p_at(dfd, "at1/at2", 0755), 0, "mkdir_p_at");
	is_int(mkdir_parents_at(dfd, "at3/at4", 0755), 0, "mkdir_parents_at");
	ok(S_ISDIR(mode_of(P("k/at1/at2"))) && S_ISDIR(mode_of(P("k/at3"))) && access(P("k/at3/at4"), F_OK) < 0,
	   "the _at variants resolve against dir_fd");
}


int main(void) {
	T = tap_mkdtemp();
	if (!T)
		skip_all("cannot create a temporary directory");

	test_write_basic(true);
	test_write_basic(false);
	test_write_errors();
	test_write_symlink();
	test_write_modes();
	test_write_faults(true);
	test_write_faults(false);
	test_write_real_enospc(true);
	test_write_real_enospc(false);
	test_write_at();
	test_mkdir();

	(void) rm_rf(T);
	free(T);
	return done_testing();
}

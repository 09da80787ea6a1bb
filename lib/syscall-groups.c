/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The syscall groups as a table. The split follows systemd's seccomp-util.c where it has
 * a group for the job (@basic-io, @file-system, @mount ...), so that people who know
 * SystemCallFilter= read these the same way; the member lists are kiln's own. */
#include <errno.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "strv.h"
#include "syscall-groups.h"

#define GROUP(n, h, ...) { .name = n, .help = h, .members = (const char *const[]) { __VA_ARGS__, NULL } }

const SyscallGroup syscall_groups[] = {
	GROUP("@default", "what every program needs to start, run and exit; part of every profile",
	      "arch_prctl", "brk", "clock_getres", "clock_gettime", "clock_nanosleep", "execve", "execveat",
	      "exit", "exit_group", "futex", "futex_waitv", "get_robust_list", "set_robust_list", "getegid",
	      "geteuid", "getgid", "getgroups", "getpgid", "getpgrp", "getpid", "getppid", "getrandom",
	      "getresgid", "getresuid", "getrlimit", "getsid", "gettid", "gettimeofday", "getuid", "membarrier",
	      "mmap", "mprotect", "munmap", "nanosleep", "pause", "prlimit64", "restart_syscall", "rseq",
	      "rt_sigreturn", "sched_getaffinity", "sched_yield", "set_tid_address", "time", "uname"),
	GROUP("@basic-io", "reading and writing open file descriptors",
	      "close", "close_range", "dup", "dup2", "dup3", "lseek", "pread64", "preadv", "preadv2",
	      "pwrite64", "pwritev", "pwritev2", "read", "readv", "write", "writev"),
	GROUP("@file-read", "opening and reading files and directories by path, and watching them",
	      "access", "chdir", "faccessat", "faccessat2", "fchdir", "fcntl", "fgetxattr", "flistxattr", "fstat",
	      "fstatfs", "getcwd", "getdents", "getdents64", "getxattr", "inotify_add_watch", "inotify_init",
	      "inotify_init1", "inotify_rm_watch", "lgetxattr", "listxattr", "llistxattr", "lstat", "newfstatat",
	      "open", "openat", "openat2", "readlink", "readlinkat", "stat", "statfs", "statx", "umask"),
	GROUP("@file-write", "creating, changing and removing files and directories by path",
	      "chmod", "creat", "fallocate", "fchmod", "fchmodat", "fchmodat2", "ftruncate", "link", "linkat",
	      "mkdir", "mkdirat", "rename", "renameat", "renameat2", "rmdir", "symlink", "symlinkat", "truncate",
	      "unlink", "unlinkat", "utime", "utimensat", "utimes"),
	GROUP("@file-system", "everything on files by path: @file-read and @file-write",
	      "@file-read", "@file-write"),
	GROUP("@chown", "changing the owner of files",
	      "chown", "fchown", "fchownat", "lchown"),
	GROUP("@sync", "flushing files to disk",
	      "fdatasync", "fsync", "msync", "sync", "sync_file_range", "syncfs"),
	GROUP("@io-event", "waiting for events on file descriptors",
	      "epoll_create", "epoll_create1", "epoll_ctl", "epoll_pwait", "epoll_pwait2", "epoll_wait",
	      "eventfd", "eventfd2", "poll", "ppoll", "pselect6", "select"),
	GROUP("@ioctl", "device and terminal controls on open file descriptors",
	      "ioctl"),
	GROUP("@pipe", "pipes and anonymous memory files",
	      "memfd_create", "pipe", "pipe2"),
	GROUP("@ipc", "pipes, System V and POSIX shared memory, semaphores and message queues",
	      "memfd_create", "mq_getsetattr", "mq_notify", "mq_open", "mq_timedreceive", "mq_timedsend",
	      "mq_unlink", "msgctl", "msgget", "msgrcv", "msgsnd", "pipe", "pipe2", "semctl", "semget",
	      "semop", "semtimedop", "shmat", "shmctl", "shmdt", "shmget"),
	GROUP("@memory", "managing the process's own memory",
	      "get_mempolicy", "madvise", "mincore", "mremap", "set_mempolicy"),
	GROUP("@memlock", "locking memory in RAM",
	      "mlock", "mlock2", "mlockall", "munlock", "munlockall"),
	GROUP("@network-io", "sockets: socket(2)'s families are restricted by socketFamilies",
	      "accept", "accept4", "bind", "connect", "getpeername", "getsockname", "getsockopt", "listen",
	      "recvfrom", "recvmmsg", "recvmsg", "sendmmsg", "sendmsg", "sendto", "setsockopt", "shutdown",
	      "socket", "socketpair"),
	GROUP("@process", "starting, signalling and waiting for processes; new namespaces are restricted by namespaces",
	      "capget", "clone", "clone3", "fork", "getpriority", "getrusage", "kill", "pidfd_open",
	      "pidfd_send_signal", "prctl", "rt_sigqueueinfo", "rt_tgsigqueueinfo", "setpgid", "setsid",
	      "tgkill", "tkill", "vfork", "wait4", "waitid"),
	GROUP("@signal", "handling signals",
	      "rt_sigaction", "rt_sigpending", "rt_sigprocmask", "rt_sigsuspend", "rt_sigtimedwait",
	      "sigaltstack", "signalfd", "signalfd4"),
	GROUP("@timer", "timers and alarms",
	      "alarm", "getitimer", "setitimer", "timer_create", "timer_delete", "timer_getoverrun",
	      "timer_gettime", "timer_settime", "timerfd_create", "timerfd_gettime", "timerfd_settime", "times"),
	GROUP("@system-info", "reading facts about the system",
	      "getcpu", "sysinfo", "sched_getparam", "sched_getscheduler", "sched_get_priority_max",
	      "sched_get_priority_min", "sched_getattr"),
	GROUP("@setuid", "changing user and group identities",
	      "setfsgid", "setfsuid", "setgid", "setgroups", "setregid", "setresgid", "setresuid",
	      "setreuid", "setuid"),
	GROUP("@resources", "changing resource limits and scheduling",
	      "ioprio_set", "sched_setaffinity", "sched_setattr", "sched_setparam", "sched_setscheduler",
	      "setpriority", "setrlimit"),
	GROUP("@namespaces", "entering and creating namespaces (restricted further by namespaces)",
	      "setns", "unshare"),
	GROUP("@mount", "mounting and unmounting file systems",
	      "chroot", "fsconfig", "fsmount", "fsopen", "fspick", "mount", "mount_setattr", "move_mount",
	      "open_tree", "pivot_root", "umount2"),
	GROUP("@module", "loading and unloading kernel modules",
	      "delete_module", "finit_module", "init_module"),
	GROUP("@swap", "enabling and disabling swap",
	      "swapoff", "swapon"),
	GROUP("@raw-io", "raw device and port access",
	      "ioperm", "iopl", "pciconfig_read", "pciconfig_write"),
	GROUP("@basic-process", "a program that reads files, writes its fds and exits: the helpers' common base",
	      "@default", "@basic-io", "@file-read", "@io-event", "@memory", "@signal"),
	GROUP("@go-runtime", "what the Go runtime uses besides @basic-process: threads, timers, pipes, signals to itself",
	      "@basic-process", "@timer", "@pipe", "clone", "clone3", "tgkill", "getpid", "prctl", "sched_getaffinity",
	      "sysinfo", "waitid"),
};
const size_t syscall_groups_count = ELEMENTSOF(syscall_groups);

const SyscallGroup *syscall_group_find(const char *name) {
	if (!name || name[0] != '@')
		return NULL;
	for (size_t i = 0; i < syscall_groups_count; i++)
		if (streq(syscall_groups[i].name, name))
			return &syscall_groups[i];
	return NULL;
}

bool syscall_name_is_valid(const char *name) {
	if (!name || !*name)
		return false;
	if (name[0] == '@')
		return syscall_group_find(name) != NULL;
	return seccomp_syscall_resolve_name(name) != __NR_SCMP_ERROR;
}

/* x86_64's numbers stay below 512; the x32 ones (bit 30) are not native syscalls here. */
size_t syscall_set_size(void) {
	return 1024;
}

static int set_add(bool *allowed, size_t n, const char *name, unsigned depth) {
	if (depth > 8)
		return -ELOOP;
	if (name[0] == '@') {
		const SyscallGroup *g = syscall_group_find(name);
		int total = 0;
		if (!g)
			return -ENOENT;
		for (const char *const *m = g->members; *m; m++) {
			int r = set_add(allowed, n, *m, depth + 1);
			if (r < 0)
				return r;
			total += r;
		}
		return total;
	}
	int nr = seccomp_syscall_resolve_name(name);
	if (nr == __NR_SCMP_ERROR || nr < 0 || (size_t) nr >= n || allowed[nr])
		return 0;
	allowed[nr] = true;
	return 1;
}

int syscall_set_add(bool *allowed, size_t n, const char *name) {
	if (!allowed || !name)
		return -EINVAL;
	return set_add(allowed, n, name, 0);
}

int syscall_set_new(char *const *names, size_t n_names, bool **ret) {
	size_t n = syscall_set_size();
	bool *set = calloc(n, sizeof(bool));
	int r;

	if (!set)
		return -ENOMEM;
	r = syscall_set_add(set, n, "@default");
	for (size_t i = 0; r >= 0 && i < n_names; i++)
		r = syscall_set_add(set, n, names[i]);
	if (r < 0) {
		free(set);
		return r;
	}
	*ret = set;
	return 0;
}

int syscall_resolve(const char *name) {
	int nr = seccomp_syscall_resolve_name(name);
	return nr == __NR_SCMP_ERROR ? -1 : nr;
}

static int names_add(char ***l, const char *name, unsigned depth) {
	if (depth > 8)
		return -ELOOP;
	if (name[0] != '@')
		return strv_contains(*l, name) ? 0 : strv_extend(l, name);
	const SyscallGroup *g = syscall_group_find(name);
	if (!g)
		return -ENOENT;
	for (const char *const *m = g->members; *m; m++) {
		int r = names_add(l, *m, depth + 1);
		if (r < 0)
			return r;
	}
	return 0;
}

int syscall_names_new(char *const *names, size_t n_names, char ***ret) {
	_cleanup_strv_free_ char **l = NULL;
	int r;

	if (!ret)
		return -EINVAL;
	r = names_add(&l, "@default", 0);
	for (size_t i = 0; r >= 0 && i < n_names; i++)
		r = names_add(&l, names[i], 0);
	if (r < 0)
		return r;
	strv_sort_unique(l);
	*ret = TAKE_PTR(l);
	return 0;
}

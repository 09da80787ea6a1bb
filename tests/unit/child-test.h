/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* For the tests of code that starts and waits for child processes (process-util, job,
 * job-event): reading a pid a child wrote, reaping the orphans of a killed job, and
 * taking pidfd_open() away to exercise the fallbacks. */

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fileio.h"
#include "macro.h"

#define ARGV(...) ((const char *const[]) { __VA_ARGS__, NULL })

/* The pid a shell wrote to path right after starting its child: up to 2 s for it. */
static inline pid_t child_read_pid(const char *path) {
	for (int i = 0; i < 200; i++) {
		_cleanup_free_ char *text = NULL;
		if (read_full_file(path, &text, NULL) >= 0 && text[0])
			return (pid_t) atoi(text);
		usleep(10000);
	}
	return -1;
}

/* An orphan of a job, reaped by us (the test is its subreaper): its shell-style status,
 * or -1 when it did not end within 2 s. */
static inline int child_reap_orphan(pid_t pid) {
	int st;
	for (int i = 0; i < 200; i++) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st);
		usleep(10000);
	}
	return -1;
}

/* A seccomp filter turning pidfd_open() into ENOSYS for this process and its children,
 * as on kernels before 5.3: install it in a forked helper. */
static inline int child_block_pidfd_open(void) {
#if defined(__x86_64__)
	const unsigned arch = AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
	const unsigned arch = AUDIT_ARCH_AARCH64;
#else
	return -EOPNOTSUPP;
#endif
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, arch, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_pidfd_open, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = ELEMENTSOF(f), .filter = f };
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0)
		return -errno;
	return 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The probe test-confine runs under each security profile: one action per run, its result
 * on stdout as "ACTION: ok" or "ACTION: errno NAME", so the test compares words, not
 * guesses. Actions:
 *   status          the kernel's view of this process: /proc/self/status's capability,
 *                   NoNewPrivs and Seccomp lines, and the ids
 *   outside         personality(0xffffffff), a query no profile allows: outside every list
 *   inside          getppid() and a write to stdout: allowed by every profile
 *   open FILE       open(FILE, O_RDONLY): a file of mode 0000 needs CAP_DAC_OVERRIDE
 *   create FILE     open(FILE, O_WRONLY|O_CREAT): Landlock's writable paths
 *   socket FAMILY   socket(FAMILY, SOCK_DGRAM or SOCK_STREAM) by number
 *   clone FLAG      clone(FLAG|SIGCHLD) of a child that exits at once, by number */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int report(const char *action, long r) {
	if (r < 0)
		printf("%s: errno %s\n", action, strerrorname_np(errno) ?: "?");
	else
		printf("%s: ok\n", action);
	return fflush(stdout) == 0 ? 0 : 1;
}

int main(int argc, char **argv) {
	if (argc < 2)
		return 2;
	const char *a = argv[1];

	if (strcmp(a, "status") == 0) {
		FILE *f = fopen("/proc/self/status", "re");
		char line[512];
		if (!f)
			return 1;
		while (fgets(line, sizeof line, f))
			if (strncmp(line, "Cap", 3) == 0 || strncmp(line, "NoNewPrivs:", 11) == 0 ||
			    strncmp(line, "Seccomp", 7) == 0 || strncmp(line, "Uid:", 4) == 0 ||
			    strncmp(line, "Gid:", 4) == 0 || strncmp(line, "Groups:", 7) == 0)
				fputs(line, stdout);
		fclose(f);
		return fflush(stdout) == 0 ? 0 : 1;
	}
	if (strcmp(a, "outside") == 0)
		return report(a, syscall(SYS_personality, 0xffffffffUL));
	if (strcmp(a, "inside") == 0)
		return report(a, getppid() > 0 && write(STDOUT_FILENO, "", 0) == 0 ? 0 : -1);
	if (strcmp(a, "open") == 0 && argc == 3) {
		int fd = open(argv[2], O_RDONLY | O_CLOEXEC);
		return report(a, fd);
	}
	if (strcmp(a, "create") == 0 && argc == 3) {
		int fd = open(argv[2], O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
		return report(a, fd);
	}
	if (strcmp(a, "socket") == 0 && argc == 3) {
		int fam = atoi(argv[2]);
		int fd = socket(fam, fam == AF_UNIX ? SOCK_STREAM : SOCK_DGRAM, 0);
		return report(a, fd);
	}
	if (strcmp(a, "clone") == 0 && argc == 3) {
		unsigned long flag = strtoul(argv[2], NULL, 0);
		long pid = syscall(SYS_clone, flag | SIGCHLD, NULL, NULL, NULL, NULL);
		if (pid == 0)
			_exit(0);
		if (pid > 0)
			(void) waitpid((pid_t) pid, NULL, 0);
		return report(a, pid);
	}
	return 2;
}

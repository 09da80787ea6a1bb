/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fuzz the decoding of containerd's namespace, task, pid and container replies
 * (supervisor/containerd-tasks.c), bytes kilnctl audit reads from containerd's socket:
 * no crash, no leak; an error is -EBADMSG (or -ENOMEM) with the outputs untouched; a
 * success gives names that are set, tasks with ids, pids above 0, and whole label pairs. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "containerd-tasks.h"
#include "fuzz.h"
#include "macro.h"
#include "strv.h"

static bool failed_cleanly(int r) {
	return r == -EBADMSG || r == -ENOMEM;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
	char **names = (char **) data;
	ContainerdTask *tasks = (ContainerdTask *) data;
	pid_t *pids = (pid_t *) data;
	ContainerdContainer c = { .id = (char *) data };
	size_t n = SIZE_MAX;
	int r;

	r = containerd_parse_namespaces_reply(data, size, &names);
	if (r < 0 ? !failed_cleanly(r) || names != (char **) data : r != 0)
		abort();
	STRV_FOREACH(s, r == 0 ? names : NULL)
		if (isempty(*s))
			abort();
	if (r == 0)
		strv_free(names);

	r = containerd_parse_tasks_reply(data, size, &tasks, &n);
	if (r < 0 ? !failed_cleanly(r) || tasks != (ContainerdTask *) data || n != SIZE_MAX : r != 0)
		abort();
	if (r == 0) {
		for (size_t i = 0; i < n; i++)
			if (isempty(tasks[i].container_id) || tasks[i].pid < 0 ||
			    tasks[i].status > CONTAINERD_TASK_PAUSING)
				abort();
		containerd_tasks_free(tasks, n);
	}

	n = SIZE_MAX;
	r = containerd_parse_pids_reply(data, size, &pids, &n);
	if (r < 0 ? !failed_cleanly(r) || pids != (pid_t *) data || n != SIZE_MAX : r != 0)
		abort();
	if (r == 0) {
		for (size_t i = 0; i < n; i++)
			if (pids[i] <= 0)
				abort();
		free(pids);
	}

	r = containerd_parse_container_reply(data, size, &c);
	if (r < 0 ? !failed_cleanly(r) || c.id != (char *) data : r != 0)
		abort();
	if (r == 0) {
		if (isempty(c.id) || strv_length(c.labels) % 2 != 0)
			abort();
		for (char **l = c.labels; l && *l; l += 2)
			if (!containerd_container_label(&c, l[0]))
				abort();
		containerd_container_done(&c);
	}
	return 0;
}

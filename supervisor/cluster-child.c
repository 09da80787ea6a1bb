/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cluster-child.h"
#include "helper-security.h"
#include "fd-util.h"
#include "job-event.h"

typedef struct Stream {
	ClusterChild *child;
	ClusterStream which;
	int fd;
	sd_event_source *io;
	char *buf;                      /* a partial line, or everything when captured */
	size_t size, allocated;
	bool capture;
} Stream;

struct ClusterChild {
	sd_event *event;
	pid_t pid;
	JobEvent *job;                  /* its exit and its deadline (lib/job-event.h) */
	Stream streams[2];
	ClusterChildOptions opts;
	int status;                     /* once exited */
	int error;                      /* -ETIMEDOUT or -EFBIG: why we killed it */
	bool exited;
};

static void stream_close(Stream *s) {
	s->io = sd_event_source_disable_unref(s->io);
	s->fd = safe_close(s->fd);
}

static int stream_grow(Stream *s, size_t want) {
	if (s->allocated >= want)
		return 0;
	size_t n = MAX(want, MAX(s->allocated * 2, (size_t) 1024));
	char *b = realloc(s->buf, n);
	if (!b)
		return -ENOMEM;
	s->buf = b;
	s->allocated = n;
	return 0;
}

/* Hand out every complete line in the buffer (and, at the end, the rest). */
static void stream_emit_lines(Stream *s, bool flush) {
	ClusterChild *c = s->child;
	size_t start = 0;

	for (size_t i = 0; i < s->size; i++) {
		if (s->buf[i] != '\n' && i - start + 1 < CLUSTER_CHILD_LINE_MAX)
			continue;
		bool newline = s->buf[i] == '\n';
		char saved = s->buf[i + (newline ? 0 : 1)];
		size_t end = newline ? i : i + 1;
		/* The buffer always has room for one byte more than it holds. */
		s->buf[end] = '\0';
		if (c->opts.on_line)
			c->opts.on_line(c, s->which, s->buf + start, c->opts.userdata);
		if (!newline)
			s->buf[end] = saved;
		start = i + 1;
	}
	if (flush && start < s->size) {
		s->buf[s->size] = '\0';
		if (c->opts.on_line)
			c->opts.on_line(c, s->which, s->buf + start, c->opts.userdata);
		start = s->size;
	}
	memmove(s->buf, s->buf + start, s->size - start);
	s->size -= start;
}

/* Read what is there now: 1 at EOF, 0 when the pipe is drained for now, -errno. */
static int stream_read(Stream *s) {
	for (;;) {
		int r = stream_grow(s, s->size + 4096 + 1);
		if (r < 0)
			return r;
		ssize_t n = read(s->fd, s->buf + s->size, s->allocated - s->size - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN ? 0 : -errno;
		}
		if (n == 0)
			return 1;
		s->size += (size_t) n;
		if (s->capture) {
			if (s->size > CLUSTER_CHILD_CAPTURE_MAX)
				return -EFBIG;
		} else
			stream_emit_lines(s, false);
	}
}

static void child_kill(ClusterChild *c) {
	/* The child leads its process group: kubeadm's own children (systemctl) go too. The
	 * job's watch sees it die. */
	if (c->pid > 0 && !c->exited)
		(void) kill(-c->pid, SIGKILL);
}

static void child_maybe_finish(ClusterChild *c) {
	if (!c->exited)
		return;
	/* Everything it wrote is in the pipes by now (it cannot exit while blocked on a
	 * full pipe): take it, and do not wait for an EOF a grandchild could hold off. */
	for (size_t i = 0; i < 2; i++) {
		Stream *s = &c->streams[i];
		if (s->fd >= 0) {
			int r = stream_read(s);
			if (r == -EFBIG && c->error == 0)
				c->error = r;
			stream_close(s);
		}
		if (!s->capture)
			stream_emit_lines(s, true);
		else if (s->buf)
			s->buf[s->size] = '\0';
	}
	int status = c->error < 0 ? c->error : c->status;
	ClusterChildDoneFn done = TAKE_PTR(c->opts.on_done);
	/* Last: the callback may free c. */
	if (done)
		done(c, status, c->opts.userdata);
}

static int on_stream(sd_event_source *source, int fd, uint32_t revents, void *userdata) {
	Stream *s = userdata;
	ClusterChild *c = s->child;
	int r = stream_read(s);

	if (r == -EFBIG) {
		c->error = r;
		child_kill(c);
	}
	if (r != 0)
		stream_close(s);
	return 0;
}

static void on_job_end(JobEvent *j, int error, const JobResult *result, void *userdata) {
	ClusterChild *c = userdata;

	c->exited = true;
	if (error < 0)
		c->status = error;
	else if (result->end == JOB_TIMED_OUT) {
		if (c->error == 0)
			c->error = -ETIMEDOUT;
	} else
		c->status = result->status;
	child_maybe_finish(c);
}

int cluster_child_start(sd_event *e, const char *const *argv, const ClusterChildOptions *opts, ClusterChild **ret) {
	_cleanup_(cluster_child_freep) ClusterChild *c = NULL;
	_cleanup_close_ int out_w = -EBADF, err_w = -EBADF;
	int r;

	if (!e || !argv || !argv[0] || !opts || !opts->on_done || !opts->security || !ret)
		return -EINVAL;
	c = calloc(1, sizeof *c);
	if (!c)
		return -ENOMEM;
	c->event = sd_event_ref(e);
	c->opts = *opts;
	for (size_t i = 0; i < 2; i++) {
		int p[2];
		c->streams[i] = (Stream) { .child = c, .which = (ClusterStream) i, .fd = -EBADF,
					   .capture = i == CLUSTER_STDOUT && opts->capture_stdout };
		if (pipe2(p, O_CLOEXEC) < 0)
			return -errno;
		c->streams[i].fd = p[0];
		*(i == 0 ? &out_w : &err_w) = p[1];
		r = fd_set_nonblock(p[0], true);
		if (r < 0)
			return r;
	}

	SpawnOptions so = {
		.stdio = { [STDIN_FILENO] = { .mode = SPAWN_STDIO_NULL },
			   [STDOUT_FILENO] = SPAWN_STDIO_FROM_FD(out_w),
			   [STDERR_FILENO] = SPAWN_STDIO_FROM_FD(err_w) },
		.env = opts->env,
	};
	r = helper_job_start(opts->security, argv, &so, opts->timeout, &c->pid);
	if (r < 0) {
		c->pid = 0;
		return r;
	}
	/* Our copies of the write ends must go, or EOF never comes. */
	out_w = safe_close(out_w);
	err_w = safe_close(err_w);

	r = job_event_new(e, c->pid, usec_add(now(CLOCK_MONOTONIC), opts->timeout), on_job_end, c, &c->job);
	if (r < 0) {
		(void) job_kill(c->pid);
		c->pid = 0;
		return r;
	}
	for (size_t i = 0; i < 2; i++) {
		r = sd_event_add_io(e, &c->streams[i].io, c->streams[i].fd, EPOLLIN, on_stream, &c->streams[i]);
		if (r < 0)
			return r;
	}
	*ret = TAKE_PTR(c);
	return 0;
}

ClusterChild *cluster_child_free(ClusterChild *c) {
	if (!c)
		return NULL;
	/* Kills a job that still runs, with its group, and reaps it. */
	job_event_free(c->job);
	for (size_t i = 0; i < 2; i++) {
		stream_close(&c->streams[i]);
		free(c->streams[i].buf);
	}
	sd_event_unref(c->event);
	free(c);
	return NULL;
}

const char *cluster_child_stdout(ClusterChild *c, size_t *ret_size) {
	Stream *s = &c->streams[CLUSTER_STDOUT];

	if (ret_size)
		*ret_size = s->capture ? s->size : 0;
	return s->capture && s->buf ? s->buf : "";
}

pid_t cluster_child_pid(ClusterChild *c) {
	return c ? c->pid : 0;
}

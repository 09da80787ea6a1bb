/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The container runtime probes (supervisor/runtime.c) and the gRPC client under them
 * (lib/grpc-unix.c):
 *   - the CRI replies decoded from bytes (the Version reply is what containerd 1.6 sent)
 *   - grpc_unix_call() against scripted servers on a unix socket: a whole exchange
 *     checked frame by frame on the server side, and every way a peer can fail (no
 *     socket, nobody listening, never answering, HTTP/1.1, hang-up, reset, a status
 *     without a message, compressed or doubled messages, a PING to answer)
 *   - metadata headers (containerd's namespace) sent, and bad ones refused
 *   - the real thing: containerd (Debian's) started on a socket in a temporary
 *     directory, asked for its version and its image store, before and after an image
 *     import, through the CRI and through containerd's own Images service (namespace
 *     header, target digest, pin label). Skipped when containerd is not installed or we
 *     are not root. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "containerd-images.h"
#include "fd-util.h"
#include "grpc-unix.h"
#include "io-util.h"
#include "process-util.h"
#include "runtime.h"
#include "strv.h"
#include "tap.h"

static char *dir;

/* ---- decoding ---- */

static void test_parse(void) {
	/* containerd 1.6.20's answer to RuntimeService/Version, as captured. */
	static const uint8_t version_reply[] = {
		0x0a, 0x05, '0', '.', '1', '.', '0',
		0x12, 0x0a, 'c', 'o', 'n', 't', 'a', 'i', 'n', 'e', 'r', 'd',
		0x1a, 0x0a, '1', '.', '6', '.', '2', '0', '~', 'd', 's', '1',
		0x22, 0x02, 'v', '1',
	};
	RuntimeVersion v = {};
	char *detail = NULL;

	is_int(runtime_parse_version_reply(version_reply, sizeof version_reply, &v), 0, "a Version reply");
	ok(v.runtime_name && streq(v.runtime_name, "containerd") && v.runtime_version &&
	   streq(v.runtime_version, "1.6.20~ds1") && v.runtime_api_version && streq(v.runtime_api_version, "v1"),
	   "runtime name, version and API version");
	is_int(runtime_describe(&v, &detail), 0, "runtime_describe");
	is_str(detail, "containerd 1.6.20~ds1 answers", "the phase's detail");
	free(detail);
	runtime_version_done(&v);

	static const uint8_t repeated[] = { 0x12, 0x01, 'a', 0x28, 0x07, 0x12, 0x01, 'b' };
	is_int(runtime_parse_version_reply(repeated, sizeof repeated, &v), 0, "an unknown field and a repeated one");
	ok(v.runtime_name && streq(v.runtime_name, "b") && !v.runtime_version, "the last value wins, absent stays NULL");
	runtime_version_done(&v);
	is_int(runtime_parse_version_reply(NULL, 0, &v), 0, "an empty reply (all fields default)");
	ok(!v.runtime_name && !v.runtime_version, "nothing set");
	static const uint8_t broken[] = { 0x12, 0x05, 'a' };
	is_int(runtime_parse_version_reply(broken, sizeof broken, &v), -EBADMSG, "a truncated reply");
	ok(!v.runtime_name, "leaves nothing behind");

	/* ListImagesResponse { images: [ {id, repo_tags: [a, b], repo_digests: [d], size: 3},
	 * {id, repo_tags: [c]} ] } */
	static const uint8_t images_reply[] = {
		0x0a, 0x0e,
		0x0a, 0x01, 'x', 0x12, 0x01, 'a', 0x12, 0x01, 'b', 0x1a, 0x01, 'd', 0x20, 0x03,
		0x0a, 0x06,
		0x0a, 0x01, 'y', 0x12, 0x01, 'c',
	};
	char **refs = NULL;
	is_int(runtime_parse_images_reply(images_reply, sizeof images_reply, &refs), 0, "a ListImages reply");
	ok(refs && strv_length(refs) == 4 && streq(refs[0], "a") && streq(refs[1], "b") && streq(refs[2], "c") &&
	   streq(refs[3], "d"), "every tag, then every digest");
	refs = strv_free(refs);
	is_int(runtime_parse_images_reply(NULL, 0, &refs), 0, "an empty image store");
	ok(refs && !refs[0], "is an empty vector, not NULL");
	refs = strv_free(refs);
	static const uint8_t not_message[] = { 0x08, 0x01 };
	is_int(runtime_parse_images_reply(not_message, sizeof not_message, &refs), -EBADMSG,
	       "an images field that is not a message");
	static const uint8_t bad_inner[] = { 0x0a, 0x02, 0x12, 0x05 };
	is_int(runtime_parse_images_reply(bad_inner, sizeof bad_inner, &refs), -EBADMSG, "a malformed image");
	ok(!refs, "leaves nothing behind");
}

/* ---- scripted servers ---- */

typedef enum Script {
	SCRIPT_SILENT,         /* accepts, reads, never answers */
	SCRIPT_HTTP1,          /* answers like an HTTP/1.1 server */
	SCRIPT_HANG_UP,        /* closes right after accepting */
	SCRIPT_REPLY,          /* a proper reply, in pieces, checking the request */
	SCRIPT_TRAILERS_ONLY,  /* a gRPC error: headers that end the stream, no message */
	SCRIPT_RESET,          /* RST_STREAM */
	SCRIPT_COMPRESSED,     /* a message with the compressed flag */
	SCRIPT_TWO_MESSAGES,   /* two messages for a unary call */
	SCRIPT_PING_FIRST,     /* a PING to answer before the reply */
} Script;

static const char request_message[] = "\x0a\x03req";
static const uint8_t reply_message[] = { 0x12, 0x03, 'a', 'b', 'c' };

static int read_n(int fd, void *buf, size_t n) {
	return loop_read_exact(fd, buf, n);
}

static void frame(int fd, uint8_t type, uint8_t flags, uint32_t stream, const void *p, size_t n) {
	uint8_t h[9] = { (uint8_t) (n >> 16), (uint8_t) (n >> 8), (uint8_t) n, type, flags,
			 (uint8_t) (stream >> 24), (uint8_t) (stream >> 16), (uint8_t) (stream >> 8), (uint8_t) stream };
	(void) loop_write(fd, h, sizeof h);
	if (n > 0)
		(void) loop_write(fd, p, n);
}

/* Read one frame; its payload (up to cap bytes) into p. -1 on error. */
static int read_frame(int fd, uint8_t *type, uint8_t *flags, uint32_t *stream, uint8_t *p, size_t cap, size_t *len) {
	uint8_t h[9];
	if (read_n(fd, h, 9) < 0)
		return -1;
	*len = (size_t) h[0] << 16 | (size_t) h[1] << 8 | h[2];
	*type = h[3];
	*flags = h[4];
	*stream = ((uint32_t) h[5] << 24 | (uint32_t) h[6] << 16 | (uint32_t) h[7] << 8 | h[8]) & 0x7fffffff;
	if (*len > cap || read_n(fd, p, *len) < 0)
		return -1;
	return 0;
}

static bool contains(const uint8_t *p, size_t n, const char *s) {
	return memmem(p, n, s, strlen(s)) != NULL;
}

/* The metadata header the next call must carry, as HPACK bytes ("literal without
 * indexing, new name": 0x00, length, name, length, value); NULL: it must carry none. */
static const uint8_t namespace_header[] = "\x00\x14" "containerd-namespace" "\x06" "k8s.io";
static bool expect_namespace;

/* The client's side, as the server sees it: exit status 0 when it is what RFC 9113 and
 * gRPC ask for. Bit flags say what was wrong. */
static int check_request(int fd) {
	char preface[24];
	uint8_t p[16384], type, flags;
	uint32_t stream;
	size_t len;
	int bad = 0;
	bool settings = false, window = false, headers = false, data = false;

	if (read_n(fd, preface, sizeof preface) < 0 || memcmp(preface, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 24) != 0)
		return 1;
	while (!data) {
		if (read_frame(fd, &type, &flags, &stream, p, sizeof p, &len) < 0)
			return bad | 2;
		if (type == 0x4 && !(flags & 1))
			settings = stream == 0 && len % 6 == 0;
		else if (type == 0x8)
			window = stream == 0 && len == 4;
		else if (type == 0x1) {
			/* Our literals are not Huffman-coded: the strings are there verbatim. */
			headers = stream == 1 && (flags & 0x4) && !(flags & 0x1) && p[0] == 0x83 && p[1] == 0x86 &&
				  contains(p, len, "/test.Service/Call") && contains(p, len, "application/grpc") &&
				  contains(p, len, "te") && contains(p, len, "trailers");
			bool has_namespace = memmem(p, len, namespace_header, sizeof namespace_header - 1) != NULL;
			if (has_namespace != expect_namespace || (!expect_namespace && contains(p, len, "containerd")))
				bad |= 64;
		} else if (type == 0x0) {
			data = true;
			if (!(stream == 1 && (flags & 0x1) && len == 5 + sizeof request_message - 1 && p[0] == 0 &&
			      p[4] == sizeof request_message - 1 && memcmp(p + 5, request_message, sizeof request_message - 1) == 0))
				bad |= 4;
		}
	}
	if (!settings)
		bad |= 8;
	if (!window)
		bad |= 16;
	if (!headers)
		bad |= 32;
	return bad;
}

static _noreturn_ void serve(int listen_fd, Script script) {
	uint8_t settings_ack_seen = 0;
	int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		_exit(100);
	if (script == SCRIPT_HANG_UP)
		_exit(0);
	if (script == SCRIPT_HTTP1) {
		char buf[512];
		if (read(fd, buf, sizeof buf) < 0)
			_exit(101);
		static const char answer[] = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
		(void) loop_write(fd, answer, sizeof answer - 1);
		_exit(0);
	}
	int bad = check_request(fd);
	if (script == SCRIPT_SILENT) {
		pause();
		_exit(0);
	}

	frame(fd, 0x4, 0, 0, NULL, 0);   /* our SETTINGS */
	if (script == SCRIPT_PING_FIRST) {
		static const uint8_t opaque[8] = "kilnping";
		uint8_t p[64], type, flags;
		uint32_t stream;
		size_t len;
		frame(fd, 0x6, 0, 0, opaque, 8);
		/* The client acknowledges our SETTINGS and answers the PING. */
		bool pong = false;
		while (!pong) {
			if (read_frame(fd, &type, &flags, &stream, p, sizeof p, &len) < 0)
				_exit(64);
			if (type == 0x4 && (flags & 1))
				settings_ack_seen = 1;
			if (type == 0x6)
				pong = (flags & 1) && len == 8 && memcmp(p, opaque, 8) == 0;
		}
		if (!settings_ack_seen)
			bad |= 128;
	}
	static const uint8_t header_block[] = { 0x88, 0x5f, 0x8b, 0x1d, 0x75, 0xd0, 0x62, 0x0d, 0x26, 0x3d, 0x4c, 0x74, 0x41, 0xea };
	static const uint8_t trailers[] = { 0x40, 0x8a, 0x9a, 0xca, 0xc8, 0xb2, 0x12, 0x34, 0xda, 0x8f, 0x01, 0x30 };

	switch (script) {
	case SCRIPT_TRAILERS_ONLY:
		frame(fd, 0x1, 0x4 | 0x1, 1, trailers, sizeof trailers);
		break;
	case SCRIPT_RESET: {
		static const uint8_t code[4] = { 0, 0, 0, 2 };
		frame(fd, 0x3, 0, 1, code, sizeof code);
		break;
	}
	default: {
		uint8_t msg[64] = { script == SCRIPT_COMPRESSED ? 1 : 0, 0, 0, 0, sizeof reply_message };
		memcpy(msg + 5, reply_message, sizeof reply_message);
		size_t n = 5 + sizeof reply_message;
		if (script == SCRIPT_TWO_MESSAGES) {
			memcpy(msg + n, msg, n);
			n *= 2;
		}
		frame(fd, 0x1, 0x4, 1, header_block, sizeof header_block);
		frame(fd, 0x8, 0, 0, "\0\0\1\0", 4);   /* noise the client must ignore */
		/* The message in two DATA frames, the first one padded. */
		uint8_t padded[1 + 3 + 4] = { 4 };
		memcpy(padded + 1, msg, 3);
		frame(fd, 0x0, 0x8, 1, padded, sizeof padded);
		frame(fd, 0x0, 0, 1, msg + 3, n - 3);
		frame(fd, 0x1, 0x4 | 0x1, 1, trailers, sizeof trailers);
	}
	}
	/* Wait for the client to hang up, so that it reads everything. */
	char c;
	while (read(fd, &c, 1) > 0)
		;
	_exit(bad);
}

typedef struct Server {
	char path[108];
	pid_t pid;
} Server;

static int server_start(Server *s, Script script, bool listening) {
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	static unsigned counter;

	snprintf(s->path, sizeof s->path, "%s/s%u.sock", dir, counter++);
	strcpy(sa.sun_path, s->path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *) &sa, sizeof sa) < 0)
		return -errno;
	s->pid = 0;
	if (!listening) {
		close(fd);
		return 0;
	}
	if (listen(fd, 4) < 0)
		return -errno;
	s->pid = fork();
	if (s->pid < 0)
		return -errno;
	if (s->pid == 0)
		serve(fd, script);
	close(fd);
	return 0;
}

/* The server's verdict on our request (its exit status), killed if still there after
 * 2 s (it ends once the client hung up). */
static int server_stop(Server *s) {
	int status = -1;
	if (s->pid > 0) {
		pid_t k;
		usec_t deadline = usec_add(now(CLOCK_MONOTONIC), 2 * USEC_PER_SEC);
		while ((k = waitpid(s->pid, &status, WNOHANG)) == 0 && now(CLOCK_MONOTONIC) < deadline)
			usleep(10 * 1000);
		if (k == 0) {
			kill(s->pid, SIGKILL);
			(void) waitpid(s->pid, &status, 0);
			status = -2;
		}
	}
	unlink(s->path);
	return status >= 0 && WIFEXITED(status) ? WEXITSTATUS(status) : status;
}

static int call(const char *path, usec_t timeout, void **reply, size_t *size) {
	return grpc_unix_call(path, "/test.Service/Call", request_message, sizeof request_message - 1, timeout,
			      reply, size);
}

static void test_scripted(void) {
	_cleanup_free_ void *reply = NULL;
	size_t size = 0;
	Server s;
	char path[128];

	snprintf(path, sizeof path, "%s/missing.sock", dir);
	is_int(call(path, USEC_PER_SEC, &reply, &size), -ENOENT, "no socket: -ENOENT");
	ok(server_start(&s, SCRIPT_REPLY, false) == 0, "a bound socket nobody listens on");
	is_int(call(s.path, USEC_PER_SEC, &reply, &size), -ECONNREFUSED, "-ECONNREFUSED");
	server_stop(&s);

	ok(server_start(&s, SCRIPT_REPLY, true) == 0, "a server that replies properly");
	is_int(call(s.path, 5 * USEC_PER_SEC, &reply, &size), 0, "the call succeeds");
	ok(reply && size == sizeof reply_message && memcmp(reply, reply_message, size) == 0,
	   "the reply is the message, put together from a padded and a plain DATA frame (%zu bytes)", size);
	is_int(server_stop(&s), 0, "the server found the request well-formed: preface, SETTINGS, "
	       "WINDOW_UPDATE, HEADERS (POST, http, path, content-type, te, no other metadata), one DATA with END_STREAM");
	reply = mfree_str(reply);

	/* Metadata: containerd's namespace header, sent as one more literal. */
	static const GrpcMetadata ns[] = { { "containerd-namespace", "k8s.io" } };
	expect_namespace = true;
	ok(server_start(&s, SCRIPT_REPLY, true) == 0, "a server that wants the namespace header");
	is_int(grpc_unix_call_with_metadata(s.path, "/test.Service/Call", ns, 1, request_message,
					    sizeof request_message - 1, 5 * USEC_PER_SEC, &reply, &size), 0,
	       "grpc_unix_call_with_metadata succeeds");
	ok(reply && size == sizeof reply_message && memcmp(reply, reply_message, size) == 0, "the same reply");
	is_int(server_stop(&s), 0, "the server found containerd-namespace: k8s.io in the header block, and the rest as before");
	reply = mfree_str(reply);
	expect_namespace = false;

	static const struct {
		GrpcMetadata md;
		const char *what;
	} invalid[] = {
		{ { "Containerd-Namespace", "k8s.io" }, "an upper-case name (HTTP/2 wants lower case)" },
		{ { "grpc-timeout", "1S" },             "a grpc-* name (gRPC's own)" },
		{ { ":path", "/x" },                    "a pseudo-header" },
		{ { "x-bin", "AAAA" },                  "a binary (-bin) name" },
		{ { "te", "gzip" },                     "te (sent by the call itself)" },
		{ { "content-type", "text/plain" },     "content-type (sent by the call itself)" },
		{ { "a b", "c" },                       "a name with a space" },
		{ { "", "c" },                          "an empty name" },
		{ { "x", "line\nbreak" },               "a value with a newline" },
		{ { "x", "\x7f" },                      "a value with DEL" },
		{ { "x", NULL },                        "a NULL value" },
		{ { NULL, "y" },                        "a NULL name" },
	};
	for (size_t i = 0; i < ELEMENTSOF(invalid); i++)
		is_int(grpc_unix_call_with_metadata(s.path, "/test.Service/Call", &invalid[i].md, 1, NULL, 0, USEC_PER_SEC,
						    &reply, &size), -EINVAL, invalid[i].what);
	is_int(grpc_unix_call_with_metadata(s.path, "/test.Service/Call", NULL, 1, NULL, 0, USEC_PER_SEC, &reply, &size),
	       -EINVAL, "a count without metadata: -EINVAL");

	ok(server_start(&s, SCRIPT_PING_FIRST, true) == 0, "a server that PINGs before replying");
	is_int(call(s.path, 5 * USEC_PER_SEC, &reply, &size), 0, "the call succeeds");
	is_int(server_stop(&s), 0, "the client acknowledged SETTINGS and answered the PING with its payload");
	reply = mfree_str(reply);

	static const struct {
		Script script;
		int want;
		const char *what;
	} failures[] = {
		{ SCRIPT_HTTP1,         -EPROTO,     "an HTTP/1.1 server: -EPROTO" },
		{ SCRIPT_HANG_UP,       -ECONNRESET, "a server that hangs up: -ECONNRESET" },
		{ SCRIPT_TRAILERS_ONLY, -EREMOTEIO,  "a status without a message (a gRPC error): -EREMOTEIO" },
		{ SCRIPT_RESET,         -ECONNRESET, "RST_STREAM: -ECONNRESET" },
		{ SCRIPT_COMPRESSED,    -EPROTO,     "a compressed message we did not ask for: -EPROTO" },
		{ SCRIPT_TWO_MESSAGES,  -EPROTO,     "two messages for a unary call: -EPROTO" },
	};
	for (size_t i = 0; i < ELEMENTSOF(failures); i++) {
		if (server_start(&s, failures[i].script, true) < 0) {
			ok(false, "server for: %s", failures[i].what);
			continue;
		}
		int r = call(s.path, 5 * USEC_PER_SEC, &reply, &size);
		/* The kernel may report the hang-up while we still write. */
		if (failures[i].script == SCRIPT_HANG_UP && r == -EPIPE)
			r = -ECONNRESET;
		is_int(r, failures[i].want, failures[i].what);
		server_stop(&s);
		reply = mfree_str(reply);
	}

	ok(server_start(&s, SCRIPT_SILENT, true) == 0, "a server that never answers");
	usec_t t0 = now(CLOCK_MONOTONIC);
	is_int(call(s.path, 300 * USEC_PER_MSEC, &reply, &size), -ETIMEDOUT, "-ETIMEDOUT");
	usec_t took = now(CLOCK_MONOTONIC) - t0;
	ok(took >= 290 * USEC_PER_MSEC && took < 2 * USEC_PER_SEC, "after the 300 ms timeout (%llu ms)",
	   (unsigned long long) (took / USEC_PER_MSEC));
	server_stop(&s);

	/* A listener whose backlog is full: connect(2) says EAGAIN until the deadline. */
	{
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		int fds[8], n = 0, l = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

		snprintf(sa.sun_path, sizeof sa.sun_path, "%s/full.sock", dir);
		ok(l >= 0 && bind(l, (struct sockaddr *) &sa, sizeof sa) == 0 && listen(l, 0) == 0, "a listener with backlog 0");
		for (; n < (int) ELEMENTSOF(fds); n++) {
			fds[n] = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
			if (connect(fds[n], (struct sockaddr *) &sa, sizeof sa) < 0) {
				close(fds[n]);
				break;
			}
		}
		ok(n < (int) ELEMENTSOF(fds), "its backlog fills after %d connections", n);
		t0 = now(CLOCK_MONOTONIC);
		is_int(call(sa.sun_path, 200 * USEC_PER_MSEC, &reply, &size), -ETIMEDOUT, "a full backlog: -ETIMEDOUT");
		took = now(CLOCK_MONOTONIC) - t0;
		ok(took >= 190 * USEC_PER_MSEC && took < 2 * USEC_PER_SEC, "after the 200 ms timeout (%llu ms)",
		   (unsigned long long) (took / USEC_PER_MSEC));
		while (n > 0)
			close(fds[--n]);
		close(l);
	}

	is_int(grpc_unix_call(path, "no-slash", NULL, 0, USEC_PER_SEC, &reply, &size), -EINVAL, "a method without '/'");
	is_int(grpc_unix_call(path, "/a/b", NULL, 0, 0, &reply, &size), -EINVAL, "a zero timeout");
}

/* ---- containerd ---- */

static pid_t containerd_pid;

static void containerd_stop(void) {
	if (containerd_pid > 0)
		(void) kill_and_reap(containerd_pid, SIGTERM);
	containerd_pid = 0;
}

static void test_containerd(void) {
	char config[512], socket_path[256], conf_path[256], log_path[256], cmd[1024];
	RuntimeVersion v = {};
	char **refs = NULL;
	int r;

	if (geteuid() != 0 || access("/usr/bin/containerd", X_OK) < 0) {
		skip(20, "containerd needs root and /usr/bin/containerd (tools/install-deps)");
		return;
	}
	snprintf(socket_path, sizeof socket_path, "%s/containerd.sock", dir);
	snprintf(conf_path, sizeof conf_path, "%s/containerd.toml", dir);
	snprintf(log_path, sizeof log_path, "%s/containerd.log", dir);
	snprintf(config, sizeof config,
		 "version = 2\nroot = \"%s/root\"\nstate = \"%s/state\"\n[grpc]\n  address = \"%s\"\n"
		 "[ttrpc]\n  address = \"%s/ttrpc.sock\"\n", dir, dir, socket_path, dir);
	FILE *f = fopen(conf_path, "we");
	ok(f && fputs(config, f) >= 0 && fclose(f) == 0, "containerd's configuration in %s", dir);

	is_int(runtime_version(socket_path, USEC_PER_SEC, &v), -ENOENT, "before containerd starts: -ENOENT");

	const char *argv[] = { "/usr/bin/containerd", "--config", conf_path, NULL };
	_cleanup_close_ int log_fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	const SpawnOptions opts = {
		.stdio[STDOUT_FILENO] = SPAWN_STDIO_FROM_FD(log_fd),
		.stdio[STDERR_FILENO] = SPAWN_STDIO_FROM_FD(log_fd),
	};
	r = log_fd < 0 ? -errno : spawn(argv, &opts, &containerd_pid);
	if (r < 0) {
		ok(false, "containerd starts: %s", strerror(-r));
		return;
	}
	/* Bounded: it serves within a second or two here. */
	usec_t deadline = usec_add(now(CLOCK_MONOTONIC), 20 * USEC_PER_SEC);
	while ((r = runtime_version(socket_path, USEC_PER_SEC, &v)) < 0 && now(CLOCK_MONOTONIC) < deadline)
		usleep(50 * 1000);
	is_int(r, 0, "containerd's CRI answers RuntimeService/Version");
	ok(v.runtime_name && streq(v.runtime_name, "containerd") && v.runtime_version && *v.runtime_version &&
	   v.runtime_api_version && streq(v.runtime_api_version, "v1"),
	   "runtime %s %s, CRI %s", v.runtime_name ?: "?", v.runtime_version ?: "?", v.runtime_api_version ?: "?");
	runtime_version_done(&v);

	usec_t t0 = now(CLOCK_MONOTONIC);
	for (int i = 0; i < 100; i++)
		(void) runtime_version(socket_path, USEC_PER_SEC, NULL);
	diag("100 Version calls took %.1f ms", (now(CLOCK_MONOTONIC) - t0) / 1000.0);

	is_int(runtime_list_images(socket_path, USEC_PER_SEC, &refs), 0, "ImageService/ListImages");
	ok(refs && !refs[0], "a new store lists no images");
	refs = strv_free(refs);

	/* An image imported offline, as the images phase will find the preseeded ones. */
	snprintf(cmd, sizeof cmd,
		 "python3 '%s/tests/lib/oci-archive.py' docker.io/kiln/test:1 '%s/img.tar' && "
		 "ctr --address '%s' -n k8s.io images import '%s/img.tar' >/dev/null",
		 tap_srcdir(), dir, socket_path, dir);
	is_int(system(cmd), 0, "ctr imports a tiny OCI image into the k8s.io namespace");
	is_int(runtime_list_images(socket_path, USEC_PER_SEC, &refs), 0, "ListImages again");
	ok(refs && strv_contains(refs, "docker.io/kiln/test:1"), "the CRI lists docker.io/kiln/test:1");
	refs = strv_free(refs);

	/* containerd's own image service: the records the images phase compares. */
	_cleanup_free_ void *raw = NULL;
	size_t raw_size = 0;
	is_int(grpc_unix_call(socket_path, "/containerd.services.images.v1.Images/List", NULL, 0, USEC_PER_SEC, &raw,
			      &raw_size), -EREMOTEIO, "Images/List without a namespace: -EREMOTEIO (containerd requires one)");
	ContainerdImage *images = NULL;
	size_t n_images = 0;
	is_int(containerd_list_images(socket_path, "default", USEC_PER_SEC, &images, &n_images), 0,
	       "Images/List in namespace \"default\"");
	is_int(n_images, 0, "lists nothing: the image is in k8s.io only");
	containerd_images_free(images, n_images);
	images = NULL;

	snprintf(cmd, sizeof cmd,
		 "ctr --address '%s' -n k8s.io images label docker.io/kiln/test:1 io.cri-containerd.pinned=pinned >/dev/null && "
		 "ctr --address '%s' -n k8s.io images ls | awk '$1 == \"docker.io/kiln/test:1\" { print $3 }'",
		 socket_path, socket_path);
	char want[128] = "";
	FILE *p = popen(cmd, "re");
	ok(p && fgets(want, sizeof want, p) && pclose(p) == 0, "ctr pins the image and shows its digest");
	want[strcspn(want, "\n")] = '\0';
	is_int(containerd_list_images(socket_path, "k8s.io", USEC_PER_SEC, &images, &n_images), 0,
	       "Images/List in namespace k8s.io (the containerd-namespace header)");
	const ContainerdImage *found = NULL;
	for (size_t i = 0; i < n_images; i++)
		if (streq(images[i].name, "docker.io/kiln/test:1"))
			found = &images[i];
	ok(found, "lists docker.io/kiln/test:1 (among %zu records)", n_images);
	ok(found && found->target_digest && streq(found->target_digest, want), "at the digest ctr shows (%s)", want);
	ok(found && found->target_media_type && strstr(found->target_media_type, "manifest") && found->target_size > 0,
	   "a manifest of %lld bytes", found ? (long long) found->target_size : -1LL);
	ok(found && streq(containerd_image_label(found, "io.cri-containerd.pinned") ?: "", "pinned"), "pinned");
	containerd_images_free(images, n_images);

	usec_t t1 = now(CLOCK_MONOTONIC);
	for (int i = 0; i < 100; i++)
		if (containerd_list_images(socket_path, "k8s.io", USEC_PER_SEC, &images, &n_images) >= 0)
			containerd_images_free(images, n_images);
	diag("100 Images/List calls took %.1f ms", (now(CLOCK_MONOTONIC) - t1) / 1000.0);

	is_int(grpc_unix_call(socket_path, "/runtime.v1.RuntimeService/NoSuchCall", NULL, 0, USEC_PER_SEC,
			      (void **) &refs, &(size_t) { 0 }), -EREMOTEIO, "an unknown method: -EREMOTEIO (UNIMPLEMENTED)");

	containerd_stop();
	/* containerd removes its socket when it stops cleanly. */
	r = runtime_version(socket_path, USEC_PER_SEC, &v);
	ok(r == -ENOENT || r == -ECONNREFUSED, "after containerd stopped: %s", strerror(-r));
}

int main(void) {
	dir = tap_mkdtemp();
	if (!dir)
		skip_all("cannot make a temporary directory");
	signal(SIGPIPE, SIG_IGN);
	test_parse();
	test_scripted();
	test_containerd();
	containerd_stop();
	rm_rf(dir);
	free(dir);
	return done_testing();
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "alloc-util.h"
#include "fd-util.h"
#include "grpc-unix.h"
#include "macro.h"

/* RFC 9113 section 6: frame types and flags. */
enum {
	H2_DATA = 0x0, H2_HEADERS = 0x1, H2_RST_STREAM = 0x3, H2_SETTINGS = 0x4,
	H2_PING = 0x6, H2_GOAWAY = 0x7, H2_WINDOW_UPDATE = 0x8,
};
#define H2_FLAG_END_STREAM  0x01
#define H2_FLAG_ACK         0x01
#define H2_FLAG_END_HEADERS 0x04
#define H2_FLAG_PADDED      0x08
#define H2_FRAME_HEADER     9
/* SETTINGS_MAX_FRAME_SIZE's default, which we do not raise: no frame may be larger. */
#define H2_MAX_FRAME        16384
#define H2_STREAM           1
/* What we let the server send before it waits for a WINDOW_UPDATE: enough for the whole
 * largest reply, so that we never have to send one. */
#define H2_WINDOW           (GRPC_UNIX_MAX_REPLY + 64 * 1024)

#define H2_PREFACE "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

typedef struct Buf {
	uint8_t *data;
	size_t size, allocated;
} Buf;

static void buf_done(Buf *b) {
	free(b->data);
	b->data = NULL;
	b->size = b->allocated = 0;
}

static int buf_put(Buf *b, const void *p, size_t n) {
	if (!GREEDY_REALLOC(b->data, b->allocated, b->size + n))
		return -ENOMEM;
	if (n > 0)
		memcpy(b->data + b->size, p, n);
	b->size += n;
	return 0;
}

static int buf_put_u8(Buf *b, uint8_t v) {
	return buf_put(b, &v, 1);
}

static int put_frame_header(Buf *b, size_t length, uint8_t type, uint8_t flags, uint32_t stream) {
	const uint8_t h[H2_FRAME_HEADER] = {
		(uint8_t) (length >> 16), (uint8_t) (length >> 8), (uint8_t) length, type, flags,
		(uint8_t) (stream >> 24), (uint8_t) (stream >> 16), (uint8_t) (stream >> 8), (uint8_t) stream,
	};
	return buf_put(b, h, sizeof h);
}

/* HPACK (RFC 7541 5.1): an integer in the low prefix_bits of a first byte that carries
 * `pattern` in its high bits. */
static int hpack_put_int(Buf *b, uint8_t pattern, unsigned prefix_bits, size_t v) {
	size_t max = (1U << prefix_bits) - 1;
	int r;

	if (v < max)
		return buf_put_u8(b, (uint8_t) (pattern | v));
	if ((r = buf_put_u8(b, (uint8_t) (pattern | max))) < 0)
		return r;
	for (v -= max; v >= 128; v >>= 7)
		if ((r = buf_put_u8(b, (uint8_t) (0x80 | (v & 0x7f)))) < 0)
			return r;
	return buf_put_u8(b, (uint8_t) v);
}

/* A string literal without Huffman coding (5.2). */
static int hpack_put_string(Buf *b, const char *s) {
	size_t n = strlen(s);
	int r = hpack_put_int(b, 0x00, 7, n);
	return r < 0 ? r : buf_put(b, s, n);
}

/* "Literal Header Field without Indexing" (6.2.2): name_index is a static table entry,
 * or 0 for a literal name. The server's dynamic table is never touched. */
static int hpack_put_literal(Buf *b, size_t name_index, const char *name, const char *value) {
	int r = hpack_put_int(b, 0x00, 4, name_index);
	if (r >= 0 && name_index == 0)
		r = hpack_put_string(b, name);
	return r < 0 ? r : hpack_put_string(b, value);
}

/* Headers the call sends itself, which metadata must not repeat or contradict. */
static const char *const own_headers[] = { "content-type", "te" };

static bool metadata_valid(const GrpcMetadata *m) {
	size_t n;

	if (!m || isempty(m->name) || !m->value)
		return false;
	n = strlen(m->name);
	if (strspn(m->name, "abcdefghijklmnopqrstuvwxyz0123456789-_.") != n || strneq(m->name, "grpc-", 5) ||
	    (n >= 4 && streq(m->name + n - 4, "-bin")))
		return false;
	for (size_t i = 0; i < ELEMENTSOF(own_headers); i++)
		if (streq(m->name, own_headers[i]))
			return false;
	for (const char *v = m->value; *v; v++)
		if ((unsigned char) *v < 0x20 || (unsigned char) *v > 0x7e)
			return false;
	return true;
}

/* The client's whole side of the exchange, written at once. */
static int build_request(const char *method, const GrpcMetadata *metadata, size_t n_metadata, const void *request,
			 size_t request_size, Buf *out) {
	_cleanup_(buf_done) Buf block = {};
	int r;

	/* Static table (RFC 7541 appendix A): 3 ":method: POST", 6 ":scheme: http" as
	 * indexed fields; 1 ":authority", 4 ":path", 31 "content-type" as names. */
	if ((r = buf_put_u8(&block, 0x80 | 3)) < 0 ||
	    (r = buf_put_u8(&block, 0x80 | 6)) < 0 ||
	    (r = hpack_put_literal(&block, 4, NULL, method)) < 0 ||
	    (r = hpack_put_literal(&block, 1, NULL, "localhost")) < 0 ||
	    (r = hpack_put_literal(&block, 31, NULL, "application/grpc")) < 0 ||
	    (r = hpack_put_literal(&block, 0, "te", "trailers")) < 0)
		return r;
	for (size_t i = 0; i < n_metadata; i++)
		if ((r = hpack_put_literal(&block, 0, metadata[i].name, metadata[i].value)) < 0)
			return r;
	if (block.size > H2_MAX_FRAME || request_size > H2_MAX_FRAME - 5)
		return -E2BIG;

	/* SETTINGS: no server push (0x2 = 0), a stream window for the whole reply (0x4). */
	const uint8_t settings[] = {
		0x00, 0x02, 0, 0, 0, 0,
		0x00, 0x04, (uint8_t) (H2_WINDOW >> 24), (uint8_t) (H2_WINDOW >> 16), (uint8_t) (H2_WINDOW >> 8), (uint8_t) H2_WINDOW,
	};
	/* The connection's window starts at 65535 whatever SETTINGS say: widen it too. */
	const uint32_t increment = H2_WINDOW - 65535;
	const uint8_t window[] = {
		(uint8_t) (increment >> 24), (uint8_t) (increment >> 16), (uint8_t) (increment >> 8), (uint8_t) increment,
	};
	/* gRPC's length-prefixed message: not compressed, 4-byte big-endian length. */
	const uint8_t prefix[5] = {
		0, (uint8_t) (request_size >> 24), (uint8_t) (request_size >> 16), (uint8_t) (request_size >> 8),
		(uint8_t) request_size,
	};

	if ((r = buf_put(out, H2_PREFACE, STRLEN(H2_PREFACE))) < 0 ||
	    (r = put_frame_header(out, sizeof settings, H2_SETTINGS, 0, 0)) < 0 ||
	    (r = buf_put(out, settings, sizeof settings)) < 0 ||
	    (r = put_frame_header(out, sizeof window, H2_WINDOW_UPDATE, 0, 0)) < 0 ||
	    (r = buf_put(out, window, sizeof window)) < 0 ||
	    (r = put_frame_header(out, block.size, H2_HEADERS, H2_FLAG_END_HEADERS, H2_STREAM)) < 0 ||
	    (r = buf_put(out, block.data, block.size)) < 0 ||
	    (r = put_frame_header(out, sizeof prefix + request_size, H2_DATA, H2_FLAG_END_STREAM, H2_STREAM)) < 0 ||
	    (r = buf_put(out, prefix, sizeof prefix)) < 0 ||
	    (r = buf_put(out, request, request_size)) < 0)
		return r;
	return 0;
}

/* Wait until fd is ready for `events` or the deadline (CLOCK_MONOTONIC) passes. */
static int wait_fd(int fd, short events, usec_t deadline) {
	for (;;) {
		usec_t n = now(CLOCK_MONOTONIC);
		if (n >= deadline)
			return -ETIMEDOUT;
		usec_t left = deadline - n;
		struct pollfd p = { .fd = fd, .events = events };
		int k = poll(&p, 1, (int) MIN((left + USEC_PER_MSEC - 1) / USEC_PER_MSEC, (usec_t) INT32_MAX));
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		if (k > 0)
			return 0;
	}
}

static int write_all(int fd, const uint8_t *p, size_t n, usec_t deadline) {
	while (n > 0) {
		ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && errno == EAGAIN) {
			int r = wait_fd(fd, POLLOUT, deadline);
			if (r < 0)
				return r;
			continue;
		}
		if (k < 0)
			return errno == EPIPE ? -ECONNRESET : -errno;
		p += k;
		n -= (size_t) k;
	}
	return 0;
}

/* Exactly n bytes; -ECONNRESET at an early end of the stream. */
static int read_all(int fd, uint8_t *p, size_t n, usec_t deadline) {
	while (n > 0) {
		ssize_t k = recv(fd, p, n, 0);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && errno == EAGAIN) {
			int r = wait_fd(fd, POLLIN, deadline);
			if (r < 0)
				return r;
			continue;
		}
		if (k < 0)
			return -errno;
		if (k == 0)
			return -ECONNRESET;
		p += k;
		n -= (size_t) k;
	}
	return 0;
}

static int connect_unix(const char *path, usec_t deadline, int *ret_fd) {
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	_cleanup_close_ int fd = -EBADF;

	if (strlen(path) >= sizeof sa.sun_path)
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	/* A unix socket completes connect(2) at once or not at all: EAGAIN means a full
	 * backlog (a busy server), and the socket stays unconnected, so try again. */
	while (connect(fd, (const struct sockaddr *) &sa, sizeof sa) < 0) {
		if (errno != EAGAIN && errno != EINTR)
			return -errno;
		if (now(CLOCK_MONOTONIC) >= deadline)
			return -ETIMEDOUT;
		(void) usleep(10 * 1000);
	}
	*ret_fd = TAKE_FD(fd);
	return 0;
}

/* Read frames until our stream ends; the DATA of our stream goes to *data. */
static int read_reply(int fd, usec_t deadline, Buf *data) {
	uint8_t h[H2_FRAME_HEADER], payload[H2_MAX_FRAME];
	bool first = true;
	int r;

	for (;;) {
		if ((r = read_all(fd, h, sizeof h, deadline)) < 0)
			return r;
		size_t length = (size_t) h[0] << 16 | (size_t) h[1] << 8 | h[2];
		uint8_t type = h[3], flags = h[4];
		uint32_t stream = ((uint32_t) h[5] << 24 | (uint32_t) h[6] << 16 | (uint32_t) h[7] << 8 | h[8]) & 0x7fffffff;

		/* The server's connection preface is a SETTINGS frame (3.4); anything else
		 * (an HTTP/1.1 status line, say) is not an HTTP/2 server. */
		if (length > H2_MAX_FRAME || (first && (type != H2_SETTINGS || (flags & H2_FLAG_ACK))))
			return -EPROTO;
		first = false;
		if ((r = read_all(fd, payload, length, deadline)) < 0)
			return r;

		switch (type) {
		case H2_SETTINGS:
			if (!(flags & H2_FLAG_ACK) && stream == 0) {
				uint8_t ack[H2_FRAME_HEADER] = { 0, 0, 0, H2_SETTINGS, H2_FLAG_ACK, 0, 0, 0, 0 };
				if ((r = write_all(fd, ack, sizeof ack, deadline)) < 0)
					return r;
			}
			break;
		case H2_PING:
			if (!(flags & H2_FLAG_ACK) && length == 8) {
				uint8_t pong[H2_FRAME_HEADER + 8] = { 0, 0, 8, H2_PING, H2_FLAG_ACK, 0, 0, 0, 0 };
				memcpy(pong + H2_FRAME_HEADER, payload, 8);
				if ((r = write_all(fd, pong, sizeof pong, deadline)) < 0)
					return r;
			}
			break;
		case H2_GOAWAY:
		case H2_RST_STREAM:
			if (type == H2_GOAWAY || stream == H2_STREAM)
				return -ECONNRESET;
			break;
		case H2_DATA:
			if (stream != H2_STREAM)
				return -EPROTO;
			size_t pad = 0, skip = 0;
			if (flags & H2_FLAG_PADDED) {
				if (length < 1 || (size_t) payload[0] + 1 > length)
					return -EPROTO;
				pad = payload[0];
				skip = 1;
			}
			if (data->size + length - skip - pad > GRPC_UNIX_MAX_REPLY + 5)
				return -EFBIG;
			if ((r = buf_put(data, payload + skip, length - skip - pad)) < 0)
				return r;
			if (flags & H2_FLAG_END_STREAM)
				return 0;
			break;
		case H2_HEADERS:
			/* The response's headers, then its trailers; not decoded (see the
			 * header). Trailers end the stream. */
			if (stream == H2_STREAM && (flags & H2_FLAG_END_STREAM))
				return 0;
			break;
		default:
			/* WINDOW_UPDATE, PRIORITY, CONTINUATION, unknown types: nothing to do. */
			break;
		}
	}
}

int grpc_unix_call_with_metadata(const char *socket_path, const char *method, const GrpcMetadata *metadata,
				 size_t n_metadata, const void *request, size_t request_size, usec_t timeout_usec,
				 void **ret_reply, size_t *ret_reply_size) {
	_cleanup_close_ int fd = -EBADF;
	_cleanup_(buf_done) Buf out = {}, in = {};
	usec_t deadline;
	int r;

	if (!socket_path || !method || method[0] != '/' || (!request && request_size > 0) || !ret_reply ||
	    !ret_reply_size || timeout_usec == 0 || (!metadata && n_metadata > 0))
		return -EINVAL;
	for (size_t i = 0; i < n_metadata; i++)
		if (!metadata_valid(&metadata[i]))
			return -EINVAL;
	deadline = usec_add(now(CLOCK_MONOTONIC), timeout_usec);

	if ((r = build_request(method, metadata, n_metadata, request, request_size, &out)) < 0 ||
	    (r = connect_unix(socket_path, deadline, &fd)) < 0 ||
	    (r = write_all(fd, out.data, out.size, deadline)) < 0 ||
	    (r = read_reply(fd, deadline, &in)) < 0)
		return r;

	/* No message: the call failed and only a status came (trailers-only). */
	if (in.size == 0)
		return -EREMOTEIO;
	if (in.size < 5 || in.data[0] != 0)
		return -EPROTO;   /* not a message, or compressed though we offered no encoding */
	size_t n = (size_t) in.data[1] << 24 | (size_t) in.data[2] << 16 | (size_t) in.data[3] << 8 | in.data[4];
	if (n != in.size - 5)
		return -EPROTO;   /* a unary reply is exactly one message */
	if (n > GRPC_UNIX_MAX_REPLY)
		return -EFBIG;

	void *reply = NULL;
	if (n > 0) {
		reply = malloc(n);
		if (!reply)
			return -ENOMEM;
		memcpy(reply, in.data + 5, n);
	}
	*ret_reply = reply;
	*ret_reply_size = n;
	return 0;
}

int grpc_unix_call(const char *socket_path, const char *method, const void *request, size_t request_size,
		   usec_t timeout_usec, void **ret_reply, size_t *ret_reply_size) {
	return grpc_unix_call_with_metadata(socket_path, method, NULL, 0, request, request_size, timeout_usec,
					    ret_reply, ret_reply_size);
}

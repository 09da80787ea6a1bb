/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* kilnctl's side of the status socket: fetch the supervisor's JSON document, and render
 * it as the table "kilnctl status" prints. */

#include "macro.h"
#include "time-util.h"

/* Overrides STATUS_SOCKET_PATH, for tests and for looking into another root. */
#define STATUS_SOCKET_ENV "KILN_STATUS_SOCKET"
#define STATUS_FETCH_TIMEOUT_USEC (5 * USEC_PER_SEC)
/* The document is a few KiB; anything far larger is not from the supervisor. */
#define STATUS_DOCUMENT_MAX ((size_t) 1024 * 1024)

/* The socket path: $KILN_STATUS_SOCKET when set and not empty, else STATUS_SOCKET_PATH. */
const char *status_socket_path(void);

/* Connect to path and read the document until the supervisor closes the connection, all
 * within timeout. 0 and the NUL-terminated text in *ret; -ENOENT or -ECONNREFUSED when no
 * supervisor listens, -EACCES without permission, -ETIMEDOUT, -EFBIG past
 * STATUS_DOCUMENT_MAX, -EBADMSG when the text is not a JSON object. */
int status_fetch(const char *path, usec_t timeout, char **ret);

/* The table: a summary line, then one row per phase (phase, status, duration, attempts,
 * detail, last error), then what the supervisor last saw of the cluster when it looked
 * (API server, node, kube-system workloads, pods not running and ready), then each addon
 * with its step and what it waits for. -EBADMSG when the document does not have the
 * expected shape. */
int status_format_table(const char *document, char **ret);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The locks builds wait for: the cache's per-stage locks and one per output directory.
 * The holder writes a line into the lock file saying who it is, so that a build that has
 * to wait says for what and for whom instead of hanging silently. A wait ends early when
 * the build is interrupted (-EINTR). */

#include <stdbool.h>

/* Once per process: the line a lock we hold shows to whoever waits for it, e.g.
 * "kiln-imagegen build (PID 1234, since 13:50:02 UTC) writing out". */
int build_lock_set_holder(const char *verb, const char *output);

/* Take a lock on path (created if missing): exclusive, or shared with other builds that
 * take it shared. With unlinkable, the lock file may be removed by its holder on release
 * (build_lock_release()): the lock taken is then the one still at path. Returns the
 * lock's fd. */
int build_lock_take(const char *path, const char *what, bool shared, bool unlinkable);
/* Turn an exclusive lock into a shared one. */
int build_lock_share(int fd);

/* Release a lock; with unlink_path, remove the lock file first (while still holding it). */
int build_lock_release(int fd, const char *unlink_path);

/* Whether path's lock is held by anyone (a build that is running). */
bool build_lock_is_held(const char *path);

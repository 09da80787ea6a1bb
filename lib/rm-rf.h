/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Remove a directory tree without following symlinks and without crossing into other
 * file systems (a build tree may have something mounted below it by mistake: never
 * delete through a mount point). */

typedef enum RemoveFlags {
	REMOVE_ROOT        = 1 << 0,   /* remove the directory itself too, not only its contents */
	REMOVE_MISSING_OK  = 1 << 1,   /* a path that does not exist is success */
} RemoveFlags;

int rm_rf_at(int dir_fd, const char *path, RemoveFlags flags);
int rm_rf_path(const char *path, RemoveFlags flags);

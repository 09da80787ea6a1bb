/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Disk space: how much room each step needs and on which file system (the cache's or the
 * output's), from sizes measured on real builds rather than from the partition sizes
 * (disk.raw is sparse: an 8 GiB disk takes ~0.4 GB). Checked before the first step for
 * the steps that will run, and named when a step runs out of room after all. */

#include <stdint.h>

typedef struct Build Build;

/* Refuse the build (-ENOSPC, logged) when the steps still to run need more room than
 * the cache's or the output's file system has. Called by the plan and again once the
 * bundle knows how large the images are. */
int build_space_check(Build *b);

/* A step failed with -ENOSPC: say which file system, how much it has, and how much the
 * step needs there. */
void build_space_report(Build *b, const char *step);

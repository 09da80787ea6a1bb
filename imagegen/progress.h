/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Build progress. On a terminal: one line per step, redrawn every half second with the
 * elapsed time and a bar when the step knows its total. Otherwise: plain log lines when
 * a step starts and ends. */

#include <stdbool.h>
#include <stdint.h>

void progress_begin(unsigned index, unsigned count, const char *title);
/* Bytes done of total for a bar; safe to call often (it only stores numbers). */
void progress_update(uint64_t done, uint64_t total);
void progress_end(int result);

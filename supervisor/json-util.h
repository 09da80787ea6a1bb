/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* jansson ownership in the cleanup style of macro.h; jansson itself provides the
 * NULL-safe json_decrefp(). */

#include <jansson.h>

#include "macro.h"

#define _cleanup_json_ _cleanup_(json_decrefp)

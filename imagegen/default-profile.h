/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

/* profiles/single-node.yaml, embedded at build time (profiles/meson.build). */
extern const char kiln_default_profile[];
extern const size_t kiln_default_profile_size;

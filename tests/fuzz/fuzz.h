/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* The libFuzzer entry point every fuzz-*.c defines. Returns 0; a bug crashes. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "diag.h"

/* The verbs of kiln-imagegen, one file each. */
int verb_help(int argc, char **argv);
int verb_validate(int argc, char **argv);
int verb_show_default(int argc, char **argv);
int verb_build(int argc, char **argv);
int verb_lock(int argc, char **argv);
int verb_fetch(int argc, char **argv);
int verb_render(int argc, char **argv);

/* Print each diagnostic as "file:line:column: problem (expectation)" on stderr. */
int print_diagnostics(const DiagList *diags);

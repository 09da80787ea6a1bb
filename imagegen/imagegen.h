/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The verbs of kiln-imagegen, one file each. */
int verb_help(int argc, char **argv);
int verb_validate(int argc, char **argv);
int verb_show_default(int argc, char **argv);

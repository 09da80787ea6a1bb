/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* kilnctl's verbs that live in files of their own (registered in kilnctl.c's verb table).
 * Each parses its own options from argv (argv[0] is the verb) and returns an exit status. */

/* kilnctl preflight [--json|--tap] [--root=DIR]: run the node's preflight checks without
 * fixing anything. Exit 0 when nothing fails, 1 when a check fails (or the checks cannot
 * run), 2 for a usage error. */
int verb_preflight(int argc, char **argv);

/* kilnctl kubeconfig: print /etc/kubernetes/admin.conf. Root only: exit 1 for anybody
 * else, and when the file is not there (no cluster yet); 2 for a usage error. */
int verb_kubeconfig(int argc, char **argv);

/* kilnctl audit [--json|--tap] [...]: the kernel's view of the supervisor, its helpers and
 * every container process against what was declared for them (audit.h). Exit 0 when all
 * are as declared, 1 on a violation or a source not audited, 2 for a usage error. */
int verb_audit(int argc, char **argv);

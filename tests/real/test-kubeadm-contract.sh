#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Real tier: the checks the unit tier runs against tests/doubles/kubeadm (version, config
# images list, config validate: tests/unit/test-kubeadm-double.sh), run against the real
# kubeadm of the release tools/k8s-artifacts builds, so that the double's contract is the
# real tool's. Skips, saying why, where the release cannot be built.
source "$KILN_SRCDIR/tests/lib/tap.sh"
source "$KILN_SRCDIR/tests/lib/k8s-real.sh"

k8s_real_require
exec "$KILN_SRCDIR/tests/unit/test-kubeadm-double.sh"

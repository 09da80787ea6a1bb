# SPDX-License-Identifier: LGPL-2.1-or-later
# TAP helpers for the shell-level tests (bash). Source this file; end with tap_done.
# Every wait in these tests is bounded; every test cleans up what it started (traps).

tap_n=0
tap_failed=0

ok() {	# ok CONDITION-EXIT-STATUS DESCRIPTION  (use: ok $? "desc" or check cmd...)
	local status=$1; shift
	tap_n=$((tap_n + 1))
	if [[ $status -eq 0 ]]; then
		echo "ok $tap_n - $*"
	else
		tap_failed=$((tap_failed + 1))
		echo "not ok $tap_n - $*"
	fi
	return "$status"
}

check() {	# check DESCRIPTION -- COMMAND...: ok if COMMAND exits 0
	local desc=$1; shift
	[[ ${1:-} == -- ]] && shift
	"$@"
	ok $? "$desc"
}

is() {	# is GOT WANT DESCRIPTION
	if [[ "$1" == "$2" ]]; then
		ok 0 "$3"
	else
		ok 1 "$3"
		diag "  got:  '$1'"
		diag "  want: '$2'"
		return 1
	fi
}

diag() { printf '# %s\n' "$*"; }
diag_tail() {	# diag_tail FILE [LINES]: the end of a command's output, as diagnostics
	tail -n "${2:-15}" "$1" 2>/dev/null | sed 's/^/#   /'
}

skip() {	# skip N REASON
	local i
	for ((i = 0; i < $1; i++)); do
		tap_n=$((tap_n + 1))
		echo "ok $tap_n # SKIP $2"
	done
}

skip_all() { echo "1..0 # SKIP $*"; exit 0; }

bail() { echo "Bail out! $*"; exit 1; }

tap_done() {
	echo "1..$tap_n"
	[[ $tap_failed -eq 0 ]]
}

# wait_for TIMEOUT_SECONDS COMMAND...: poll every 0.1 s until COMMAND succeeds.
wait_for() {
	local deadline=$((SECONDS + $1)); shift
	until "$@" 2>/dev/null; do
		((SECONDS >= deadline)) && return 1
		sleep 0.1
	done
}

: "${KILN_SRCDIR:?run through meson test}"
: "${KILN_BUILDDIR:?run through meson test}"

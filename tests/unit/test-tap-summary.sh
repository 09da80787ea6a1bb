#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# tools/tap-summary.py decides what CI says: the counts on its last line, the exit
# status, a crash without "not ok" counted as a failure, whole-program skips, and the
# diagnostics printed under each failure.
source "$KILN_SRCDIR/tests/lib/tap.sh"

work=$(mktemp -d "${TMPDIR:-/tmp}/kiln-tap-summary-XXXXXX")
trap 'rm -rf "$work"' EXIT

# entry NAME RESULT RETURNCODE TAP-TEXT: one line of meson's testlog.json
entry() {
	python3 -c 'import json,sys; print(json.dumps({"name": sys.argv[1], "result": sys.argv[2],
		"returncode": int(sys.argv[3]), "stdout": sys.argv[4]}))' "$@"
}
summary() { python3 "$KILN_SRCDIR/tools/tap-summary.py" "$@"; }

entry good OK 0 $'ok 1 - a\nok 2 - b # SKIP not here\nok 3 - c # TODO later\n1..3\n' >"$work/good.json"
out=$(summary "$work/good.json"); rc=$?
is "$(tail -n1 <<<"$out")" "2 passed, 0 failed, 1 skipped" "passes and skip directives counted"
is "$rc" 0 "exit 0 without failures"

entry failing FAIL 1 $'ok 1 - a\n# unrelated note\nok 2 - b\n# why, before\nnot ok 3 - broken\n# why, after 1\n# why, after 2\nok 4 - d\n# later noise\nnot ok 5 - todo one # TODO known\n1..5\n' >"$work/failing.json"
out=$(summary "$work/failing.json"); rc=$?
is "$(tail -n1 <<<"$out")" "3 passed, 1 failed, 0 skipped" "one failure; a TODO failure is not counted"
is "$rc" 1 "exit 1 with a failure"
grep -qx '  failing: not ok - broken' <<<"$out"
ok $? "the failed point is listed by program and description"
diags=$(sed -n '/not ok - broken/,/^[0-9]/p' <<<"$out" | grep '^      #')
is "$diags" $'      # why, before\n      # why, after 1\n      # why, after 2' \
	"the diagnostics around the failure are printed under it, nothing else"

entry crashed FAIL -6 $'ok 1 - a\n' >"$work/crash.json"
entry skipped SKIP 77 $'1..0 # SKIP no QEMU here\n' >"$work/skip.json"
out=$(summary "$work/good.json" "$work/crash.json" "$work/skip.json"); rc=$?
is "$(tail -n1 <<<"$out")" "3 passed, 1 failed, 2 skipped" "a crash without 'not ok' is one failure; a skipped program one skip"
is "$rc" 1 "exit 1 after a crash"
grep -q 'crashed: FAIL (exit -6)' <<<"$out"
ok $? "the crash is listed with its result and exit code"
grep -q 'skipped: no QEMU here' <<<"$out"
ok $? "the whole-program skip is listed with its reason"

long=$'not ok 1 - noisy\n'
for i in $(seq 1 40); do long+="# line $i"$'\n'; done
entry noisy FAIL 1 "${long}1..1"$'\n' >"$work/noisy.json"
n=$(summary "$work/noisy.json" | grep -c '^      #')
is "$n" 16 "at most 16 diagnostic lines per failure"

tap_done

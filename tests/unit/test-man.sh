#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Every program has a man page; every page lints cleanly with mandoc; every long option
# and command a program's --help lists is documented in its page.
source "$KILN_SRCDIR/tests/lib/tap.sh"
command -v mandoc >/dev/null || skip_all "mandoc is not installed (tools/install-deps)"

man=$KILN_SRCDIR/man
for page in "$man"/*.[1-8]; do
	out=$(mandoc -T lint -W warning "$page" 2>&1)
	is "$out" "" "mandoc lint: $(basename "$page")"
done

declare -A programs=(
	[kiln-imagegen]="imagegen/kiln-imagegen kiln-imagegen.1"
	[kilnctl]="supervisor/kilnctl kilnctl.1"
	[kiln-supervisor]="supervisor/kiln-supervisor kiln-supervisor.8"
	[kiln-firstboot]="supervisor/kiln-firstboot kiln-firstboot.8"
	[kiln-store-check]="supervisor/kiln-store-check kiln-store-check.8"
	[kiln-confine]="supervisor/kiln-confine kiln-confine.8"
)
for p in "${!programs[@]}"; do
	read -r bin page <<<"${programs[$p]}"
	check "$p has a man page" -- test -f "$man/$page"
	help=$("$KILN_BUILDDIR/$bin" --help)
	ok $? "$p --help exits 0"
	# man(7) source escapes '-' as '\-'; compare against the unescaped text.
	text=$(sed 's/\\-/-/g; s/\\(dq/"/g' "$man/$page")
	missing=()
	for opt in $(grep -oE -- '--[a-z][a-z-]+' <<<"$help" | sort -u); do
		grep -qF -- "$opt" <<<"$text" || missing+=("$opt")
	done
	# Commands: the first word of each indented line in the "Commands:" block.
	for cmd in $(awk '/^Commands:/ { on = 1; next } /^$/ { on = 0 } on { print $1 }' <<<"$help"); do
		grep -qE -- "^\.(B|BI|TP.*) *$cmd\b|^\.B $cmd|^\.BI $cmd" <<<"$text" || missing+=("$cmd")
	done
	is "${missing[*]}" "" "every option and command of $p --help is in $page"
done
tap_done

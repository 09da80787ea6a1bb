# SPDX-License-Identifier: LGPL-2.1-or-later
# host_apt_mirror: print the build host's Debian archive URI, read from its own apt
# configuration (deb822 .sources first, then one-line sources.list). Never hard-coded.
host_apt_mirror() {
	local f uri
	for f in /etc/apt/sources.list.d/*.sources; do
		[[ -r $f ]] || continue
		# The first stanza whose suites are not *-security.
		uri=$(awk 'BEGIN { RS=""; FS="\n" }
			{ u=""; s="";
			  for (i = 1; i <= NF; i++) {
			    if ($i ~ /^URIs:/) { u=$i; sub(/^URIs:[ \t]*/, "", u); sub(/[ \t].*/, "", u) }
			    if ($i ~ /^Suites:/) s=$i
			  }
			  if (u != "" && s !~ /-security/) { print u; exit } }' "$f")
		[[ -n $uri ]] && { echo "$uri"; return 0; }
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[[ -r $f ]] || continue
		uri=$(awk '$1 == "deb" && $0 !~ /-security/ {
			for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' "$f")
		[[ -n $uri ]] && { echo "$uri"; return 0; }
	done
	return 1
}

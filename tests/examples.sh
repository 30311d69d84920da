#!/bin/bash
# The shipped example configs must parse: each is read by vhostd-xml (the same cfg parser
# vhostd uses) and must yield the libvirt interface for its first vhost port.
# usage: examples.sh VHOSTD_XML EXAMPLES_DIR
set -u
xml=$1 dir=$2 n=0
for f in "$dir"/*.ini; do
	port=$(sed -n 's/^\[vhost \(.*\)\]$/\1/p' "$f" | head -n 1)
	[ -n "$port" ] || { echo "FAIL $f: no [vhost NAME] section"; exit 1; }
	out=$("$xml" vhostuser --config "$f" --port "$port" 2>&1) || {
		echo "FAIL $f: $out"
		exit 1
	}
	grep -q "<interface type=\"vhostuser\">" <<<"$out" || { echo "FAIL $f: no interface in: $out"; exit 1; }
	n=$((n + 1))
done
[ "$n" -ge 3 ] || { echo "FAIL: only $n example configs in $dir"; exit 1; }
echo "PASS: $n example configs parse"

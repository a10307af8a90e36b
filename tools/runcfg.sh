#!/bin/sh
# Usage: runcfg.sh GRUB.CFG KEYFILE EXTRA APP TIMEOUT
# Prints make run's GRUB menu: every entry of GRUB.CFG, each multiboot2 line with EXTRA and
# the demo key (the first line of KEYFILE) added; the entry whose title ends in ": APP"
# (memcached, echo, httpd) is the default, booted after TIMEOUT seconds on the menu.
set -eu
cfg=$1 keyfile=$2 extra=$3 app=$4 timeout=$5
grep -q "^menuentry \"ixos: $app\"" "$cfg" || {
	echo "runcfg: no menu entry \"ixos: $app\" in $cfg (RUN_APP=memcached, echo or httpd)" >&2
	exit 1
}
awk -v keyfile="$keyfile" -v extra="$extra" -v app="$app" -v timeout="$timeout" '
	BEGIN { getline key < keyfile; n = 0 }
	/^#/ { next }
	/^set timeout=/ { print "set timeout=" timeout; next }
	/^menuentry / {
		if (index($0, "\"ixos: " app "\"")) def = n
		n++
	}
	/^[ \t]*multiboot2 / { $0 = $0 " " extra " mgmt_key=" key }
	{ lines[++nl] = $0 }
	END {
		print "set default=" def
		for (i = 1; i <= nl; i++) print lines[i]
	}' "$cfg"

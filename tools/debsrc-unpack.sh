#!/usr/bin/env bash
# Usage: debsrc-unpack.sh [--suite SUITE] [--patches DIR] PACKAGE VERSION DEST "SHA256 FILE" ...
# Unpacks a Debian (bookworm, or SUITE: bookworm-security) source package into DEST (an ignored folder) unless DEST already
# holds this version with these patches. tools/debsrc.sh fetches it into the cache (private apt
# configuration, pinned SHA-256 sums); dpkg-source checks the .dsc and applies Debian's
# patches; then our own, DIR/*.patch in name order (patch -p1, each with its reason on top),
# are applied. The stamp DEST/.ixos-VERSION holds the SHA-256 of our patch series: a changed,
# added or removed patch unpacks afresh. The stamp is touched either way, so make sees it
# newer than the patches.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
patches="" suite=bookworm
if [ "${1:-}" = "--suite" ]; then
	suite=$2
	shift 2
fi
if [ "${1:-}" = "--patches" ]; then
	patches=$2
	shift 2
fi
pkg=$1 version=$2 dest=$3
shift 3
stamp=$dest/.ixos-$version
series=none
plist=()
if [ -n "$patches" ]; then
	[ -d "$patches" ] || { echo "$pkg: no patch folder $patches" >&2; exit 1; }
	shopt -s nullglob
	plist=("$patches"/*.patch) # in name order (the glob sorts)
	shopt -u nullglob
	series=$( (cd "$patches" && for p in "${plist[@]}"; do sha256sum "$(basename "$p")"; done) |
		sha256sum | cut -d' ' -f1)
fi
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$series" ]; then
	touch "$stamp"
	exit 0
fi

cache=${IXOS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ixos}
dl=$cache/dl
mkdir -p "$dl"
"$top/tools/debsrc.sh" "$suite" "$pkg=$version" "$dl" "$@"
command -v dpkg-source >/dev/null || {
	SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq dpkg-dev >/dev/null
}
rm -rf "$dest" "$dest.tmp"
mkdir -p "$(dirname "$dest")"
# (dpkg-source cannot check the uploader's signature without the Debian keyring; the
# pinned sums are what we rely on.)
dpkg-source -q -x "$dl/${pkg}_$version.dsc" "$dest.tmp" >"$dl/$pkg-unpack.log" 2>&1 ||
	{ cat "$dl/$pkg-unpack.log" >&2; exit 1; }
if [ -n "$patches" ]; then
	command -v patch >/dev/null || {
		SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
		DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq patch >/dev/null
	}
	for p in "${plist[@]}"; do
		patch -d "$dest.tmp" -p1 -s -N --no-backup-if-mismatch -r - <"$p" ||
			{ echo "$pkg: our patch $(basename "$p") does not apply to $version" >&2; exit 1; }
		echo "$pkg: applied ${p#"$top"/}"
	done
fi
mv "$dest.tmp" "$dest"
echo "$series" >"$stamp"
echo "$pkg: unpacked $pkg $version into ${dest#"$top"/}"

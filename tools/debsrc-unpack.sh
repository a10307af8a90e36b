#!/usr/bin/env bash
# Usage: debsrc-unpack.sh PACKAGE VERSION DEST "SHA256 FILE" ...
# Unpacks a Debian (bookworm) source package into DEST (an ignored folder) unless DEST already
# holds this version. tools/debsrc.sh fetches it into the cache (private apt configuration,
# pinned SHA-256 sums); dpkg-source checks the .dsc and applies Debian's patches.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
pkg=$1 version=$2 dest=$3
shift 3
stamp=$dest/.ixos-$version
[ -f "$stamp" ] && exit 0

cache=${IXOS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ixos}
dl=$cache/dl
mkdir -p "$dl"
"$top/tools/debsrc.sh" bookworm "$pkg=$version" "$dl" "$@"
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
mv "$dest.tmp" "$dest"
touch "$stamp"
echo "$pkg: unpacked $pkg $version into ${dest#"$top"/}"

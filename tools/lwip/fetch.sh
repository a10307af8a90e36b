#!/usr/bin/env bash
# Unpacks lwIP 2.1.3 from Debian's source package into third_party/lwip (ignored by git).
# tools/debsrc.sh fetches it (private apt configuration, pinned version and SHA-256 sums);
# dpkg-source checks the .dsc and applies Debian's patches.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
VERSION=2.1.3+dfsg1-2
FILES=(
	"8d8f944db8e6d542fc2d6f01559078fb1b5dda71651c67ee5fa3571ed1342c50 lwip_2.1.3+dfsg1-2.dsc"
	"0a8276d09fc4e97bbba2f953d74af2388fc2195ea156be9d7589e297a68fde24 lwip_2.1.3+dfsg1.orig.tar.xz"
	"c5a48413d362cc757032cdd58f528f75eb64ee781ca46ca24f010b49b0e62a90 lwip_2.1.3+dfsg1-2.debian.tar.xz"
)
dest=$top/third_party/lwip
stamp=$dest/.ixos-$VERSION
[ -f "$stamp" ] && exit 0

cache=${IXOS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ixos}
dl=$cache/dl
mkdir -p "$dl"
"$top/tools/debsrc.sh" bookworm "lwip=$VERSION" "$dl" "${FILES[@]}"
command -v dpkg-source >/dev/null || {
	SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq dpkg-dev >/dev/null
}
rm -rf "$dest" "$dest.tmp"
mkdir -p "$(dirname "$dest")"
# (dpkg-source cannot check the uploader's signature without the Debian keyring; the
# pinned sums above are what we rely on.)
dpkg-source -q -x "$dl/lwip_$VERSION.dsc" "$dest.tmp" >"$dl/lwip-unpack.log" 2>&1 ||
	{ cat "$dl/lwip-unpack.log" >&2; exit 1; }
mv "$dest.tmp" "$dest"
touch "$stamp"
echo "lwip: unpacked lwIP $VERSION into third_party/lwip"

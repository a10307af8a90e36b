#!/usr/bin/env bash
# Unpacks BearSSL 0.6 from Debian's source package into third_party/bearssl (ignored by git).
# tools/debsrc.sh fetches it (private apt configuration, pinned version and SHA-256 sums);
# dpkg-source checks the .dsc and applies Debian's patches. The kernel and ixmgr compile only
# the few files HMAC-SHA256 needs (mgmt/mgmt.mk lists them).
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
VERSION=0.6+dfsg.1-3
FILES=(
	"9bd17e07fc9824b0223dcb4ba14adac17981a4d8f1d63b6655819fe8f2ed98d1 bearssl_0.6+dfsg.1-3.dsc"
	"102a625bd8f6155260867a50c508df8d8c3f796985dd744df1a68e5cd1a79004 bearssl_0.6+dfsg.1.orig.tar.xz"
	"051264300dffd810e7ea08f8210d3f9f61773dcd322086c0cbd02bee8d1f73df bearssl_0.6+dfsg.1-3.debian.tar.xz"
)
dest=$top/third_party/bearssl
stamp=$dest/.ixos-$VERSION
[ -f "$stamp" ] && exit 0

cache=${IXOS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ixos}
dl=$cache/dl
mkdir -p "$dl"
"$top/tools/debsrc.sh" bookworm "bearssl=$VERSION" "$dl" "${FILES[@]}"
command -v dpkg-source >/dev/null || {
	SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq dpkg-dev >/dev/null
}
rm -rf "$dest" "$dest.tmp"
mkdir -p "$(dirname "$dest")"
# (dpkg-source cannot check the uploader's signature without the Debian keyring; the
# pinned sums above are what we rely on.)
dpkg-source -q -x "$dl/bearssl_$VERSION.dsc" "$dest.tmp" >"$dl/bearssl-unpack.log" 2>&1 ||
	{ cat "$dl/bearssl-unpack.log" >&2; exit 1; }
mv "$dest.tmp" "$dest"
touch "$stamp"
echo "bearssl: unpacked BearSSL $VERSION into third_party/bearssl"

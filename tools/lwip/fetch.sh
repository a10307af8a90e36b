#!/usr/bin/env bash
# Unpacks lwIP 2.1.3 from Debian's source package into third_party/lwip (ignored by git).
# The package comes through a private apt configuration (the system's sources stay
# untouched), pinned to one version; apt checks it against the signed index and we check the
# pinned SHA-256 sums; dpkg-source checks the .dsc and applies Debian's patches.
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
apt=$dl/apt-bookworm
mkdir -p "$apt/sources" "$apt/lists/partial" "$apt/cache/archives/partial"
cat >"$apt/sources/bookworm-src.sources" <<'SRC'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
A=(-o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts="$apt/sources"
	-o Dir::State::Lists="$apt/lists" -o Dir::Cache="$apt/cache" -o APT::Sandbox::User=root)

sums_ok() {
	local f
	for f in "${FILES[@]}"; do
		echo "${f%% *}  $dl/${f#* }" | sha256sum -c --quiet >/dev/null 2>&1 || return 1
	done
}
if ! sums_ok; then
	apt-get "${A[@]}" -qq update
	(cd "$dl" && apt-get "${A[@]}" -qq source --download-only "lwip=$VERSION")
	sums_ok || { echo "lwip: downloaded files do not match their pinned SHA-256" >&2; exit 1; }
fi
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

#!/usr/bin/env bash
# Usage: debsrc.sh SUITE PACKAGE=VERSION DIR "SHA256 FILE" ...
# Downloads a Debian source package into DIR through a private apt configuration (the
# system's apt sources stay untouched), unless DIR already holds every FILE with its pinned
# SHA-256. apt checks the files against the signed index; this script checks the pins.
set -euo pipefail

suite=$1 pkg=$2 dl=$3
shift 3
apt=$dl/apt-$suite

sums_ok() {
	local f
	for f in "$@"; do
		echo "${f%% *}  $dl/${f#* }" | sha256sum -c --quiet >/dev/null 2>&1 || return 1
	done
}
sums_ok "$@" && exit 0
mkdir -p "$apt/sources" "$apt/lists/partial" "$apt/cache/archives/partial"
cat >"$apt/sources/$suite-src.sources" <<SRC
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: $suite
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
A=(-o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts="$apt/sources"
	-o Dir::State::Lists="$apt/lists" -o Dir::Cache="$apt/cache" -o APT::Sandbox::User=root)
apt-get "${A[@]}" -qq update
(cd "$dl" && apt-get "${A[@]}" -qq source --download-only "$pkg")
sums_ok "$@" || { echo "debsrc: $pkg does not match its pinned SHA-256 sums" >&2; exit 1; }

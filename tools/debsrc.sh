#!/usr/bin/env bash
# Usage: debsrc.sh [--binary] SUITE PACKAGE=VERSION DIR "SHA256 FILE" ...
# SUITE: bookworm, bookworm-updates or bookworm-security.
# Downloads a Debian source package (or, with --binary, a binary .deb) into DIR through a
# private apt configuration (the system's apt sources stay untouched), unless DIR already
# holds every FILE with its pinned SHA-256. apt checks the files against the signed index;
# this script checks the pins.
set -euo pipefail

type=deb-src verb=(source --download-only)
if [ "${1:-}" = --binary ]; then
	type=deb verb=(download)
	shift
fi
suite=$1 pkg=$2 dl=$3
shift 3
apt=$dl/apt-$suite-$type

sums_ok() {
	local f
	for f in "$@"; do
		echo "${f%% *}  $dl/${f#* }" | sha256sum -c --quiet >/dev/null 2>&1 || return 1
	done
}
sums_ok "$@" && exit 0
mkdir -p "$apt/sources" "$apt/lists/partial" "$apt/cache/archives/partial"
# bookworm-security (its fixes before a point release) lives in an archive of its own.
case $suite in
*-security) uri=http://deb.debian.org/debian-security ;;
*) uri=http://deb.debian.org/debian ;;
esac
cat >"$apt/sources/$suite-$type.sources" <<SRC
Types: $type
URIs: $uri
Suites: $suite
Components: main
Architectures: amd64
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
A=(-o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts="$apt/sources"
	-o Dir::State::Lists="$apt/lists" -o Dir::Cache="$apt/cache" -o APT::Sandbox::User=root)
apt-get "${A[@]}" -qq update
(cd "$dl" && apt-get "${A[@]}" -qq "${verb[@]}" "$pkg")
sums_ok "$@" || { echo "debsrc: $pkg does not match its pinned SHA-256 sums" >&2; exit 1; }

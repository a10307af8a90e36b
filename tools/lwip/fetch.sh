#!/usr/bin/env bash
# Unpacks lwIP 2.1.3 from Debian's source package into third_party/lwip (ignored by git),
# pinned version and SHA-256 sums, with our patches (tools/lwip/patches/, each with its reason
# on top) applied (tools/debsrc-unpack.sh).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
exec "$top/tools/debsrc-unpack.sh" --patches "$top/tools/lwip/patches" lwip 2.1.3+dfsg1-2 "$top/third_party/lwip" \
	"8d8f944db8e6d542fc2d6f01559078fb1b5dda71651c67ee5fa3571ed1342c50 lwip_2.1.3+dfsg1-2.dsc" \
	"0a8276d09fc4e97bbba2f953d74af2388fc2195ea156be9d7589e297a68fde24 lwip_2.1.3+dfsg1.orig.tar.xz" \
	"c5a48413d362cc757032cdd58f528f75eb64ee781ca46ca24f010b49b0e62a90 lwip_2.1.3+dfsg1-2.debian.tar.xz"

#!/usr/bin/env bash
# Unpacks memcached 1.6.18 from Debian's (bookworm) source package into third_party/memcached
# (ignored by git), pinned version and SHA-256 sums, with our patches (tools/memcached/patches/,
# each with its reason on top) applied after Debian's own (tools/debsrc-unpack.sh).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
exec "$top/tools/debsrc-unpack.sh" --patches "$top/tools/memcached/patches" memcached 1.6.18-1 \
	"$top/third_party/memcached" \
	"0bd1bdc252f699ef4bcf083b39650a18b11e8d4aed8564bd702a7092d392b1f7 memcached_1.6.18-1.dsc" \
	"35872bd25f8d29d7cc2072d23e74344530891bfd0aa4f4f64184a8ae7291164b memcached_1.6.18.orig.tar.xz" \
	"974629ee6bfc81cdb7ca89ec922290399979aa145dcef8034b2fc6403532f3df memcached_1.6.18-1.debian.tar.xz"

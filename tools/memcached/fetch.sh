#!/usr/bin/env bash
# Unpacks memcached 1.6.18 from Debian's source package into third_party/memcached
# (ignored by git), pinned version and SHA-256 sums, with our patches (tools/memcached/patches/,
# each with its reason on top) applied after Debian's own (tools/debsrc-unpack.sh).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
# 1.6.18-1+deb12u1 (bookworm-security: the fixes of CVE-2023-46852, CVE-2023-46853,
# CVE-2026-47783 and CVE-2026-47784) is also what Debian installs, so the benchmark's Linux
# guest runs the same memcached.
exec "$top/tools/debsrc-unpack.sh" --suite bookworm-security --patches "$top/tools/memcached/patches" \
	memcached 1.6.18-1+deb12u1 \
	"$top/third_party/memcached" \
	"47fe5c96717c0282676155dc144f9524d471097b656f67637f2629c66b8a633a memcached_1.6.18-1+deb12u1.dsc" \
	"35872bd25f8d29d7cc2072d23e74344530891bfd0aa4f4f64184a8ae7291164b memcached_1.6.18.orig.tar.xz" \
	"7a4aa3c89fa1e3476a7503696f38a8103b6b4d6c66b5bb9958ea4fa0596f5c04 memcached_1.6.18-1+deb12u1.debian.tar.xz"

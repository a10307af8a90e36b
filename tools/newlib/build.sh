#!/usr/bin/env bash
# Builds newlib 3.3.0 (Debian's newlib-source package) for ixos apps (x86_64, no OS: the
# system calls come from user/libc/) and links the installation as build/newlib.
# Cached outside the clone (IXOS_CACHE, default ~/.cache/ixos) per version, flags and this
# script, so it is built once (about 30 s on 2 cores).
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
VERSION=3.3.0-1.3+deb12u1
DEB=newlib-source_${VERSION}_all.deb
DEB_SHA256=b9a825a86064e6ffd1f8d1b91a3f7c6a5baf3ab3d246e5ed132ba22c42f6fef1
GCC_INCLUDE=$(gcc -print-file-name=include)
CFLAGS_T="-O2 -g -fno-pie -nostdinc -isystem $GCC_INCLUDE"

cache=${IXOS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ixos}
key=$( (cat "$0"; echo "$CFLAGS_T") | sha256sum | cut -c1-16)
out=$cache/newlib-3.3.0-$key
link() {
	mkdir -p "$top/build"
	ln -sfn "$out" "$top/build/newlib"
}
if [ -f "$out/x86_64-elf/lib/libc.a" ]; then
	link
	exit 0
fi
echo "newlib: building newlib 3.3.0 for apps into $out (about 30 s)"
dl=$cache/dl
mkdir -p "$dl"
"$top/tools/debsrc.sh" --binary bookworm "newlib-source=$VERSION" "$dl" "$DEB_SHA256 $DEB"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dpkg-deb -x "$dl/$DEB" "$work/deb"
tar xf "$work/deb/usr/src/newlib/newlib-3.3.0.tar.xz" -C "$work"
src=$(find "$work" -maxdepth 1 -type d -name 'newlib-*' | head -1)
mkdir -p "$work/build"
cd "$work/build"
# Every target tool is the host's: x86_64 code, no cross toolchain. Without READELF the
# .init_array probe fails silently and constructors never run.
"$src/configure" --target=x86_64-elf --prefix="$out" --disable-multilib \
	--disable-newlib-supplied-syscalls --disable-nls \
	CC_FOR_TARGET=gcc AR_FOR_TARGET=ar AS_FOR_TARGET=as LD_FOR_TARGET=ld NM_FOR_TARGET=nm \
	RANLIB_FOR_TARGET=ranlib OBJDUMP_FOR_TARGET=objdump READELF_FOR_TARGET=readelf \
	STRIP_FOR_TARGET=strip CFLAGS_FOR_TARGET="$CFLAGS_T" >configure.log 2>&1 ||
	{ tail -20 configure.log >&2; exit 1; }
make -j"$(nproc)" all-target-newlib >make.log 2>&1 || { tail -30 make.log >&2; exit 1; }
make install-target-newlib >install.log 2>&1 || { tail -20 install.log >&2; exit 1; }
link
echo "newlib: built into $out"

#!/usr/bin/env bash
# Installs what a fresh Debian 12 machine lacks to build, run and test ixos.
# Idempotent: it checks every tool first and touches apt only when something is missing.
# Everything comes from Debian's archive; QEMU >= 8 (for -device igb) from bookworm-backports.
set -euo pipefail

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

# command-or-file : Debian package
NEEDS=(
  "grub-mkrescue:grub-common"
  "/usr/lib/grub/i386-pc/modinfo.sh:grub-pc-bin"
  "xorriso:xorriso"
  "mformat:mtools"
  "/usr/lib/ipxe/qemu/efi-e1000e.rom:ipxe-qemu"
  "/usr/share/seabios/bios-256k.bin:seabios"
  "/usr/include/cmocka.h:libcmocka-dev"
  "pkg-config:pkg-config"
  "ip:iproute2"
  "ping:iputils-ping"
  "hping3:hping3"
  "valgrind:valgrind"
  "gdb:gdb"
  "/usr/bin/python3:python3"
  "dpkg-source:dpkg-dev"
  "memccapable:libmemcached-tools"
  "nc:netcat-openbsd"
  "/usr/sbin/dnsmasq:dnsmasq-base"
  "/usr/lib/python3/dist-packages/pymemcache/__init__.py:python3-pymemcache"
  "prove:perl"
  "/usr/sbin/nutcracker:nutcracker"
  "/usr/sbin/modinfo:kmod"
  "cpio:cpio"
  "curl:curl"
  "wrk:wrk"
  "/usr/lib/python3/dist-packages/matplotlib/__init__.py:python3-matplotlib"
  "clang:clang"
  "/usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.fuzzer-x86_64.a:libclang-rt-14-dev"
)

missing=()
for n in "${NEEDS[@]}"; do
  what=${n%%:*} pkg=${n#*:}
  if [[ $what == /* ]]; then [ -e "$what" ] || missing+=("$pkg")
  else command -v "$what" >/dev/null 2>&1 || missing+=("$pkg"); fi
done

qemu_ok() {
  command -v qemu-system-x86_64 >/dev/null 2>&1 &&
    qemu-system-x86_64 -device help 2>/dev/null | grep -q '"igb"'
}

if [ ${#missing[@]} -eq 0 ] && qemu_ok; then
  exit 0
fi

echo "setup: installing ${missing[*]:-} ${missing[*]:+and }$(qemu_ok || echo 'qemu-system-x86 (bookworm-backports)')"
export DEBIAN_FRONTEND=noninteractive
bp=/etc/apt/sources.list.d/ixos-bookworm-backports.sources
if ! qemu_ok && [ ! -f "$bp" ]; then
  $SUDO tee "$bp" >/dev/null <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
fi
# Other configured repositories may be unreachable; only Debian's must answer.
$SUDO apt-get update -qq || true
if [ ${#missing[@]} -gt 0 ]; then
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
if ! qemu_ok; then
  $SUDO apt-get install -y -qq --no-install-recommends -t bookworm-backports qemu-system-x86
fi
qemu_ok || { echo "setup: qemu-system-x86_64 with -device igb is still missing" >&2; exit 1; }
echo "setup: done ($(qemu-system-x86_64 --version | head -1))"

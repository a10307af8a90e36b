#!/bin/sh
# Usage: mkiso.sh OUT.iso GRUB.CFG KERNEL.elf [FILE...]
# Makes a BIOS-bootable GRUB2 rescue ISO: the kernel at /boot/ixos.elf, the config at
# /boot/grub/grub.cfg and any further files (boot modules) in /boot/.
set -eu
out=$1 cfg=$2 kernel=$3
shift 3
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
mkdir -p "$dir/boot/grub"
cp "$kernel" "$dir/boot/ixos.elf"
cp "$cfg" "$dir/boot/grub/grub.cfg"
for f in "$@"; do cp "$f" "$dir/boot/"; done
grub-mkrescue -o "$out" "$dir" >"$dir.log" 2>&1 || { cat "$dir.log" >&2; rm -f "$dir.log"; exit 1; }
rm -f "$dir.log"

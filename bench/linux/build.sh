#!/usr/bin/env bash
# Builds the Linux baseline guest for `make bench` from Debian 12's packages: Debian's kernel
# (build/linux/vmlinuz) and an initramfs (build/linux/initrd.gz) holding busybox-static, the
# kernel's igb and ixgbe modules with what they depend on, Debian's memcached 1.6.18 and nginx
# 1.22 (package nginx: the binary alone, none of nginx-common's files; init writes its config)
# with their libraries, and our echo server (bench/linux/echo_server.c). bench/linux/init is its
# /init.
#
# The .debs come from the archive through apt (which checks them against the signed index);
# their versions and sha256 sums go to build/linux/manifest.txt. Idempotent: nothing is redone
# when the manifest's packages and this script's inputs are unchanged.
#
# bench/linux/build.sh [BUILD_DIR]     (default: build)
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
out=$(realpath -m "${1:-$top/build}")/linux
cache=${XDG_CACHE_HOME:-$HOME/.cache}/ixos/dl/linux
mkdir -p "$out" "$cache"
# One build at a time: the QEMU tests run in parallel, and two of them may ask for the guest at
# once (the second waits, then finds it done).
exec 9>"$out/.lock"
flock 9
for t in modinfo cpio dpkg-deb readelf apt-get; do
	command -v "$t" >/dev/null || PATH=$PATH:/sbin:/usr/sbin command -v "$t" >/dev/null ||
		{ echo "linux/build.sh: $t is missing (tools/setup.sh installs it)" >&2; exit 1; }
done
export PATH=$PATH:/sbin:/usr/sbin

# The kernel is whatever linux-image-amd64 points at in bookworm; the rest by name.
kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
[ -n "$kpkg" ] || { echo "linux/build.sh: apt knows no linux-image-amd64 (apt-get update?)" >&2; exit 1; }
kver=${kpkg#linux-image-}
pkgs=("$kpkg" busybox-static memcached libevent-2.1-7 libsasl2-2 libsasl2-modules-db libdb5.3 libssl3 libc6
	nginx libcrypt1 libpcre2-8-0 zlib1g)

want=""
for p in "${pkgs[@]}"; do
	v=$(apt-cache policy "$p" | awk '/Candidate:/ {print $2}')
	[ -n "$v" ] && [ "$v" != "(none)" ] || { echo "linux/build.sh: no candidate for $p" >&2; exit 1; }
	want+="$p=$v "
done
inputs=$(cat "$0" "$top/bench/linux/init" "$top/bench/linux/echo_server.c" | sha256sum | cut -c1-16)
stamp="$want $inputs"
if [ -f "$out/stamp" ] && [ "$(cat "$out/stamp")" = "$stamp" ] && [ -f "$out/initrd.gz" ]; then
	exit 0
fi

echo "linux/build.sh: $want"
(cd "$cache" && for pv in $want; do
	p=${pv%%=*} v=${pv#*=}
	ls "${p}_"*"${v#*:}"*_amd64.deb >/dev/null 2>&1 ||
		apt-get download -q "$pv" 2>&1 | grep -v '^W: Download is performed unsandboxed' || true
	ls "${p}_"*"${v#*:}"*_amd64.deb >/dev/null 2>&1 ||
		{ echo "linux/build.sh: could not download $pv" >&2; exit 1; }
done)

stage=$out/stage root=$out/root
rm -rf "$stage" "$root"
mkdir -p "$stage" "$root"/{bin,dev,proc,sys,tmp,etc,lib64,lib/modules/"$kver"} \
	"$root"/{run,srv,var/log/nginx,var/lib/nginx,etc/nginx}
: >"$out/manifest.txt"
for pv in $want; do
	p=${pv%%=*} v=${pv#*=}
	deb=$(ls "$cache/${p}_"*"${v#*:}"*_amd64.deb | head -1)
	dpkg-deb -x "$deb" "$stage"
	echo "$p $v $(sha256sum "$deb" | cut -c1-64)" >>"$out/manifest.txt"
done

cp "$stage/boot/vmlinuz-$kver" "$out/vmlinuz"
cp "$stage/bin/busybox" "$root/bin/busybox"

# The NIC drivers and, first, every module they depend on (modinfo's depends field).
mods=$stage/lib/modules/$kver
order=()
add_mod() {
	local name=$1 f dep
	for m in "${order[@]:-}"; do [ "$m" = "$name" ] && return 0; done
	f=$(find "$mods/kernel" -name "$name.ko" -o -name "${name//_/-}.ko" | head -1)
	[ -n "$f" ] || { echo "linux/build.sh: no module $name in $kpkg" >&2; exit 1; }
	for dep in $(modinfo -F depends "$f" | tr ',' ' '); do add_mod "$dep"; done
	order+=("$name")
	cp "$f" "$root/lib/modules/$kver/$name.ko"
}
add_mod igb
add_mod ixgbe
printf '%s\n' "${order[@]}" >"$root/lib/modules/$kver/order"

# memcached and nginx and the shared libraries they need, found by NEEDED entries in the staged
# tree.
install_elf() {
	local f=$1 dest=$2 lib
	[ -e "$root/$dest" ] && return 0
	mkdir -p "$root/$(dirname "$dest")"
	cp -L "$f" "$root/$dest"
	for lib in $(readelf -d "$f" | sed -n 's/.*NEEDED.*\[\(.*\)\]/\1/p'); do
		local src
		src=$(find "$stage/lib/x86_64-linux-gnu" "$stage/usr/lib/x86_64-linux-gnu" -maxdepth 1 -name "$lib" | head -1)
		[ -n "$src" ] || { echo "linux/build.sh: $lib (for $f) is in no staged package" >&2; exit 1; }
		install_elf "$src" "lib/x86_64-linux-gnu/$lib"
	done
}
install_elf "$stage/usr/bin/memcached" bin/memcached
install_elf "$stage/usr/sbin/nginx" bin/nginx
cp -L "$stage/lib64/ld-linux-x86-64.so.2" "$root/lib64/"
echo "/lib/x86_64-linux-gnu" >"$root/etc/ld.so.conf"

${CC:-cc} -std=gnu11 -O2 -Wall -Wextra -Werror -static -pthread -o "$root/bin/echo_server" \
	"$top/bench/linux/echo_server.c"
install -m 755 "$top/bench/linux/init" "$root/init"
echo "$want" >"$root/etc/ixos-baseline"
printf 'root:x:0:0:root:/:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"

(cd "$root" && find . | sort | cpio -o -H newc --quiet | gzip -9) >"$out/initrd.gz.tmp"
mv "$out/initrd.gz.tmp" "$out/initrd.gz"
rm -rf "$stage"
echo "$stamp" >"$out/stamp"
echo "linux/build.sh: $out/vmlinuz, $out/initrd.gz ($(du -k "$out/initrd.gz" | cut -f1) KiB), kernel $kver"

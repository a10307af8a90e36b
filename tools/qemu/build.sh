#!/usr/bin/env bash
# Builds qemu-system-x86_64 from Debian's QEMU 10 source package with the ixos 82599 model
# added as "-device ixgbe", and links it as build/qemu-system-x86_64.
#
# The build lives outside the clone (IXOS_CACHE, default ~/.cache/ixos) and the binary is
# kept per hash of its inputs (this script, the glue, the model, the register header, the
# Toeplitz code), so a rebuild happens only when one of them changes, and then incrementally.
# The source comes from trixie's deb-src through a private apt configuration (the system's
# apt sources stay untouched), is pinned to one version and checked against its SHA-256.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
DEB_VERSION=1:10.0.13+ds-0+deb13u1
UPSTREAM=10.0.13
ORIG=qemu_${UPSTREAM}+ds.orig.tar.xz
ORIG_SHA256=6a0888e806c2ffc0c5f0733e974f9aea55491950d3c47c98669c8b236dde59ae
FIRMWARE=/usr/share/qemu:/usr/share/seabios:/usr/lib/ipxe/qemu

cache=${IXOS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ixos}
inputs=(tools/qemu/build.sh tools/qemu/ixgbe_qemu.c tools/qemu/insncount.c tests/model/ixgbe_model.c
	tests/model/ixgbe_model_rx.c tests/model/ixgbe_model_tx.c tests/model/ixgbe_model_nvm.c
	tests/model/ixgbe_model.h tests/model/ixgbe_model_priv.h drivers/ixgbe/ixgbe_regs.h
	net/toeplitz.c net/toeplitz.h)
key=$(cd "$top" && cat "${inputs[@]}" | sha256sum | cut -c1-16)
bin=$cache/qemu-bin/qemu-system-x86_64-$UPSTREAM-$key
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

link() {
	mkdir -p "$top/build"
	ln -sfn "$bin" "$top/build/qemu-system-x86_64"
	ln -sfn "$bin-insncount.so" "$top/build/qemu-insncount.so"
}

if [ -x "$bin" ] && [ -f "$bin-insncount.so" ]; then
	link
	exit 0
fi
echo "qemu: building QEMU $UPSTREAM with -device ixgbe into $cache (first time: about 3 minutes)"

# Build tools. meson >= 1.5 and python3-pycotap come from bookworm-backports (tools/setup.sh
# adds that suite).
need=()
command -v ninja >/dev/null || need+=(ninja-build)
command -v pkg-config >/dev/null || need+=(pkg-config)
command -v flex >/dev/null || need+=(flex)
command -v bison >/dev/null || need+=(bison)
pkg-config --exists glib-2.0 2>/dev/null || need+=(libglib2.0-dev)
pkg-config --exists slirp 2>/dev/null || need+=(libslirp-dev)
pkg-config --exists zlib 2>/dev/null || need+=(zlib1g-dev)
/usr/bin/python3 -c 'import venv, ensurepip' 2>/dev/null || need+=(python3-venv)
dpkg -s python3-pycotap >/dev/null 2>&1 || need+=(python3-pycotap)
export DEBIAN_FRONTEND=noninteractive
if [ ${#need[@]} -gt 0 ]; then
	$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
mver=$(meson --version 2>/dev/null || echo 0)
if ! printf '1.5.0\n%s\n' "$mver" | sort -V -C; then
	$SUDO apt-get install -y -qq --no-install-recommends -t bookworm-backports meson >/dev/null
fi

src=$cache/qemu-$UPSTREAM
# The device's sources in hw/net/ (put below), as QEMU's meson build lists them.
meson_line="system_ss.add(when: 'CONFIG_IXOS_IXGBE', if_true: files('ixos_ixgbe.c',\
 'ixos_ixgbe_model.c', 'ixos_ixgbe_model_rx.c', 'ixos_ixgbe_model_tx.c',\
 'ixos_ixgbe_model_nvm.c', 'ixos_toeplitz.c'))"
if [ ! -f "$src/.ixos-prepared" ]; then
	dl=$cache/dl
	mkdir -p "$dl"
	"$top/tools/debsrc.sh" trixie "qemu=$DEB_VERSION" "$dl" "$ORIG_SHA256 $ORIG"
	rm -rf "$src"
	tar xf "$dl/$ORIG" -C "$cache"
	# Debian's +ds tarball drops the prebuilt EDK2 firmware; don't try to unpack it.
	sed -i 's/^if unpack_edk2_blobs$/if unpack_edk2_blobs and false/' "$src/pc-bios/meson.build"
	grep -q 'unpack_edk2_blobs and false' "$src/pc-bios/meson.build" ||
		{ echo "qemu: pc-bios/meson.build changed shape; cannot disable the EDK2 blobs" >&2; exit 1; }
	# The device goes in before the first build: a new Kconfig symbol later recompiles
	# nearly everything.
	echo "$meson_line" >>"$src/hw/net/meson.build"
	cat >>"$src/hw/net/Kconfig" <<'KC'

config IXOS_IXGBE
    bool
    default y if PCI_DEVICES || PCIE_DEVICES
    depends on PCI_EXPRESS && MSI_NONBROKEN
KC
	touch "$src/.ixos-prepared"
fi
# A tree prepared before the model had more than one source gets the current list.
if ! grep -qxF "$meson_line" "$src/hw/net/meson.build"; then
	sed -i "s|^system_ss.add(when: 'CONFIG_IXOS_IXGBE'.*|$meson_line|" "$src/hw/net/meson.build"
	grep -qxF "$meson_line" "$src/hw/net/meson.build" ||
		{ echo "qemu: cannot list the device's sources in hw/net/meson.build" >&2; exit 1; }
fi

# Copy the device in, flattening our include paths into hw/net/ names. Unchanged files keep
# their time stamps, so ninja recompiles only what changed.
put() {
	local from=$1 to=$src/hw/net/$2 tmp
	tmp=$(mktemp)
	sed -e 's|"tests/model/\(ixgbe_model[a-z_]*\.h\)"|"ixos_\1"|' \
		-e 's|"drivers/ixgbe/ixgbe_regs.h"|"ixos_ixgbe_regs.h"|' \
		-e 's|"net/toeplitz.h"|"ixos_toeplitz.h"|' "$top/$from" >"$tmp"
	if cmp -s "$tmp" "$to"; then rm -f "$tmp"; else mv "$tmp" "$to"; fi
}
put tools/qemu/ixgbe_qemu.c ixos_ixgbe.c
put tests/model/ixgbe_model.c ixos_ixgbe_model.c
put tests/model/ixgbe_model_rx.c ixos_ixgbe_model_rx.c
put tests/model/ixgbe_model_tx.c ixos_ixgbe_model_tx.c
put tests/model/ixgbe_model_nvm.c ixos_ixgbe_model_nvm.c
put tests/model/ixgbe_model.h ixos_ixgbe_model.h
put tests/model/ixgbe_model_priv.h ixos_ixgbe_model_priv.h
put drivers/ixgbe/ixgbe_regs.h ixos_ixgbe_regs.h
put net/toeplitz.c ixos_toeplitz.c
put net/toeplitz.h ixos_toeplitz.h

# TCG plugins are on for the benchmark's instruction counts (tools/qemu/insncount.c). The
# stamp holds the options, so a change of them configures again.
conf=(--python=/usr/bin/python3 --target-list=x86_64-softmmu --without-default-features
	--enable-slirp --enable-plugins --disable-download --disable-install-blobs
	--disable-relocatable --firmwarepath="$FIRMWARE")
if [ "$(cat "$src/.ixos-configured" 2>/dev/null)" != "${conf[*]}" ]; then
	mkdir -p "$src/build"
	(cd "$src/build" && ../configure "${conf[@]}" >configure.log 2>&1) ||
		{ tail -30 "$src/build/configure.log" >&2; exit 1; }
	echo "${conf[*]}" >"$src/.ixos-configured"
fi
ninja -C "$src/build" qemu-system-x86_64 >"$src/build/ninja.log" 2>&1 ||
	{ grep -B2 -A12 -m3 'error' "$src/build/ninja.log" >&2 || tail -40 "$src/build/ninja.log" >&2; exit 1; }
mkdir -p "$cache/qemu-bin"
# The plugin, against this source's plugin API header.
gcc -std=gnu11 -O2 -g -Wall -Wextra -Werror -shared -fPIC -I"$src/include/qemu" \
	$(pkg-config --cflags glib-2.0) -o "$bin-insncount.so.tmp" "$top/tools/qemu/insncount.c" -pthread
mv "$bin-insncount.so.tmp" "$bin-insncount.so"
cp "$src/build/qemu-system-x86_64" "$bin.tmp"
mv "$bin.tmp" "$bin"
link
echo "qemu: built $bin"

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Builds the kernel's own vimc driver (drivers/media/test-drivers/vimc) as
# an out-of-tree module from Debian's linux-source-6.1 against the 6.1
# headers the project builds podcam.ko with: Debian's kernel does not ship
# it. The result is $BUILD/vimc/vimc.ko, inside the project tree, which the
# test VM sees at $PODCAM_SRC. Never loaded on the host.
#
#   tests/vm/vimc-build.sh        prints the path of vimc.ko
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"

BUILD=${BUILD:-build}
KVER=${KVER:-$(ls -1d /usr/src/linux-headers-*-amd64 2>/dev/null |
	sed 's|.*/linux-headers-||' | sort -V | tail -n 1)}
KDIR=${KDIR:-/usr/src/linux-headers-$KVER}
tarball=$(ls -1 /usr/src/linux-source-6.1.tar.* 2>/dev/null | head -n 1)
out=$top/$BUILD/vimc
ko=$out/vimc.ko

die() { echo "vimc-build: $*" >&2; exit 1; }
[ -n "$KVER" ] && [ -d "$KDIR" ] || die "no linux-headers-*-amd64 (make deps)"
[ -n "$tarball" ] || die "no /usr/src/linux-source-6.1.tar.* (make deps)"

# Rebuilt when the headers or the source change.
stamp="$KVER $(stat -c %Y "$tarball") $(stat -c %Y "$KDIR/Module.symvers")"
if [ -f "$ko" ] && [ "$(cat "$out/stamp" 2>/dev/null)" = "$stamp" ]; then
	echo "$ko"
	exit 0
fi

rm -rf "$out"
mkdir -p "$out"
tar -C "$out" -xf "$tarball" --strip-components=5 \
	linux-source-6.1/drivers/media/test-drivers/vimc ||
	die "cannot extract vimc from $tarball"
[ -f "$out/vimc-core.c" ] || die "$tarball has no drivers/media/test-drivers/vimc"
make -C "$KDIR" M="$out" CONFIG_VIDEO_VIMC=m modules \
	> "$out/build.log" 2>&1 ||
	{ tail -n 30 "$out/build.log" >&2; die "building vimc.ko failed"; }
[ -f "$ko" ] || die "the build made no vimc.ko"
echo "$stamp" > "$out/stamp"
echo "$ko"

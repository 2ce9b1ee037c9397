#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Inside the test VM: installs the vimc.ko that tests/vm/vimc-build.sh built
# on the host into /lib/modules/$(uname -r)/updates and loads it with
# modprobe, which loads its dependencies (videodev, mc, v4l2-tpg,
# videobuf2-vmalloc, videobuf2-dma-contig) from Debian's kernel. Prints the
# node of vimc's "RGB/YUV Capture" video device.
#
#   tests/vm/libcamera/vimc-load.sh [BUILD]
set -eu
build=${1:-${BUILD:-build}}
ko=$build/vimc/vimc.ko
[ -f "$ko" ] || { echo "vimc-load: no $ko (make tests, or tests/vm/vimc-build.sh on the host)" >&2; exit 1; }
dir=/lib/modules/$(uname -r)/updates
mkdir -p "$dir"
cp "$ko" "$dir/vimc.ko"
depmod -a
modprobe vimc
udevadm settle -t 30
for d in /sys/class/video4linux/video*; do
	if [ "$(cat "$d/name" 2>/dev/null)" = "RGB/YUV Capture" ]; then
		echo "/dev/${d##*/}"
		exit 0
	fi
done
echo "vimc-load: vimc has no RGB/YUV Capture node" >&2
exit 1

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Trigger latency of the libcamera backend on vimc next to the V4L2 backend
# on podcam.ko, in one VM run (not part of make check):
#
#   make tests && tests/vm/run tests/bench/libcamera-latency.sh [N] [WxH]
#
# One podcamd with two cameras of the same size: [camera vimc]
# (Backend=libcamera) and [camera doorbell] (Backend=v4l2, podcam.ko NV12
# 30 fps). N times (default 200) each, interleaved so that both see the same
# load: Camera.Trigger() (busctl returns once the photo is durable), then
# LastTriggerLatencyUsec. Prints p50, p99, min and max per backend, and
# writes every sample to $PODCAM_OUT/latency-*.txt.
set -u
cd "${PODCAM_SRC:-.}"
n=${1:-200}
size=${2:-640x480}
conf=/etc/podcam/podcam.conf

# podcamd may have been started at boot for podcam.ko (udev).
systemctl stop podcamd
tests/vm/libcamera/vimc-load.sh "${BUILD:-build}" > /dev/null || exit 1
mkdir -p /etc/systemd/system/podcamd.service.d
printf '[Service]\nSupplementaryGroups=video\n' \
	> /etc/systemd/system/podcamd.service.d/50-libcamera.conf
systemctl daemon-reload

cat > "$conf" <<EOF
[podcamd]
DeviceId=bench
SpoolMaxBytes=2G
SpoolReserveBytes=16M

[camera vimc]
Backend=libcamera
Size=$size
RateLimitBurst=1000
RateLimitIntervalSec=1

[camera doorbell]
Backend=v4l2
Format=NV12
Size=$size
FrameRate=30
RateLimitBurst=1000
RateLimitIntervalSec=1
EOF
systemctl start podcamd || exit 1

prop() {
	busctl get-property org.podcam1 "/org/podcam1/camera/$1" \
		org.podcam1.Camera "$2" | sed 's/^[a-z] //; s/"//g'
}
for cam in vimc doorbell; do
	for _ in $(seq 300); do
		[ "$(prop $cam State)" = streaming ] && break
		sleep 0.2
	done
	echo "# $cam: $(prop $cam State), $(prop $cam Format)"
	[ "$(prop $cam State)" = streaming ] || { echo "# $cam: $(prop $cam LastError)"; exit 1; }
done
for cam in vimc doorbell; do
	f0=$(prop $cam FramesReceived)
	sleep 5
	f1=$(prop $cam FramesReceived)
	echo "# $cam: $(((f1 - f0) / 5)) frames/s received"
done

out=${PODCAM_OUT:-/tmp}
: > "$out/latency-vimc.txt"
: > "$out/latency-doorbell.txt"
for i in $(seq "$n"); do
	for cam in vimc doorbell; do
		if busctl call -- org.podcam1 "/org/podcam1/camera/$cam" \
			org.podcam1.Camera Trigger 'sa{sv}' "BENCH$i" 0 \
			> /dev/null; then
			prop $cam LastTriggerLatencyUsec >> "$out/latency-$cam.txt"
		else
			echo "# $cam: trigger $i failed"
		fi
	done
done
echo "# $(nproc) vCPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
python3 - "$out" "$size" <<'EOF'
import math
import sys

out, size = sys.argv[1], sys.argv[2]
print(f"# trigger to durable photo, {size}, microseconds")
print("# backend              n     p50     p99     min     max")
for cam, name in (("vimc", "libcamera/vimc"), ("doorbell", "v4l2/podcam.ko")):
    with open(f"{out}/latency-{cam}.txt") as f:
        v = sorted(int(x) for x in f.read().split())
    if not v:
        print(f"# {name:18} no samples")
        continue
    pct = lambda p: v[max(0, math.ceil(p / 100 * len(v)) - 1)]
    print(f"# {name:18} {len(v):5} {pct(50):7} {pct(99):7} {v[0]:7} {v[-1]:7}")
EOF
systemctl stop podcamd

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# SPEC section 9 in the VM, side by side in one run (not part of make check):
#
#   tests/vm/run tests/bench/vm-bench.sh [TRIGGERS]
#
# - trigger to durable JPEG at 1080p, warm: LastTriggerLatencyUsec over
#   TRIGGERS (200) Trigger() calls, p50 and p99;
# - one-shot captures of the same device with fswebcam and ffmpeg, wall
#   clock from start to JPEG written, and the ratio;
# - streaming 1080p30 without triggers: podcamd's CPU against
#   `v4l2-ctl --stream-mmap` on the same device;
# - podcamd's resident memory without its frame buffers.
set -u
cd "$PODCAM_SRC"
n=${1:-200}
cam=/org/podcam1/camera/doorbell
dev=/dev/podcam/doorbell
export SYSTEMD_COLORS=0

# percentile P < FILE: the P-th percentile of the numbers in FILE.
percentile() { sort -n | awk -v p="$1" '{a[NR]=$1} END {i=int((NR*p+99)/100); if (i<1) i=1; print a[i]}'; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# The doorbell camera at 1080p30; what follows adds to its section.
doorbell_1080p() {
	printf '[podcamd]\nDeviceId=bench\n[camera doorbell]\n'
	printf 'Size=1920x1080\nFrameRate=30\n'
}
{ doorbell_1080p; cat; } > /etc/podcam/podcam.conf <<EOF
RateLimitBurst=1000
RateLimitIntervalSec=1
QueueDepth=16
[camera van-curb]
Size=640x480
FrameRate=5
DeliveryCapture=no
EOF
systemctl restart podcamd
for i in $(seq 60); do
	busctl get-property org.podcam1 $cam org.podcam1.Camera State 2>/dev/null |
		grep -q streaming && break
	sleep 0.5
done
echo "# podcamd: $(busctl get-property org.podcam1 $cam org.podcam1.Camera Format)"
sleep 3

# --- trigger to durable -----------------------------------------------------
: > /tmp/lat
for i in $(seq "$n"); do
	busctl call org.podcam1 $cam org.podcam1.Camera Trigger 'sa{sv}' "B$i" 0 \
		> /dev/null || { echo "# Trigger $i failed"; continue; }
	busctl get-property org.podcam1 $cam org.podcam1.Camera \
		LastTriggerLatencyUsec | awk '{print $2}' >> /tmp/lat
	# Keep the spool small: this is about latency, not the disk.
	[ $((i % 50)) -eq 0 ] && rm -rf /var/lib/podcam/spool/queue/*
done
p50=$(percentile 50 < /tmp/lat)
p99=$(percentile 99 < /tmp/lat)
echo "latency over $(wc -l < /tmp/lat) triggers at 1080p: p50 ${p50} us, p99 ${p99} us, min $(percentile 0 < /tmp/lat), max $(percentile 100 < /tmp/lat)"

# --- memory -------------------------------------------------------------------
pid=$(systemctl show -P MainPID podcamd)
rss=$(awk '/^Rss:/ {print $2}' /proc/$pid/smaps_rollup)
bufs=$(awk '/^[0-9a-f]+-[0-9a-f]+ .* \/dev\/video/ {v=1; next} /^[0-9a-f]+-[0-9a-f]+ / {v=0} v && /^Rss:/ {s+=$2} END {print s+0}' /proc/$pid/smaps)
echo "podcamd resident: ${rss} kB, of which frame buffers ${bufs} kB: $((rss - bufs)) kB without them"
anon=$(awk '/^RssAnon:/ {print $2}' /proc/$pid/status)
echo "  of those: anonymous ${anon} kB, files (libraries, the program) $((rss - bufs - anon)) kB"
awk '/^[0-9a-f]+-[0-9a-f]+ / {n=$6; if (n == "") n="[anon]"} /^Rss:/ {r[n]+=$2}
	END {for (n in r) if (r[n] >= 256 && n !~ /dev.video/) printf "  %6d kB %s\n", r[n], n}' \
	/proc/$pid/smaps | sort -rn

# --- streaming CPU ------------------------------------------------------------
# Three rounds, podcamd then v4l2-ctl on the same device for 10 s each,
# after 3 s of streaming; a ratio per round (TCG timings are noisy).
hz=$(getconf CLK_TCK)
cpu_ms() { # PID SECONDS: CPU milliseconds PID used in SECONDS
	local t0 t1
	t0=$(cpu_ticks "$1")
	sleep "$2"
	t1=$(cpu_ticks "$1")
	echo $(((t1 - t0) * 1000 / hz))
}
# podcamd streams only that device here, as v4l2-ctl does.
doorbell_1080p > /etc/podcam/podcam.conf
v4l2-ctl -d $dev -v width=1920,height=1080,pixelformat=NV12 -p 30 > /dev/null
for round in 1 2 3; do
	systemctl restart podcamd
	sleep 3
	podcamd_cpu=$(cpu_ms "$(systemctl show -P MainPID podcamd)" 10)
	systemctl stop podcamd
	v4l2-ctl -d $dev --stream-mmap --stream-count=100000 > /dev/null 2>&1 &
	vpid=$!
	sleep 3
	ctl_cpu=$(cpu_ms $vpid 10)
	kill $vpid
	wait $vpid 2>/dev/null
	echo "streaming 1080p30, round $round, 10 s: podcamd ${podcamd_cpu} ms CPU, v4l2-ctl --stream-mmap ${ctl_cpu} ms CPU, ratio $(python3 -c "print(round($podcamd_cpu / max($ctl_cpu, 1), 2))")"
done

# --- one-shot captures ----------------------------------------------------------
oneshot() {
	local t0 t1
	t0=$(date +%s%N)
	"$@" > /dev/null 2>&1
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000))
}
: > /tmp/fsw
: > /tmp/ffm
for i in 1 2 3 4 5; do
	# fswebcam knows no NV12: YUYV, the module's other format.
	oneshot fswebcam -d $dev -r 1920x1080 -p YUYV --no-banner -S 0 /tmp/fsw.jpg >> /tmp/fsw
	oneshot ffmpeg -y -f v4l2 -input_format nv12 -video_size 1920x1080 \
		-i $dev -frames:v 1 /tmp/ffm.jpg >> /tmp/ffm
done
fsw=$(percentile 50 < /tmp/fsw)
ffm=$(percentile 50 < /tmp/ffm)
test -s /tmp/fsw.jpg && test -s /tmp/ffm.jpg || echo "# a one-shot capture wrote no JPEG"
echo "one-shot capture, median of 5: fswebcam ${fsw} us, ffmpeg ${ffm} us"
echo "podcamd p50 is $(python3 -c "print(round($fsw / $p50, 1))")x faster than fswebcam and $(python3 -c "print(round($ffm / $p50, 1))")x faster than ffmpeg"
systemctl start podcamd

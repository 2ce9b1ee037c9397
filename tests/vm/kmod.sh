#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# podcam.ko in the test VM: tests/vm/run tests/vm/kmod.sh
#
# Runs as root inside the VM, where the test bed has loaded
# "podcam devices=2 roles=doorbell,van-curb"; prints TAP. First the gate,
# v4l2-compliance with streaming on both nodes; then formats, frame rates,
# controls, GPIO lines, the scene image, error injection, hot-unplug, bad
# parameters and load/unload cycles; last, a kernel log without warnings.
# The module is left loaded as it was found.
#
# check NAME eval '...' expands at run time; roles= takes a comma list.
# shellcheck disable=SC2016,SC2054
set -uo pipefail
src=${PODCAM_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
helper=(timeout 300 python3 "$src/tests/vm/kmod/podcamtest.py")
modargs=(devices=2 roles=doorbell,van-curb)
roles=(doorbell van-curb)
dbg=/sys/kernel/debug/podcam
drv=/sys/bus/platform/drivers/podcam
tmp=$(mktemp -d)
started=$SECONDS

# podcamd, which udev starts for every camera, would hold the nodes and
# lines: keep it away for the test, and restore it afterwards.
podcamd_was_active=0
systemctl is-active -q podcamd.service 2>/dev/null && podcamd_was_active=1
systemctl mask --runtime -q podcamd.service 2>/dev/null
systemctl stop podcamd.service 2>/dev/null

cleanup() {
	local pids
	pids=$(jobs -p)
	# shellcheck disable=SC2086 # one pid per word
	[ -z "$pids" ] || kill $pids 2>/dev/null
	rm -rf "$tmp"
	systemctl unmask --runtime -q podcamd.service 2>/dev/null
	[ $podcamd_was_active = 0 ] ||
		systemctl start --no-block podcamd.service 2>/dev/null
}
trap cleanup EXIT

failed=0
pass() { echo "ok - $*"; }
fail() { echo "not ok - $*"; failed=$((failed + 1)); }
note() { echo "# $*"; }
check() {
	local name=$1
	shift
	if "$@"; then pass "$name"; else fail "$name"; fi
}

# Kernel log markers, to look only at what a test caused.
mark_n=0
mark() {
	mark_n=$((mark_n + 1))
	echo "podcam-kmod-test: mark $mark_n" > /dev/kmsg
}
since_mark() { since_mark_n $mark_n; }
since_mark_n() { dmesg | sed -n "/podcam-kmod-test: mark $1\$/,\$p"; }
kernel_bad() {
	grep -E 'WARNING|BUG|Oops|general protection|driver bug|Call Trace'
}

load() { modprobe podcam "$@" 2>"$tmp/modprobe.err" && udevadm settle -t 30; }
loaded() { [ -d /sys/module/podcam ]; }
unload() { udevadm settle -t 30; rmmod podcam 2>"$tmp/rmmod.err"; }

# The video node, platform device and GPIO chip of a role, from sysfs.
node() {
	local d
	for d in /sys/class/video4linux/video*; do
		[ -r "$d/device/role" ] || continue
		if [ "$(cat "$d/device/role")" = "$1" ]; then
			echo "/dev/${d##*/}"
			return 0
		fi
	done
	return 1
}
pdev() {
	local d
	for d in /sys/bus/platform/devices/podcam.*; do
		[ "$(cat "$d/role" 2>/dev/null)" = "$1" ] || continue
		echo "${d##*/}"
		return 0
	done
	return 1
}
chip() {
	local p d
	p=$(pdev "$1") || return 1
	for d in /sys/bus/platform/devices/"$p"/gpiochip*; do
		[ -d "$d" ] && { echo "${d##*/}"; return 0; }
	done
	return 1
}

both_cameras() {
	local i
	for i in 0 1; do
		[ "$(cat /sys/bus/platform/devices/podcam.$i/role 2>/dev/null)" = \
			"${roles[$i]}" ] || return 1
		[ -e "$drv/podcam.$i" ] || return 1
		node "${roles[$i]}" >/dev/null || return 1
		chip "${roles[$i]}" >/dev/null || return 1
		[ -d "$dbg/${roles[$i]}" ] || return 1
	done
}

# Waits up to $1 seconds for process $2; kills it when it does not end
# (and does not wait for a process stuck in the kernel).
wait_for() {
	local t=$(($1 * 10))
	while kill -0 "$2" 2>/dev/null && [ $t -gt 0 ]; do
		sleep 0.1
		t=$((t - 1))
	done
	if kill -0 "$2" 2>/dev/null; then
		kill -9 "$2" 2>/dev/null
		sleep 1
		kill -0 "$2" 2>/dev/null || wait "$2" 2>/dev/null
		return 124
	fi
	wait "$2"
}

# Waits up to $1 seconds for "$2" in file $3.
wait_line() {
	local t=$(($1 * 10))
	until grep -q "$2" "$3" 2>/dev/null; do
		[ $t -gt 0 ] || return 1
		sleep 0.1
		t=$((t - 1))
	done
}

set_fmt() { # node fourcc width height fps
	v4l2-ctl -d "$1" --set-fmt-video="width=$3,height=$4,pixelformat=$2" \
		--set-parm="$5" >/dev/null
}

# key=value output of the helper: get KEY LINE
get() { sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" <<<"$2"; }

mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug
echo "podcam-kmod-test: start" > /dev/kmsg
loaded || load "${modargs[@]}"

###########################################################################
# The loaded module

check "two cameras podcam.0 doorbell and podcam.1 van-curb, bound, with nodes, GPIO chips and debugfs" \
	both_cameras

querycap_ok() {
	local out i
	for i in 0 1; do
		out=$(v4l2-ctl -d "$(node "${roles[$i]}")" --info) || return 1
		grep -q "Driver name *: podcam$" <<<"$out" &&
			grep -q "Card type *: podcam ${roles[$i]}$" <<<"$out" &&
			grep -q "Bus info *: platform:podcam-$i$" <<<"$out" ||
			return 1
	done
}
check "QUERYCAP: driver podcam, card 'podcam <role>', bus_info platform:podcam-N" \
	querycap_ok

params_ok() {
	local p=/sys/module/podcam/parameters
	[ "$(cat $p/devices)" = 2 ] && [ "$(cat $p/roles)" = doorbell,van-curb ] &&
		[ "$(stat -c %a $p/devices)" = 444 ] &&
		[ "$(stat -c %a $p/roles)" = 444 ] &&
		[ "$(cat $p/fail_probe)" = none ]
}
check "module parameters devices, roles (0444) and fail_probe readable" \
	params_ok

# The control ioctls take the control handler's lock inside the ioctl lock;
# the two must differ (they were one mutex once: a deadlock).
ctrl_ioctls_ok() {
	local role pid
	for role in "${roles[@]}"; do
		v4l2-ctl -d "$(node "$role")" --list-ctrls --log-status \
			-c motion_blur=1 -c motion_blur=0 > /dev/null 2>&1 &
		pid=$!
		wait_for 30 $pid || return 1
	done
}
check "control ioctls answer (list, log status, set) within 30 s" \
	ctrl_ioctls_ok

###########################################################################
# The gate: v4l2-compliance with streaming

# Debian 12's v4l-utils 1.22.1 expects the NV12 description of older
# kernels ("Y/CbCr 4:2:0"; 6.1 says "Y/UV 4:2:0"), so its format
# enumeration test fails for every driver with NV12, vivid included. That
# one known failure is allowed; nothing else is. The driver enumerates
# YUYV first and defaults to it, and podcamd may have left NV12 current:
# YUYV is set, so that the failure does not spread to the other format
# tests (see docs/kmod.md).
known_fail="fmtdesc.description mismatch: was 'Y/UV 4:2:0', expected 'Y/CbCr 4:2:0'"
for role in "${roles[@]}"; do
	dev=$(node "$role")
	set_fmt "$dev" YUYV 640 480 30
	t0=$SECONDS
	out=$(timeout 600 v4l2-compliance -d "$dev" -W -s 2>&1)
	total=$(grep '^Total for' <<<"$out" | tail -n 1)
	fails=$(grep -E '^\s*fail:' <<<"$out" | sed 's/^[[:space:]]*//')
	note "$role ($dev, $((SECONDS - t0)) s): ${total:-no totals line}"
	[ -z "$fails" ] || note "$fails"
	name="v4l2-compliance -W -s $role: 0 warnings, no failure but the NV12 description check of v4l-utils 1.22.1"
	if [[ $total == *", Failed: 0, Warnings: 0" ]] ||
		{ [[ $total == *", Failed: 1, Warnings: 0" ]] &&
			[ "$fails" = "fail: v4l2-test-formats.cpp(263): $known_fail" ]; }; then
		pass "$name"
	else
		fail "$name"
		grep -iE 'fail|warn' <<<"$out" | head -n 40 | sed 's/^/# /'
	fi
done

###########################################################################
# Formats, sizes and frame rates

dev=$(node doorbell)
formats_ok() {
	local out
	out=$(v4l2-ctl -d "$dev" --list-formats-ext) || return 1
	grep -q "'NV12'" <<<"$out" && grep -q "'YUYV'" <<<"$out" &&
		[ "$(grep -c 'Size: Discrete' <<<"$out")" = 8 ] &&
		[ "$(grep -c 'Interval: Discrete' <<<"$out")" = 24 ]
}
check "ENUM_FMT/FRAMESIZES/FRAMEINTERVALS: NV12 and YUYV, 4 sizes, 3 rates each" \
	formats_ok

try_fmt_ok() {
	local out
	out=$("${helper[@]}" tryfmt "$dev" RGB3 1000 700) || return 1
	note "TRY_FMT RGB3 1000x700: $out"
	# field NONE 1, sRGB 8, 601 1, limited range 2, sRGB transfer 2
	[ "$out" = "fourcc=YUYV width=1280 height=720 field=1 bytesperline=2560 sizeimage=1843200 colorspace=8 ycbcr_enc=1 quantization=2 xfer_func=2" ] &&
		out=$("${helper[@]}" tryfmt "$dev" NV12 5000 5000) &&
		[ "$out" = "fourcc=NV12 width=2592 height=1944 field=1 bytesperline=2592 sizeimage=7558272 colorspace=8 ycbcr_enc=1 quantization=2 xfer_func=2" ]
}
check "TRY_FMT adjusts (RGB3 1000x700 -> YUYV 1280x720, NV12 5000x5000 -> 2592x1944; sRGB, BT.601, limited range)" \
	try_fmt_ok

t0=$SECONDS
for fourcc in NV12 YUYV; do
	for size in 640x480 1280x720 1920x1080 2592x1944; do
		w=${size%x*} h=${size#*x}
		for fps in 30 15 5; do
			name="stream $fourcc $size at $fps fps"
			if ! set_fmt "$dev" "$fourcc" "$w" "$h" "$fps"; then
				fail "$name: cannot set the format"
				continue
			fi
			count=$((fps / 3 + 3))
			out=$("${helper[@]}" stream "$dev" "$count" 2>&1)
			note "$name: $out"
			if [ "$(get gapfree "$out")$(get monotonic "$out")$(get tsflag "$out")$(get bytesused_ok "$out")" = 1111 ]; then
				pass "$name: $count frames, sequence without gaps, monotonic timestamps, full payload"
			else
				fail "$name: $count frames, sequence without gaps, monotonic timestamps, full payload"
			fi
		done
	done
done
note "every format, size and rate: $((SECONDS - t0)) s"

# Frame rates measured from the buffer timestamps; the rate of frames the
# consumer actually got, so dropped frames lower it.
rate_ok() { # fourcc size fps frames
	local out rate
	set_fmt "$dev" "$1" "${2%x*}" "${2#*x}" "$3" || return 1
	out=$("${helper[@]}" stream "$dev" "$4" 2>&1)
	rate=$(get fps "$out")
	note "$1 $2 at $3 fps: measured $rate fps (wall clock $(get wall_fps "$out")), $(v4l2-ctl -d "$dev" -C frames_dropped)"
	[ -n "$rate" ] && awk -v r="$rate" -v f="$3" -v tol="$5" \
		'BEGIN { exit !(r >= f * (1 - tol) && r <= f * (1 + tol / 2)) }'
}
# This host is shared and TCG is slow: a rate gets a second try.
rate_ok2() { rate_ok "$@" || rate_ok "$@"; }
for fourcc in NV12 YUYV; do
	check "$fourcc 640x480 delivers 30, 15 and 5 fps (within 10%)" \
		eval 'rate_ok2 '$fourcc' 640x480 30 60 0.1 && rate_ok2 '$fourcc' 640x480 15 30 0.1 && rate_ok2 '$fourcc' 640x480 5 10 0.1'
done
check "NV12 1920x1080 delivers 30 fps in this VM (within 10%)" \
	rate_ok2 NV12 1920x1080 30 60 0.1
# The other sizes at 30 fps: measured and reported, not checked.
for size in 1280x720 1920x1080 2592x1944; do
	for fourcc in NV12 YUYV; do
		rate_ok $fourcc $size 30 45 1 || true
	done
done

###########################################################################
# Controls

set_fmt "$dev" NV12 640 480 30
ctrls_ok() {
	local out
	out=$(v4l2-ctl -d "$dev" -l) || return 1
	grep -q "motion_blur .*(int) *: min=0 max=32 step=1 default=0" <<<"$out" &&
		grep -q "illuminator_1 .*(bool)" <<<"$out" &&
		grep -q "frames_dropped .*(int64).*flags=read-only, volatile" <<<"$out"
}
check "controls motion_blur (0..32), illuminator_1 (bool), frames_dropped (int64, read-only, volatile)" \
	ctrls_ok

dropped_ok() {
	local out ctrl fs
	# 8 frames, 0.25 s apart, with 2 buffers: about 50 of 60 periods drop.
	out=$("${helper[@]}" stream "$dev" 8 2 0.25 2>&1) || return 1
	ctrl=$(v4l2-ctl -d "$dev" -C frames_dropped | sed 's/.*: //')
	fs=$(cat "$dbg/doorbell/frames_dropped")
	note "slow consumer: $out; frames_dropped control $ctrl, debugfs $fs"
	[ "$(get gapfree "$out")" = 1 ] && [ "$ctrl" = "$fs" ] &&
		[ "$ctrl" -ge 20 ] && [ "$ctrl" -le 80 ]
}
check "a slow consumer: frames dropped counted (control = debugfs), sequence still without gaps" \
	dropped_ok

grab() { "${helper[@]}" grab "$dev" "$1"; }
blur_ok() {
	local sharp blurred
	v4l2-ctl -d "$dev" -c motion_blur=0 && grab "$tmp/b0.raw" &&
		v4l2-ctl -d "$dev" -c motion_blur=6 && grab "$tmp/b6.raw" &&
		v4l2-ctl -d "$dev" -c motion_blur=0 || return 1
	sharp=$("${helper[@]}" lapvar "$tmp/b0.raw" 640 480 NV12)
	blurred=$("${helper[@]}" lapvar "$tmp/b6.raw" 640 480 NV12)
	note "Laplacian variance: motion_blur=0 $sharp, motion_blur=6 $blurred"
	awk -v a="$sharp" -v b="$blurred" 'BEGIN { exit !(a > 4 * b) }'
}
check "motion_blur=6 cuts the Laplacian variance by more than 4x" blur_ok

blur_streaming_ok() {
	local out pid
	"${helper[@]}" stream "$dev" 60 > "$tmp/bs.out" 2>&1 &
	pid=$!
	sleep 0.7
	v4l2-ctl -d "$dev" -c motion_blur=8 && sleep 0.5 &&
		v4l2-ctl -d "$dev" -c motion_blur=0 || return 1
	wait_for 60 $pid || return 1
	out=$(cat "$tmp/bs.out")
	[ "$(get gapfree "$out")" = 1 ]
}
check "motion_blur changed while streaming: the stream goes on without gaps" \
	blur_streaming_ok

flash_ok() {
	local off on
	v4l2-ctl -d "$dev" -c illuminator_1=0 && grab "$tmp/f0.raw" &&
		v4l2-ctl -d "$dev" -c illuminator_1=1 && grab "$tmp/f1.raw" ||
		return 1
	off=$("${helper[@]}" meany "$tmp/f0.raw" 640 480 NV12)
	on=$("${helper[@]}" meany "$tmp/f1.raw" 640 480 NV12)
	note "mean luma: flash off $off, flash on $on"
	awk -v a="$off" -v b="$on" 'BEGIN { exit !(b >= a + 20) }'
}
check "illuminator_1=1 (flash) brightens the frame by at least 20 luma levels" \
	flash_ok

###########################################################################
# GPIO lines

gpiodetect_ok() {
	local out
	out=$(gpiodetect) || return 1
	note "$(grep podcam <<<"$out" | tr '\n' ' ')"
	grep -q "$(chip doorbell) \[podcam-doorbell\] (2 lines)" <<<"$out" &&
		grep -q "$(chip van-curb) \[podcam-van-curb\] (2 lines)" <<<"$out"
}
check "gpiodetect: chips podcam-doorbell and podcam-van-curb with 2 lines" \
	gpiodetect_ok

gpioinfo_ok() {
	local role out
	for role in "${roles[@]}"; do
		out=$(gpioinfo "$(chip "$role")") || return 1
		grep -qE 'line +0: +"podcam-trigger" +unused +input' <<<"$out" &&
			grep -qE 'line +1: +"podcam-flash" +unused +output' <<<"$out" ||
			return 1
	done
}
check "gpioinfo: line 0 podcam-trigger input, line 1 podcam-flash output, on both chips" \
	gpioinfo_ok

# Waits until gpiomon has requested the trigger line of chip $1.
gpiomon_waits() {
	local n=100
	until gpioinfo "$1" | grep -q '"podcam-trigger" *"gpiomon"'; do
		n=$((n - 1))
		[ $n -gt 0 ] || return 1
		sleep 0.1
	done
}

edges_ok() { # role
	local c t=$dbg/$1/trigger pid
	c=$(chip "$1")
	gpiomon -n 2 -F '%o %e' "$c" 0 > "$tmp/mon" 2>&1 &
	pid=$!
	gpiomon_waits "$c" || { kill $pid; return 1; }
	echo 1 > "$t" && [ "$(cat "$t")" = 1 ] && echo 0 > "$t" &&
		[ "$(cat "$t")" = 0 ] || return 1
	wait_for 10 $pid || return 1
	[ "$(cat "$tmp/mon")" = "$(printf '0 1\n0 0')" ]
}
for role in "${roles[@]}"; do
	check "trigger via debugfs on $role: gpiomon sees a rising then a falling edge" \
		edges_ok "$role"
done

check "the trigger line cannot be driven (gpioset fails)" \
	eval '! gpioset "$(chip doorbell)" 0=1 2>/dev/null'

flash_line_ok() {
	local c f=$dbg/doorbell/flash
	c=$(chip doorbell)
	v4l2-ctl -d "$dev" -c illuminator_1=1 && [ "$(gpioget "$c" 1)" = 1 ] &&
		[ "$(cat $f)" = 1 ] &&
		v4l2-ctl -d "$dev" -c illuminator_1=0 && [ "$(gpioget "$c" 1)" = 0 ] &&
		[ "$(cat $f)" = 0 ] &&
		gpioset "$c" 1=1 &&
		[ "$(v4l2-ctl -d "$dev" -C illuminator_1)" = "illuminator_1: 1" ] &&
		[ "$(cat $f)" = 1 ] &&
		gpioinfo "$c" | grep -qE 'line +1: +"podcam-flash" +unused +output' &&
		gpioset "$c" 1=0 &&
		[ "$(v4l2-ctl -d "$dev" -C illuminator_1)" = "illuminator_1: 0" ] &&
		[ "$(cat $f)" = 0 ]
}
check "the flash line follows illuminator_1, and gpioset on it sets the control" \
	flash_line_ok

###########################################################################
# The scene: a known image in, the same picture out

scene=$dbg/doorbell/scene
"${helper[@]}" mkppm "$tmp/t640.ppm" 640 480
"${helper[@]}" mkppm "$tmp/tbig.ppm" 2592 1944

compare_ok() { # fourcc ppm
	local out
	set_fmt "$dev" "$1" 640 480 30 && grab "$tmp/frame.raw" || return 1
	out=$("${helper[@]}" compare "$tmp/frame.raw" 640 480 "$1" "$2")
	note "$1 against $(basename "$2"): $out"
	[ "$out" = "luma_maxdiff=0 chroma_maxdiff=0" ]
}
check "a 640x480 PPM loads as the scene (debugfs reads 'image 640x480')" \
	eval 'cat "$tmp/t640.ppm" > "$scene" && [ "$(cat "$scene")" = "image 640x480" ]'
for fourcc in NV12 YUYV; do
	check "$fourcc frame equals the PPM through docs/kmod.md's conversion exactly" \
		compare_ok $fourcc "$tmp/t640.ppm"
done
check "a 15 MB 2592x1944 PPM written by cat in many chunks loads" \
	eval 'cat "$tmp/tbig.ppm" > "$scene" && [ "$(cat "$scene")" = "image 2592x1944" ]'
check "the 2592x1944 image scaled to 640x480 NV12 matches exactly" \
	compare_ok NV12 "$tmp/tbig.ppm"

malformed_ok() {
	local err
	if err=$(printf 'P6\n640 480\n65535\n' 2>&1 > "$scene"); then
		return 1
	fi
	note "maxval 65535: $err"
	grep -q "Invalid argument" <<<"$err" &&
		[ "$(cat "$scene")" = "image 2592x1944" ] &&
		! printf 'P5\n640 480\n255\n' > "$scene" 2>/dev/null &&
		! printf 'P6\n4000 480\n255\n' > "$scene" 2>/dev/null &&
		[ "$(cat "$scene")" = "image 2592x1944" ]
}
check "malformed PPMs (maxval 65535, P5, too wide) fail with EINVAL, the old scene stays" \
	malformed_ok

truncated_ok() {
	local rc
	head -c 500000 "$tmp/t640.ppm" > "$scene" 2>/dev/null
	rc=$?
	note "truncated upload: head exit status $rc"
	[ $rc -ne 0 ] && [ "$(cat "$scene")" = "image 2592x1944" ]
}
check "a truncated PPM fails at close, the old scene stays" truncated_ok

extra_ok() {
	{ cat "$tmp/t640.ppm"; printf 'x'; } > "$tmp/extra.ppm"
	! dd if="$tmp/extra.ppm" of="$scene" bs=1M 2>/dev/null &&
		[ "$(cat "$scene")" = "image 2592x1944" ]
}
check "data past the image fails with EINVAL, the old scene stays" extra_ok

image_streaming_ok() {
	local pid
	set_fmt "$dev" NV12 640 480 30
	"${helper[@]}" stream "$dev" 60 > "$tmp/is.out" 2>&1 &
	pid=$!
	sleep 0.7
	cat "$tmp/t640.ppm" > "$scene" || return 1
	wait_for 60 $pid || return 1
	[ "$(get gapfree "$(cat "$tmp/is.out")")" = 1 ]
}
check "an image loaded while streaming: the stream goes on without gaps" \
	image_streaming_ok
check "'synthetic' restores the synthetic scene" \
	eval 'echo synthetic > "$scene" && [ "$(cat "$scene")" = synthetic ]'

###########################################################################
# Error injection in start_streaming

for step in scene start; do
	streamon_fail_ok() {
		mark
		echo "$1" > "$dbg/doorbell/fail_streamon" &&
			! "${helper[@]}" stream "$dev" 1 >/dev/null 2>&1 &&
			since_mark | grep -q "injected failure at streamon step $1" &&
			[ "$(cat "$dbg/doorbell/fail_streamon")" = none ] &&
			"${helper[@]}" stream "$dev" 3 >/dev/null
	}
	check "fail_streamon=$step: STREAMON fails once, the next one streams" \
		streamon_fail_ok $step
done

###########################################################################
# Hot-unplug: unbind under users, rebind

block_ok() {
	local pid rc
	"${helper[@]}" block "$(node doorbell)" > "$tmp/block" 2>&1 &
	pid=$!
	wait_line 60 blocked "$tmp/block" || return 1
	sleep 0.5
	echo podcam.0 > $drv/unbind || return 1
	wait_for 10 $pid
	rc=$?
	note "blocked DQBUF after unbind: $(tr '\n' ' ' < "$tmp/block")"
	[ $rc -eq 0 ] && grep -q dqbuf-error= "$tmp/block"
}
mark
unbinds_mark=$mark_n
check "unbind while a process blocks in DQBUF: DQBUF fails, the process ends" \
	block_ok
check "rebind: the doorbell camera streams again" \
	eval 'echo podcam.0 > $drv/bind && udevadm settle -t 30 && "${helper[@]}" stream "$(node doorbell)" 5 >/dev/null'

streaming_unbind_ok() {
	local pid
	v4l2-ctl -d "$(node doorbell)" --stream-mmap --stream-count=1000000 \
		> /dev/null 2>&1 &
	pid=$!
	sleep 2
	kill -0 $pid 2>/dev/null || return 1
	echo podcam.0 > $drv/unbind || return 1
	wait_for 10 $pid
	[ $? -ne 124 ]
}
check "unbind while v4l2-ctl streams: it ends" streaming_unbind_ok
echo podcam.0 > $drv/bind
udevadm settle -t 30

# A chip whose lines are requested at unbind stays (orphaned) until they
# are released: Debian's 6.1 gpiolib would otherwise leak the module
# reference of the line, and rmmod would never work again (tested below).
gpiomon_unbind_ok() {
	local c pid n=100
	c=$(chip doorbell)
	gpiomon "$c" 0 > /dev/null 2>&1 &
	pid=$!
	gpiomon_waits "$c" || { kill $pid; return 1; }
	mark
	echo podcam.0 > $drv/unbind || return 1
	sleep 1
	if [ ! -e "/dev/$c" ] || ! since_mark |
		grep -q "GPIO chip podcam-doorbell stays until its lines are released"; then
		kill $pid
		return 1
	fi
	kill $pid
	wait $pid 2>/dev/null
	while [ -e "/dev/$c" ]; do
		n=$((n - 1))
		[ $n -gt 0 ] || return 1
		sleep 0.1
	done
	echo podcam.0 > $drv/bind && udevadm settle -t 30 &&
		c=$(chip doorbell) && gpioinfo "$c" >/dev/null &&
		edges_ok doorbell
}
check "unbind while gpiomon waits: the chip stays until gpiomon ends, rebind: edges arrive again" \
	gpiomon_unbind_ok

upload_unbind_ok() {
	local pid
	"${helper[@]}" upload "$scene" "$tmp/t640.ppm" 300000 "$tmp/go" \
		> "$tmp/up" 2>&1 &
	pid=$!
	wait_line 60 written "$tmp/up" || return 1
	echo podcam.0 > $drv/unbind || return 1
	touch "$tmp/go"
	wait_for 30 $pid || return 1
	note "scene upload across unbind: $(tr '\n' ' ' < "$tmp/up")"
	grep -q write-error=EIO "$tmp/up" &&
		echo podcam.0 > $drv/bind && udevadm settle -t 30 &&
		[ "$(cat "$scene")" = synthetic ]
}
check "unbind during a scene upload: the next write fails with EIO, rebind works" \
	upload_unbind_ok
rm -f "$tmp/go"

unbinds_quiet() { ! since_mark_n "$unbinds_mark" | kernel_bad; }
check "no kernel warning from the unbinds" unbinds_quiet
check "both cameras back after the rebinds" both_cameras

rmmod_open_ok() {
	local fd
	exec {fd}<"$(node van-curb)"
	if rmmod podcam 2>/dev/null; then
		exec {fd}<&-
		return 1
	fi
	exec {fd}<&-
	unload && ! loaded && load "${modargs[@]}" && both_cameras
}
check "rmmod is refused while a node is open and works once it is closed" \
	rmmod_open_ok

###########################################################################
# Probe error injection, at load and at bind

bind_fail_ok() {
	local p=/sys/module/podcam/parameters/fail_probe ok=0
	mark
	echo gpio > $p && echo podcam.1 > $drv/unbind || return 1
	echo podcam.1 > $drv/bind 2>/dev/null || ok=1
	echo none > $p
	[ $ok = 1 ] && [ ! -e $drv/podcam.1 ] &&
		since_mark | grep -q "injected failure at probe step gpio" &&
		echo podcam.1 > $drv/bind && udevadm settle -t 30 && both_cameras
}
check "fail_probe=gpio at runtime: bind fails, then binds again" bind_fail_ok

unload || fail "rmmod podcam: $(cat "$tmp/rmmod.err")"
for step in alloc v4l2 ctrls queue irq gpio video; do
	probe_fail_ok() {
		mark
		if load "${modargs[@]}" fail_probe="$1"; then
			unload
			return 1
		fi
		! loaded && since_mark | grep -q "injected failure at probe step $1" &&
			since_mark | grep -q "podcam: camera 0 (doorbell) failed to probe (-12)" &&
			load "${modargs[@]}" && both_cameras && unload
	}
	check "fail_probe=$step: the load fails cleanly, the next load works" \
		probe_fail_ok $step
done

###########################################################################
# Bad module parameters

bad_param() { # dmesg-pattern parameters...
	local re=$1
	shift
	mark
	if load "$@"; then
		unload
		return 1
	fi
	! loaded && since_mark | grep -qE "$re" &&
		note "$*: $(since_mark | grep -E "$re" | head -n 1 | sed 's/^\[[^]]*\] //')"
}
check "devices=0 is refused with a clear message" \
	bad_param 'podcam: devices=0: the number of cameras must be 1 to 8' devices=0
check "devices=9 is refused with a clear message" \
	bad_param 'podcam: devices=9: the number of cameras must be 1 to 8' devices=9
check "an invalid role (upper case, underscore) is refused with a clear message" \
	bad_param 'podcam: roles=: role 1 "Van_Curb" is not 1-31 characters of a-z, 0-9 and -' \
	roles=doorbell,Van_Curb
check "a 32-character role is refused" \
	bad_param 'is not 1-31 characters' roles=abcdefghijklmnopqrstuvwxyz012345
check "a duplicate role is refused" \
	bad_param 'podcam: roles=: role "doorbell" is given twice' roles=doorbell,doorbell
check "roles= and devices= that disagree are refused" \
	bad_param 'podcam: roles= names 2 cameras but devices=3' devices=3 roles=a,b
check "an empty role is refused" \
	bad_param 'podcam: roles=: role 1 "" is not' roles=a,,b

defaults_ok() {
	load && [ "$(cat /sys/bus/platform/devices/podcam.0/role)" = camera0 ] &&
		[ ! -e /sys/bus/platform/devices/podcam.1 ] && unload &&
		load roles=front,back,side && [ "$(cat /sys/module/podcam/parameters/devices)" = 3 ] &&
		[ "$(cat /sys/bus/platform/devices/podcam.2/role)" = side ] && unload &&
		load devices=8 && [ "$(cat /sys/bus/platform/devices/podcam.7/role)" = camera7 ] &&
		unload
}
check "defaults: one camera0; devices follows roles=; devices=8 gives camera0..camera7" \
	defaults_ok

###########################################################################
# Load and unload 20 times, every fourth time with a streaming reader

cycles_ok() {
	local i pid
	for i in $(seq 1 20); do
		load "${modargs[@]}" && both_cameras || return 1
		if [ $((i % 4)) = 0 ]; then
			v4l2-ctl -d "$(node van-curb)" --stream-mmap \
				--stream-count=1000000 > /dev/null 2>&1 &
			pid=$!
			sleep 1
			kill -0 $pid 2>/dev/null || return 1
			rmmod podcam 2>/dev/null && return 1
			kill $pid
			wait $pid 2>/dev/null
		fi
		unload || return 1
	done
}
mark
t0=$SECONDS
check "20 load/unload cycles; with a streaming reader rmmod is refused, then works" \
	cycles_ok
note "20 cycles: $((SECONDS - t0)) s"

load "${modargs[@]}"
check "the module is loaded again as the test bed left it" both_cameras

###########################################################################
# The kernel log

log=$(dmesg | sed -n '/podcam-kmod-test: start$/,$p')
[ -z "${PODCAM_OUT:-}" ] || echo "$log" > "$PODCAM_OUT/kmod-dmesg.txt"
if bad=$(kernel_bad <<<"$log"); then
	fail "dmesg: no WARNING, BUG, Oops, general protection or vb2 driver bug"
	head -n 40 <<<"$bad" | sed 's/^/# /'
else
	pass "dmesg: no WARNING, BUG, Oops, general protection or vb2 driver bug"
fi

note "tests/vm/kmod.sh: $((SECONDS - started)) s, $failed failed"
[ $failed -eq 0 ]

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Inside the test VM (tests/vm/run tests/vm/libcamera.sh): podcamd's
# libcamera backend on the kernel's vimc driver, which tests/vm/vimc-build.sh
# built on the host (`make tests` does). libcamera 0.0.3 and its vimc IPA
# come from Debian's packages in the image. Prints TAP.
#
#  1. podcamd with Backend=libcamera on vimc: streaming; Delivered and
#     Trigger() give photos that pass the same checks as a V4L2 photo
#     (tests/vm/libcamera/check-photo.py), with a privacy mask drawn into
#     the RGB frame; confidential and opt-out give no file.
#  2. vimc unbound from its driver (unplugged): State offline; bound again:
#     streaming, and a capture works, without podcamd restarting.
#  3. Errors: a camera id that does not exist, Backend=v4l2 on a node that
#     gives only RGB, a size the camera cannot give exactly with a mask, a
#     camera already in use; Backend=auto takes libcamera for the RGB node.
set -u
cd "${PODCAM_SRC:-.}"
. tests/lib/tap.sh
BUILD=${BUILD:-build}
busmon=tests/lib/busmon.py
check_photo=tests/vm/libcamera/check-photo.py
conf=/etc/podcam/podcam.conf
spool=/var/lib/podcam/spool
vimc_id="platform/vimc.0 Sensor B"
tmp=$(mktemp -d)
signals=$tmp/signals.json

prop() {
	busctl get-property org.podcam1 "/org/podcam1/camera/$1" \
		org.podcam1.Camera "$2" 2>/dev/null
}
state_is() { [ "$(prop "$1" State)" = "s \"$2\"" ]; }
# LastError as text (busctl escapes quotes).
last_error() { prop "$1" LastError | tr -d '\\'; }
queued() { ls "$spool/queue" 2>/dev/null | wc -l; }
# A Trigger() call; prints the photo id, or the error and fails.
trigger() {
	local out
	out=$(busctl call -- org.podcam1 "/org/podcam1/camera/$1" \
		org.podcam1.Camera Trigger 'sa{sv}' "${@:2}" 2>&1) ||
		{ echo "$out"; return 1; }
	sed -n 's/^s "\([0-9a-f]\{32\}\)"$/\1/p' <<< "$out"
}

start_podcamd() {
	cat > "$conf"
	systemctl reset-failed podcamd 2>/dev/null
	if ! systemctl start podcamd; then
		journalctl -b -u podcamd --no-pager | tail -n 20 | sed 's/^/# /'
		return 1
	fi
}

stop_podcamd() {
	local result
	systemctl stop podcamd
	result=$(systemctl show -p Result --value podcamd)
	[ "$result" = success ] || { diag "podcamd ended with $result"; return 1; }
}

cleanup() {
	systemctl stop podcamd 2>/dev/null
	journalctl -b -u podcamd --no-pager > "${PODCAM_OUT:-$tmp}/podcamd.log" 2>&1
	kill "$monitor" 2>/dev/null
	rm -rf "$tmp"
}
monitor=
trap cleanup EXIT
export SYSTEMD_COLORS=0

# --- vimc -------------------------------------------------------------------
# podcamd may have been started at boot for podcam.ko (udev); not for this.
systemctl stop podcamd
node=$(tests/vm/libcamera/vimc-load.sh "$BUILD")
require "vimc loads with its dependencies (videobuf2, v4l2-tpg)" [ -n "$node" ]
diag "vimc capture node: $node"

# The podcam user reaches the media, video and subdevice nodes (group
# video) through a drop-in, as docs/libcamera.md tells integrators.
mkdir -p /etc/systemd/system/podcamd.service.d
printf '[Service]\nSupplementaryGroups=video\n' \
	> /etc/systemd/system/podcamd.service.d/50-libcamera.conf
systemctl daemon-reload

stdbuf -oL busctl monitor --json=short \
	--match="type='signal',interface='org.podcam1.Camera'" \
	> "$signals" 2>/dev/null &
monitor=$!

# --- 1. capture through libcamera ---------------------------------------------
mask=0,0,240x120
start_podcamd <<EOF
[podcamd]
DeviceId=vm-libcamera
DeliveryUsers=courier

[camera vimc]
Backend=libcamera
LibcameraId=$vimc_id
Size=960x540
FrameRate=5
PrivacyMask=$mask
RateLimitBurst=1000
RateLimitIntervalSec=1
EOF
show_journal() { journalctl -u podcamd --no-pager -o cat | tail -30 | sed 's/^/# /'; }
TAP_ON_BAIL=show_journal
require "podcamd starts with Backend=libcamera" systemctl is-active -q podcamd
require "the vimc camera is streaming" wait_until 60 state_is vimc streaming
check "podcamd loaded the libcamera plugin for it" \
	grep -q /usr/lib/podcam/capture-libcamera.so \
	"/proc/$(systemctl show -P MainPID podcamd)/maps"
diag "State $(prop vimc State), Format $(prop vimc Format), LastError $(prop vimc LastError)"
check "Format names libcamera's RGB format and the size" \
	grep -Eq '^s "(BGR888|RGB888) 960x540 [0-9]+fps"$' <<< "$(prop vimc Format)"
f0=$(prop vimc FramesReceived)
sleep 2
f1=$(prop vimc FramesReceived)
check "frames keep arriving" [ "${f1#t }" -gt "${f0#t }" ]
diag "FramesReceived ${f0#t } then ${f1#t } two seconds later, FramesDropped $(prop vimc FramesDropped)"
# vimc takes no frame rate: Format gives the rate measured at the start.
fps=$(prop vimc Format | sed -n 's/.* \([0-9]*\)fps"$/\1/p')
check "Format has vimc's measured rate, not FrameRate=5" [ "${fps:-5}" -ne 5 ]

busctl emit -- /com/example/courier org.podcam1.Delivery Delivered 'sa{sv}' \
	TBA600000001 2 latitude d 47.61 longitude d -122.33
if payload=$($busmon "$signals" wait 60 PhotoCaptured 1=TBA600000001); then
	ok "Delivered gives PhotoCaptured"
	id=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])[0])' "$payload")
	python3 "$check_photo" "$spool" "$id" delivered tracking=TBA600000001 \
		trigger=delivered camera=vimc width=960 height=540 \
		lat=47.61 lon=-122.33 mask=$mask
else
	not_ok "Delivered gives PhotoCaptured"
fi
diag "LastTriggerLatencyUsec $(prop vimc LastTriggerLatencyUsec), LastSharpness $(prop vimc LastSharpness)"

if id=$(trigger vimc TBA600000002 0) && [ -n "$id" ]; then
	ok "Trigger() returns a photo id"
	python3 "$check_photo" "$spool" "$id" method tracking=TBA600000002 \
		trigger=method width=960 height=540 mask=$mask
else
	not_ok "Trigger() returns a photo id"
	diag "$id"
fi

before=$(queued)
busctl emit -- /com/example/courier org.podcam1.Delivery Delivered 'sa{sv}' \
	TBA600000003 1 confidential b true
busctl emit -- /com/example/courier org.podcam1.Delivery Delivered 'sa{sv}' \
	TBA600000004 1 photo_opt_out b true
check "confidential: PhotoSkipped confidential" \
	$busmon "$signals" wait 30 PhotoSkipped 0=TBA600000003 2=confidential
check "opt-out: PhotoSkipped opt-out" \
	$busmon "$signals" wait 30 PhotoSkipped 0=TBA600000004 2=opt-out
out=$(trigger vimc TBA600000005 1 confidential b true)
check "Trigger() confidential: refused (PhotoNotAllowed)" \
	grep -q "failed: confidential" <<< "$out"
sleep 1
check "and no file for any of them" [ "$(queued)" -eq "$before" ]

# --- 2. vimc goes away and comes back -----------------------------------------
# Unbinding the driver is vimc's unplug: its nodes go while podcamd holds
# them. The module itself cannot be removed then: libcamera 0.0.3 keeps the
# dead camera's files open until podcamd exits (docs/libcamera.md).
pid=$(systemctl show -p MainPID --value podcamd)
fds_before=$(ls /proc/"$pid"/fd | wc -l)
echo vimc.0 > /sys/bus/platform/drivers/vimc/unbind
check "vimc unbound: State offline" wait_until 30 state_is vimc offline
err=$(last_error vimc)
diag "LastError $err"
check "LastError says so" grep -q "device lost: No such device\|no camera" <<< "$err"
out=$(trigger vimc TBA600000006 0)
diag "$out"
check "Trigger() while offline: refused (CameraOffline)" \
	grep -q "failed: camera-offline" <<< "$out"
echo vimc.0 > /sys/bus/platform/drivers/vimc/bind
udevadm settle -t 30
check "vimc bound again: State streaming" wait_until 60 state_is vimc streaming
if id=$(trigger vimc TBA600000007 0) && [ -n "$id" ]; then
	ok "a capture works after the return"
	python3 "$check_photo" "$spool" "$id" returned tracking=TBA600000007 \
		width=960 height=540 mask=$mask
else
	not_ok "a capture works after the return"
	diag "$id"
fi
check "podcamd did not restart meanwhile" \
	[ "$(systemctl show -p MainPID --value podcamd)" = "$pid" ]
fds_after=$(ls /proc/"$pid"/fd | wc -l)
diag "podcamd's open files: $fds_before before the unplug, $fds_after after the return"
check "podcamd stops cleanly (CameraManager stopped at exit)" stop_podcamd
check "then vimc can be unloaded and loaded again" \
	bash -c "rmmod vimc && modprobe vimc"
udevadm settle -t 30

# --- 3. errors, and Backend=auto ----------------------------------------------
node=$(tests/vm/libcamera/vimc-load.sh "$BUILD")
start_podcamd <<EOF
[podcamd]
DeviceId=vm-libcamera

[camera ghost]
Backend=libcamera
LibcameraId=no-such-camera

[camera rgbnode]
Backend=v4l2
Device=$node

[camera wide]
Backend=libcamera
LibcameraId=$vimc_id
Size=4200x2200
PrivacyMask=0,0,64x64
EOF
# state_error CAMERA STATE WHAT PATTERN: the camera goes to STATE, and
# its LastError has PATTERN (a fixed string).
state_error() {
	local err
	check "$3: State $2" wait_until 30 state_is "$1" "$2"
	err=$(last_error "$1")
	diag "$1: $err"
	check "$3: LastError says so" grep -qF "$4" <<< "$err"
}
state_error ghost offline "a camera id that does not exist" \
	"no camera 'no-such-camera' (it has '$vimc_id')"
state_error rgbnode error "Backend=v4l2 on vimc's RGB-only node" \
	"cannot give NV12"
state_error wide error "a size the camera cannot give exactly, with a mask" \
	"not Size=4200x2200, and PrivacyMask= needs the exact size"
check "podcamd stops cleanly" stop_podcamd

start_podcamd <<EOF
[podcamd]
DeviceId=vm-libcamera

[camera auto]
Backend=auto
Device=$node
Size=960x540

[camera twin]
Backend=libcamera
LibcameraId=$vimc_id
Size=960x540
EOF
check "Backend=auto on the RGB-only node streams through libcamera" \
	wait_until 60 state_is auto streaming
diag "auto: $(prop auto Format)"
state_error twin error "a second camera section on the same camera" \
	"is in use"
if id=$(trigger auto TBA600000008 0) && [ -n "$id" ]; then
	ok "Backend=auto: Trigger() gives a photo"
	python3 "$check_photo" "$spool" "$id" auto tracking=TBA600000008 \
		width=960 height=540
else
	not_ok "Backend=auto: Trigger() gives a photo"
	diag "$id"
fi
check "podcamd stops cleanly" stop_podcamd
tap_done

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# podcamd on the host, on a private dbus-daemon, with a camera that is not
# there (the host cannot load podcam.ko; the VM suites test capture): the
# bus API, introspection, the trust and argument checks, offline skips,
# --check-config. Prints TAP.
set -u
cd "$(dirname "$0")/../.."
. tests/lib/tap.sh
BUILD=${BUILD:-build}
podcamd=$BUILD/podcamd
busmon=tests/lib/busmon.py

tmp=$(mktemp -d /tmp/podcam-daemon-test.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

dbus-daemon --config-file=tests/lib/bus.conf --address="unix:path=$tmp/bus" \
	--nofork --nopidfile &
pids+=($!)
export DBUS_SYSTEM_BUS_ADDRESS=unix:path=$tmp/bus
wait_until 10 test -S "$tmp/bus" || { not_ok "private dbus-daemon started"; tap_done; }
chmod 0777 "$tmp" "$tmp/bus"

# `daemon` (uid 1) is a trusted courier app; `nobody` is not.
cat > "$tmp/podcam.conf" <<EOF
[podcamd]
DeviceId=host-test
SpoolDir=$tmp/spool
TestShotDir=$tmp/shots
DeliveryUsers=daemon

[camera doorbell]
Device=$tmp/no-such-video
EOF

# --- --check-config -------------------------------------------------------
check "check-config accepts the test configuration" \
	"$podcamd" --check-config "$tmp/podcam.conf"
check "check-config accepts the shipped configuration" \
	"$podcamd" --check-config daemon/podcam.conf
printf '[podcamd]\nQuality=85\nQualty=9\n' > "$tmp/bad.conf"
out=$("$podcamd" --check-config "$tmp/bad.conf" 2>&1)
status=$?
check "check-config names the line of an unknown key" \
	[ $status -ne 0 -a "${out#*bad.conf:3:}" != "$out" ]
diag "$out"
out=$("$podcamd" --config "$tmp/bad.conf" 2>&1)
status=$?
check "a broken configuration stops the start with its line" \
	[ $status -ne 0 -a "${out#*bad.conf:3:}" != "$out" ]

# --- start ----------------------------------------------------------------
stdbuf -oL busctl --address="$DBUS_SYSTEM_BUS_ADDRESS" monitor --json=short \
	--match="type='signal',sender='org.podcam1'" > "$tmp/signals.json" 2>/dev/null &
pids+=($!)
"$podcamd" --config "$tmp/podcam.conf" 2> "$tmp/podcamd.log" &
podcamd_pid=$!
pids+=($podcamd_pid)
bus() { busctl --address="$DBUS_SYSTEM_BUS_ADDRESS" "$@"; }
cam=/org/podcam1/camera/doorbell
prop() { bus get-property org.podcam1 "$1" "$2" "$3" 2>/dev/null; }
check "podcamd takes org.podcam1" \
	wait_until 15 bash -c "busctl --address=$DBUS_SYSTEM_BUS_ADDRESS status org.podcam1 >/dev/null 2>&1"
check "the spool was made 0700" \
	[ "$(stat -c %a "$tmp/spool")" = 700 ]

check "the manager introspects" \
	bash -c "busctl --address=$DBUS_SYSTEM_BUS_ADDRESS introspect org.podcam1 /org/podcam1 | grep -q SpoolPending"
intro=$(bus introspect org.podcam1 $cam 2>&1)
for member in Trigger TestShot PhotoCaptured PhotoSkipped State Format \
	FramesReceived FramesDropped PhotosCaptured PhotosSkipped LastPhotoId \
	LastSharpness LastTriggerLatencyUsec LastError Role Device; do
	grep -q "\.$member " <<< "$intro" || not_ok "camera introspection has $member"
done
ok "the camera introspects with every member of SPEC section 4"
check "Cameras lists the camera" \
	[ "$(prop /org/podcam1 org.podcam1.Manager Cameras)" = "ao 1 \"$cam\"" ]
check "Version is set" \
	bash -c "[ \"\$(busctl --address=$DBUS_SYSTEM_BUS_ADDRESS get-property org.podcam1 /org/podcam1 org.podcam1.Manager Version)\" = 's \"0.1\"' ]"
check "a missing device is State offline" \
	[ "$(prop $cam org.podcam1.Camera State)" = 's "offline"' ]
check "LastError says why" \
	bash -c "busctl --address=$DBUS_SYSTEM_BUS_ADDRESS get-property org.podcam1 $cam org.podcam1.Camera LastError | grep -q no-such-video"
check "Role and Device" \
	[ "$(prop $cam org.podcam1.Camera Role)" = 's "doorbell"' ]

# --- Delivered --------------------------------------------------------------
emit() { bus emit -- /com/example/courier org.podcam1.Delivery Delivered "$@"; }
emit 'sa{sv}' TBA100 0
check "root's Delivered on an offline camera: camera-offline" \
	$busmon "$tmp/signals.json" wait 10 PhotoSkipped 0=TBA100 2=camera-offline
emit 'sa{sv}' TBA101 1 confidential b true
check "confidential: PhotoSkipped confidential" \
	$busmon "$tmp/signals.json" wait 10 PhotoSkipped 0=TBA101 1=delivered 2=confidential
emit 'sa{sv}' TBA102 1 photo_opt_out b true
check "photo_opt_out: PhotoSkipped opt-out" \
	$busmon "$tmp/signals.json" wait 10 PhotoSkipped 0=TBA102 2=opt-out

for id in "../etc" "a/b" "-lead" "TBA 1" "$(printf 'x%.0s' {1..65})"; do
	emit 'sa{sv}' "$id" 0
done
emit 'sa{sv}' "" 0
emit 's' TBA103
emit 'sa{sv}' TBA104 1 confidential s yes
emit 'sa{sv}' TBA105 1 latitude d 95
emit 'sa{sv}' TBA106 1 latitude d 47.6
emit 'sa{sv}' TBA107 1 camera s nosuchcamera
check "bad requests all give invalid-request" \
	wait_until 10 bash -c "[ \$($busmon $tmp/signals.json count PhotoSkipped 2=invalid-request) -ge 11 ]"
for id in TBA103 TBA104 TBA105 TBA106 TBA107; do
	$busmon "$tmp/signals.json" count PhotoSkipped 0=$id 2=invalid-request |
		grep -qx 1 || not_ok "invalid-request for $id"
done
check "an over-long id is not echoed back" \
	[ "$($busmon "$tmp/signals.json" count PhotoSkipped 0= 2=invalid-request)" -ge 2 ]
emit 'sa{sv}' TBA108 2 flavour s vanilla camera s doorbell
check "unknown detail keys are ignored" \
	$busmon "$tmp/signals.json" wait 10 PhotoSkipped 0=TBA108 2=camera-offline

# Trust: the daemon's own check, whatever the bus policy lets through (a
# sender that stays connected, like a courier app; see docs/dbus.md).
emit_as() {
	setpriv --reuid="$1" --regid="$2" --clear-groups \
		"$BUILD/tests/podcam-emit" "${@:3}"
}
emit_as nobody nogroup --linger 1 EVIL1 &
evil1=$!
emit_as nobody nogroup --linger --destination org.podcam1 1 EVIL2 &
evil2=$!
emit_as daemon daemon --linger 1 GOOD
wait $evil1 $evil2
check "a DeliveryUsers= user is trusted" \
	$busmon "$tmp/signals.json" wait 10 PhotoSkipped 0=GOOD-1
check "an untrusted sender's broadcast and direct signals cause nothing" \
	[ "$($busmon "$tmp/signals.json" count PhotoSkipped 0=EVIL1-1)$($busmon "$tmp/signals.json" count PhotoSkipped 0=EVIL2-1)" = 00 ]
check "and leave a log line" grep -q "Ignoring Delivered from" "$tmp/podcamd.log"

# --- methods ----------------------------------------------------------------
out=$(bus call org.podcam1 $cam org.podcam1.Camera Trigger 'sa{sv}' TBA200 0 2>&1)
check "Trigger() on an offline camera: CameraOffline" \
	grep -q "offline" <<< "$out"
out=$(bus call org.podcam1 $cam org.podcam1.Camera Trigger 'sa{sv}' TBA201 1 confidential b true 2>&1)
check "Trigger() confidential: PhotoNotAllowed" grep -qi "confidential" <<< "$out"
diag "$out"
out=$(bus call org.podcam1 $cam org.podcam1.Camera Trigger 'sa{sv}' ../x 0 2>&1)
check "Trigger() with a bad id: InvalidArgs" grep -qi "invalid" <<< "$out"
out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups \
	busctl --address="$DBUS_SYSTEM_BUS_ADDRESS" call org.podcam1 $cam \
	org.podcam1.Camera TestShot 2>&1)
check "TestShot() is refused to a non-technician" grep -qi "denied\|podcam-tech" <<< "$out"
out=$(bus call org.podcam1 $cam org.podcam1.Camera TestShot 2>&1)
check "TestShot() on an offline camera: CameraOffline" grep -qi "offline" <<< "$out"

skipped=$(prop $cam org.podcam1.Camera PhotosSkipped)
check "PhotosSkipped counts the skips" [ "${skipped#t }" -ge 15 ]
check "no photo was written" [ -z "$(ls -A "$tmp/spool/queue")" ]

# 1,000 signals in a burst: the daemon stays responsive.
rss0=$(awk '/VmRSS/ {print $2}' /proc/$podcamd_pid/status)
before=$($busmon "$tmp/signals.json" count PhotoSkipped 1=delivered)
"$BUILD/tests/podcam-emit" 1000 BURST
check "after a burst of 1,000 signals podcamd answers at once" \
	timeout 5 busctl --address="$DBUS_SYSTEM_BUS_ADDRESS" get-property \
	org.podcam1 $cam org.podcam1.Camera State
check "and every one was answered" \
	wait_until 30 bash -c "[ \$($busmon $tmp/signals.json count PhotoSkipped 1=delivered) -eq $((before + 1000)) ]"
rss1=$(awk '/VmRSS/ {print $2}' /proc/$podcamd_pid/status)
diag "VmRSS before the burst ${rss0} kB, after ${rss1} kB"
check "memory stays bounded" [ $((rss1 - rss0)) -lt 4096 ]

kill -TERM $podcamd_pid
check "SIGTERM stops podcamd cleanly" wait $podcamd_pid
tap_done

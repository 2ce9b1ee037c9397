#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The installed system in the VM (issue 5): udev, the units under systemd,
# the D-Bus policy, the upload to a local target, the watchdog, a reboot
# with photos pending, and the module going away and coming back. Runs
# twice: before and after a reboot (PODCAM_BOOT). Prints TAP.
set -u
cd "$PODCAM_SRC"
. tests/lib/tap.sh
busmon=tests/lib/busmon.py
state=/var/lib/podcam-testbed
target=/srv/podcam-target
spool=/var/lib/podcam/spool
cam=/org/podcam1/camera
device_id=vm-device
export SYSTEMD_COLORS=0

prop() { busctl get-property org.podcam1 "$cam/${1//-/_2d}" org.podcam1.Camera "$2" 2>/dev/null; }
state_is() { [ "$(prop "$1" State)" = "s \"$2\"" ]; }
both_streaming() { state_is doorbell streaming && state_is van-curb streaming; }
queued() { find $spool/queue -mindepth 1 -maxdepth 1 -type d | wc -l; }
trigger() {
	busctl call org.podcam1 "$cam/$1" org.podcam1.Camera Trigger 'sa{sv}' "$2" 0 |
		awk '{print $2}' | tr -d '"'
}
# on_target ID: the photo and its metadata arrived, with the right sha256.
on_target() {
	local d=$target/www/photos/$device_id
	[ -f "$d/$1.jpg" ] && [ -f "$d/$1.json" ] &&
		python3 -c "import hashlib,json,sys; m=json.load(open('$d/$1.json')); sys.exit(0 if m['sha256']==hashlib.sha256(open('$d/$1.jpg','rb').read()).hexdigest() else 1)"
}
show_journal() {
	journalctl -u podcamd -u podcam-upload --no-pager -o short-monotonic |
		tail -40 | sed 's/^/# /'
}
TAP_ON_BAIL=show_journal

if [ "$PODCAM_BOOT" -eq 1 ]; then
	# --- udev -------------------------------------------------------------
	check "udev links /dev/podcam/doorbell and van-curb" \
		test -c /dev/podcam/doorbell -a -c /dev/podcam/van-curb
	check "cameras: group podcam, mode 0660" \
		[ "$(stat -L -c '%G %a' /dev/podcam/doorbell /dev/podcam/van-curb | sort -u)" = "podcam 660" ]
	check "GPIO chips: group podcam, mode 0660" \
		[ "$(for c in /sys/bus/platform/devices/podcam.*/gpiochip*; do stat -c '%G %a' /dev/${c##*/}; done | sort -u)" = "podcam 660" ]

	# --- podcamd by itself ------------------------------------------------
	require "podcamd was started by the camera's appearance and is ready" \
		wait_until 60 systemctl is-active -q podcamd
	check "it was udev that wanted it" \
		bash -c "systemctl show -P WantedBy podcamd | grep -q 'dev-video\|sys-devices'"
	check "an unprivileged user can introspect it" \
		bash -c "runuser -u nobody -- busctl introspect org.podcam1 /org/podcam1 | grep -q SpoolPending"
	check "and read a camera's properties" \
		bash -c "runuser -u nobody -- busctl get-property org.podcam1 $cam/doorbell org.podcam1.Camera State | grep -q streaming"

	# --- no ACL for the logged-in user --------------------------------------
	# courier logs in on tty1 (seat0). loop0 is tagged uaccess here as a
	# control: logind does give it the session's ACL; the cameras must not.
	mkdir -p /run/systemd/system/getty@tty1.service.d /run/udev/rules.d
	printf '[Service]\nExecStart=\nExecStart=-/sbin/agetty --autologin courier --noclear %%I linux\n' \
		> /run/systemd/system/getty@tty1.service.d/autologin.conf
	echo 'KERNEL=="loop0", TAG+="uaccess"' > /run/udev/rules.d/70-podcam-test.rules
	udevadm control --reload
	systemctl daemon-reload
	systemctl restart getty@tty1
	modprobe loop
	udevadm trigger --settle /dev/loop0 /dev/video0 /dev/video1 2>/dev/null
	sid=
	wait_until 30 bash -c "loginctl list-sessions --no-legend | grep -q courier" &&
		sid=$(loginctl list-sessions --no-legend | awk '/courier/ {print $1; exit}')
	if [ -n "$sid" ] && [ "$(loginctl show-session "$sid" -P Active)" = yes ] &&
		[ "$(loginctl show-session "$sid" -P Seat)" = seat0 ]; then
		udevadm trigger --settle /dev/loop0 /dev/video0 /dev/video1
		diag "session $sid of courier, active on seat0"
		check "control: the active user gets uaccess ACLs here" \
			wait_until 10 bash -c "getfacl -p /dev/loop0 2>/dev/null | grep -q '^user:courier:'"
		check "but no ACL on the cameras (getfacl)" \
			bash -c "! getfacl -p /dev/video0 /dev/video1 | grep -q '^user:'"
		diag "$(getfacl -p /dev/video0 2>/dev/null | tr '\n' ' ')"
	else
		skip "no ACL on the cameras" "no active seat0 session could be made in this VM"
	fi
	systemctl stop getty@tty1

	# --- delivery to the upload target -------------------------------------
	usermod -aG podcam-delivery courier
	useradd -m mallory
	tests/lib/upload-target setup $target 8443 vm-token
	tests/lib/upload-target start $target
	install -m 0644 $target/pki/ca.pem /etc/podcam/upload-ca.pem
	install -m 0640 -g podcam /dev/null /etc/podcam/upload-token
	echo vm-token > /etc/podcam/upload-token
	cat > /etc/podcam/podcam.conf <<-EOF
	[podcamd]
	DeviceId=$device_id
	DeliveryUsers=courier

	[camera doorbell]
	Size=1280x720

	[camera van-curb]
	Size=1280x720

	[upload]
	Endpoint=https://localhost:8443/photos
	TokenFile=/etc/podcam/upload-token
	CAFile=/etc/podcam/upload-ca.pem
	RetryInitialMs=500
	RetryMaxSec=5
	RescanSec=5
	EOF
	systemctl restart podcamd podcam-upload
	require "podcam-upload runs" systemctl is-active -q podcam-upload
	require "both cameras stream" wait_until 30 both_streaming
	stdbuf -oL busctl monitor --json=short \
		--match="type='signal',sender='org.podcam1'" > /tmp/signals.json 2>/dev/null &
	monitor=$!
	sleep 1
	runuser -u courier -- busctl emit /com/example/courier org.podcam1.Delivery \
		Delivered 'sa{sv}' TBA5001 1 camera s doorbell
	id=$($busmon /tmp/signals.json wait 30 PhotoCaptured 1=TBA5001 |
		python3 -c 'import json,sys; print(json.load(sys.stdin)[0])')
	require "a podcam-delivery user's Delivered gives a photo" [ -n "$id" ]
	check "the photo reaches the upload target, sha256 intact" \
		wait_until 60 on_target "$id"
	check "and the spool empties" wait_until 30 [ "$(queued)" -eq 0 ]
	check "the uploader says so on the bus" \
		bash -c "busctl get-property org.podcam1.Uploader /org/podcam1/Uploader org.podcam1.Uploader LastUploadedId | grep -q $id"

	out=$(runuser -u mallory -- busctl emit /com/example/courier \
		org.podcam1.Delivery Delivered 'sa{sv}' EVIL5 0 2>&1)
	diag "mallory's emit: ${out:-no error reported to the sender}"
	sleep 3
	check "a user outside podcam-delivery cannot make a photo" \
		[ "$($busmon /tmp/signals.json count PhotoCaptured 1=EVIL5)$($busmon /tmp/signals.json count PhotoSkipped 0=EVIL5)" = 00 ]
	check "the bus refused it" \
		bash -c "journalctl -u dbus --no-pager | grep -q 'Rejected send message.*Delivered\|Rejected.*org.podcam1.Delivery'"
	kill $monitor

	check "the courier cannot list /var/lib/podcam" \
		bash -c "! runuser -u courier -- ls /var/lib/podcam"
	check "nor enter the spool" bash -c "! runuser -u courier -- ls $spool"
	check "nor open a camera" \
		bash -c "! runuser -u courier -- sh -c 'exec 3< /dev/podcam/doorbell'"

	# --- the watchdog -------------------------------------------------------
	systemctl stop podcam-upload
	ids=()
	for i in 1 2 3; do ids+=("$(trigger doorbell "TBA600$i")"); done
	check "three photos wait in the spool" [ "$(queued)" -eq 3 ]
	pid=$(systemctl show -P MainPID podcamd)
	wd=$(($(systemctl show -P WatchdogUSec podcamd) / 1000000))
	rs=$(($(systemctl show -P RestartUSec podcamd) / 1000000))
	kill -STOP "$pid"
	t0=$SECONDS
	wait_until $((wd + rs + 30)) bash -c \
		"[ \"\$(systemctl show -P MainPID podcamd)\" != $pid ] && systemctl is-active -q podcamd"
	dt=$((SECONDS - t0))
	diag "SIGSTOP to a new, ready podcamd: ${dt} s (WatchdogSec=${wd}s, RestartSec=${rs}s)"
	check "systemd restarts a stopped podcamd within WatchdogSec + RestartSec" \
		[ $dt -le $((wd + rs + 5)) ]
	check "no photo acknowledged before is lost" \
		bash -c "for i in ${ids[*]}; do test -f $spool/queue/\$i/photo.jpg -a -f $spool/queue/\$i/meta.json || exit 1; done"
	check "crash dumps are off (LimitCORE=0)" \
		[ "$(systemctl show -P LimitCORE podcamd)" = 0 ]
	wait_until 30 both_streaming

	# --- photos pending, target down, reboot --------------------------------
	tests/lib/upload-target stop $target
	systemctl start podcam-upload
	ids+=("$(trigger van_2dcurb TBA7001)")
	sleep 5
	check "with the target down the photos stay queued" [ "$(queued)" -eq 4 ]
	printf '%s\n' "${ids[@]}" > $state/pending
	sync
	diag "rebooting with 4 photos pending"
	exit 200
fi

# --- after the reboot -------------------------------------------------------
mapfile -t ids < $state/pending
require "podcamd is back after the reboot" wait_until 60 systemctl is-active -q podcamd
check "podcam-upload started at boot" wait_until 30 systemctl is-active -q podcam-upload
check "the 4 photos are still queued" [ "$(queued)" -eq 4 ]
tests/lib/upload-target start $target
for id in "${ids[@]}"; do
	wait_until 90 on_target "$id" || not_ok "photo $id uploaded after the reboot"
done
check "with the target up they are all uploaded" \
	bash -c "$(declare -f on_target); target=$target device_id=$device_id; for i in ${ids[*]}; do on_target \$i || exit 1; done"
check "and the spool is empty" wait_until 30 [ "$(queued)" -eq 0 ]

# --- the module goes and comes back -----------------------------------------
wait_until 30 both_streaming
pid=$(systemctl show -P MainPID podcamd)
echo podcam.0 > /sys/bus/platform/drivers/podcam/unbind
echo podcam.1 > /sys/bus/platform/drivers/podcam/unbind
check "unbound cameras are offline" \
	wait_until 20 bash -c "$(declare -f prop state_is); cam=$cam; state_is doorbell offline && state_is van-curb offline"
check "podcamd lets go of the devices: the module unloads" \
	wait_until 20 rmmod podcam
modprobe podcam devices=2 roles=doorbell,van-curb
check "reloaded, both cameras come back by themselves" wait_until 30 both_streaming
check "in the same podcamd" [ "$(systemctl show -P MainPID podcamd)" = "$pid" ]
check "and capture works" test -n "$(trigger doorbell TBA8001)"

systemctl stop podcamd
rmmod podcam
check "without the module no link is left" test ! -e /dev/podcam/doorbell
modprobe podcam devices=2 roles=doorbell,van-curb
check "loading the module starts the stopped service" \
	wait_until 60 systemctl is-active -q podcamd
check "which streams" wait_until 30 both_streaming

# --- the sandbox, seen from inside -----------------------------------------
# cg_open CGROUP PATH r|rw: open PATH as root from inside CGROUP, where its
# device filter applies.
cg_open() {
	bash -c 'echo $$ > "$0/cgroup.procs" && exec python3 -c "import os, sys; os.close(os.open(sys.argv[1], os.O_RDWR if sys.argv[2] == \"rw\" else os.O_RDONLY))" "$1" "$2"' "$1" "$2" "$3" 2>/dev/null
}
cgroup_of() { echo "/sys/fs/cgroup$(sed -n 's/^0:://p' "/proc/$1/cgroup")"; }
pid=$(systemctl show -P MainPID podcamd)
cg=$(cgroup_of "$pid")
check "in podcamd's cgroup even root cannot open /dev/vda" \
	bash -c "! $(declare -f cg_open); cg_open $cg /dev/vda r"
check "but the camera, read-write" cg_open "$cg" /dev/podcam/doorbell rw
check "and a GPIO chip" cg_open "$cg" "$(ls /dev/gpiochip* | tail -n 1)" rw
check "podcamd's network namespace has only lo" \
	[ "$(nsenter -t "$pid" -n ip -o link | awk '{print $2}' | tr -d '\n')" = "lo:" ]
check "podcamd has no capabilities" \
	[ "$(awk '/^CapEff|^CapBnd/ {print $2}' /proc/"$pid"/status | sort -u)" = 0000000000000000 ]
upid=$(systemctl show -P MainPID podcam-upload)
check "podcam-upload cannot open a camera" \
	bash -c "! $(declare -f cg_open); cg_open $(cgroup_of "$upid") /dev/podcam/doorbell rw"
kill -SEGV "$pid"
check "a crashed podcamd comes back (Restart=on-failure)" \
	wait_until 30 bash -c "[ \"\$(systemctl show -P MainPID podcamd)\" != $pid ] && systemctl is-active -q podcamd"
check "and leaves no core dump" \
	bash -c "! find / -xdev -name 'core*' -newer $state/pending -type f 2>/dev/null | grep -q ."
check "it streams again" wait_until 40 both_streaming

check "the kernel log is clean" \
	bash -c "! dmesg | grep -E 'WARNING|BUG|Oops|general protection|driver bug'"
tap_done

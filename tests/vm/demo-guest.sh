#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make demo, inside the VM: a courier marks a parcel delivered; podcamd
# takes the photo, podcam-upload delivers it to a local HTTPS target.
set -euo pipefail
cd "$PODCAM_SRC"
target=/srv/podcam-target
say() { printf '\n== %s\n' "$*"; }

say "cameras: $(ls /dev/podcam | tr '\n' ' ')"
tests/lib/upload-target setup $target 8443 demo-token
tests/lib/upload-target start $target
install -m 0644 $target/pki/ca.pem /etc/podcam/upload-ca.pem
install -m 0640 -g podcam /dev/null /etc/podcam/upload-token
echo demo-token > /etc/podcam/upload-token
usermod -aG podcam-delivery courier
cat > /etc/podcam/podcam.conf <<CONF
[podcamd]
DeviceId=demo-van-17
DeliveryUsers=courier

[camera doorbell]
Size=1920x1080

[camera van-curb]
Size=1920x1080
DeliveryCapture=no

[upload]
Endpoint=https://localhost:8443/photos
TokenFile=/etc/podcam/upload-token
CAFile=/etc/podcam/upload-ca.pem
CONF
systemctl restart podcamd podcam-upload
for i in $(seq 60); do
	busctl get-property org.podcam1 /org/podcam1/camera/doorbell \
		org.podcam1.Camera State 2>/dev/null | grep -q streaming && break
	sleep 0.5
done

say "the courier app (user courier) marks TBA123456789 delivered:"
echo "busctl emit -- /com/example/courier org.podcam1.Delivery Delivered 'sa{sv}' TBA123456789 3 latitude d 47.6062 longitude d -122.3321 accuracy_m d 5"
runuser -u courier -- busctl emit -- /com/example/courier org.podcam1.Delivery \
	Delivered 'sa{sv}' TBA123456789 3 latitude d 47.6062 \
	longitude d -122.3321 accuracy_m d 5

dir=$target/www/photos/demo-van-17
for i in $(seq 120); do
	ls $dir/*.json > /dev/null 2>&1 && break
	sleep 0.5
done
json=$(ls $dir/*.json)
id=$(basename "$json" .json)
for i in $(seq 20); do
	[ -z "$(ls -A /var/lib/podcam/spool/queue)" ] && break
	sleep 0.5
done
cp "$dir/$id.jpg" "$dir/$id.json" "$PODCAM_OUT/"

say "podcamd, camera doorbell:"
busctl get-property org.podcam1 /org/podcam1/camera/doorbell org.podcam1.Camera \
	State Format PhotosCaptured LastPhotoId LastSharpness LastTriggerLatencyUsec
say "podcam-upload:"
busctl get-property org.podcam1.Uploader /org/podcam1/Uploader org.podcam1.Uploader \
	Pending Uploaded LastUploadedId
say "spool after the upload: $(ls -A /var/lib/podcam/spool/queue | wc -l) photos left on the device"
say "the upload target received photos/demo-van-17/$id.jpg and .json:"
python3 -m json.tool "$dir/$id.json"

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Installs every Debian package that building and testing podcam needs, and
# s3rver from npm into build/node. Does nothing when all is there already.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
	# build
	build-essential pkg-config linux-headers-amd64 linux-source-6.1 dkms
	libsystemd-dev libturbojpeg0-dev libexif-dev libinih-dev libjson-c-dev
	libcurl4-openssl-dev libgpiod-dev libsodium-dev libcamera-dev
	# tests and the VM test bed
	qemu-system-x86 qemu-utils debootstrap e2fsprogs xz-utils cpio
	v4l-utils gpiod dbus nginx-light openssl curl python3
	valgrind clang libclang-rt-14-dev libimage-exiftool-perl nodejs
	libssl-dev	# podcam-upload's fault-injecting TLS test server
	groff-base man-db	# man page lint (tests/host/units.sh)
)

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "deps: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

if [ ! -x build/node/node_modules/.bin/s3rver ]; then
	echo "deps: installing s3rver from npm"
	mkdir -p build/node
	npm install --prefix build/node --no-audit --no-fund --loglevel=error \
		s3rver@3
fi

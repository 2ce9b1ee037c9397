#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make demo: boots the VM with podcam installed, fires a delivery with
# busctl and brings the photo the upload target received back to ./demo/.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf demo
mkdir -p demo
echo "demo: booting the VM (the first run builds its image: a few minutes)"
PODCAM_VM_OUT=$PWD/demo tests/vm/run tests/vm/demo-guest.sh
# The upload target kept them 0600; these copies are for a person to open.
chmod 0644 demo/*
echo
echo "demo: the uploaded photo and its metadata, in $PWD/demo:"
ls -l demo/

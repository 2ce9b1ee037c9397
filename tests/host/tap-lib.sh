#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# tests/lib/tap.sh itself: check's status and require's stop. Prints TAP.
set -u
cd "$(dirname "$0")/../.."
. tests/lib/tap.sh

out=$(bash -c '. tests/lib/tap.sh; check "x" false; echo "status $?"')
check "check returns non-zero when the command fails" grep -qx "status 1" <<< "$out"
out=$(bash -c '. tests/lib/tap.sh; check "x" true; echo "status $?"')
check "check returns zero when the command succeeds" grep -qx "status 0" <<< "$out"
out=$(bash -c '. tests/lib/tap.sh; bail() { echo bailed; }; TAP_ON_BAIL=bail
	require "x" false; echo reached')
status=$?
check "require stops the test when the command fails" \
	[ $status -eq 1 -a "${out%reached}" = "$out" ]
check "and runs TAP_ON_BAIL first" grep -qx bailed <<< "$out"
out=$(bash -c '. tests/lib/tap.sh; require "x" true; echo reached')
check "require goes on when the command succeeds" grep -qx reached <<< "$out"
tap_done

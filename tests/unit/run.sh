#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs every host unit test program (tests/unit/test-*.c, built by make).
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
status=0
for t in tests/unit/test-*.c; do
	bin=$BUILD/tests/$(basename "${t%.c}")
	if [ ! -x "$bin" ]; then
		echo "not ok - $(basename "$bin") was not built"
		status=1
		continue
	fi
	echo "# $bin"
	"$bin" || status=1
done
exit $status

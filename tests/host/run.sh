#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Host tests that need neither the VM nor a network: the spool crash test,
# podcamd on a private bus, and the installed system offline (units.sh).
# Prints TAP. SPOOL_CRASH_ROUNDS (200) and SPOOL_CRASH_SEED change the run;
# the spool goes below TMPDIR (default /var/tmp, a real disk file system).
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
bin=$BUILD/tests/spool-crash
if [ ! -x "$bin" ]; then
	echo "not ok - spool-crash was not built ($bin)"
	exit 1
fi
status=0
tests/host/tap-lib.sh || status=1
# shellcheck disable=SC2086
"$bin" "${SPOOL_CRASH_ROUNDS:-200}" ${SPOOL_CRASH_SEED:-} || status=1
tests/host/daemon.sh || status=1
tests/host/units.sh || status=1
exit $status

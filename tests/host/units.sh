#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The installed system, on the host and offline (docs/system.md): the man
# pages linted and installed. Prints TAP.
#
#	tests/host/units.sh [NAME...]	only the parts named (man)
set -u
cd "$(dirname "$0")/../.."
. tests/lib/tap.sh
BUILD=${BUILD:-build}
export SYSTEMD_COLORS=0 SYSTEMD_PAGER= SYSTEMD_LOG_LEVEL=warning

want() {
	local p
	for p in $parts; do [ "$p" = "$1" ] && return 0; done
	return 1
}
parts="$*"
if [ -z "$parts" ]; then
	parts="man"
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/podcam-units.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
root=$tmp/root
unitdir=$root/usr/lib/systemd/system
units=(podcamd.service podcam-upload.service)

require "make install-programs into a temporary root" \
	make -s BUILD="$BUILD" install-programs DESTDIR="$root"

# --- man pages --------------------------------------------------------------
if want man; then
	for m in man/*.[1-8]; do
		out=$(groff -man -ww -z "$m" 2>&1)
		[ -z "$out" ] || diag "$out"
		check "$m: groff -man -ww is silent" [ -z "$out" ]
		out=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 \
			"$m" 2>&1 > /dev/null)
		[ -z "$out" ] || diag "$out"
		check "$m: man --warnings is silent" [ -z "$out" ]
	done
	for p in podcamd.8 podcam-upload.8 podcam.conf.5 podcam.4; do
		s=${p##*.}
		check "$p is installed" test -f "$root/usr/share/man/man$s/$p"
	done
	# The lint does see a mistake.
	printf '.TH X 1\n.SH NAME\nx \\- y\n.BX bad\n' > "$tmp/bad.1"
	check "groff -ww and man --warnings report a bad macro" \
		bash -c "groff -man -ww -z '$tmp/bad.1' 2>&1 | grep -q warning &&
			man --warnings -l -Tutf8 '$tmp/bad.1' 2>&1 >/dev/null | grep -q warning"
fi

tap_done

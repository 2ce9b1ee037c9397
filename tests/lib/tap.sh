# SPDX-License-Identifier: GPL-2.0
# TAP helpers for podcam's shell tests (sourced).
#
#	check "name" command...		ok when the command succeeds (its
#					output is dropped: diag what matters)
#	require "name" command...	as check, but stops the test when it fails
#	ok "name" / not_ok "name" / skip "name" "why" / diag "text"
#	wait_until SECONDS command...	polls every 0.2 s
#	tap_done			exit status: 1 when anything failed
#	TAP_ON_BAIL=function		run before require stops the test

TAP_FAILED=0

ok() { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; TAP_FAILED=1; }
skip() { echo "ok - $1 # SKIP $2"; }
diag() { echo "# $*"; }

check() {
	local name=$1
	shift
	if "$@" > /dev/null; then ok "$name"; else not_ok "$name"; return 1; fi
}

require() {
	check "$@" && return 0
	echo "# stopping here: the rest depends on \"$1\""
	[ -z "${TAP_ON_BAIL:-}" ] || $TAP_ON_BAIL
	exit 1
}

wait_until() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@"; do
		[ $SECONDS -lt $deadline ] || return 1
		sleep 0.2
	done
}

tap_done() {
	exit $TAP_FAILED
}

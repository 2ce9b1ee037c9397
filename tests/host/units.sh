#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The installed system, on the host and offline (docs/system.md): the
# units' systemd-analyze security scores (podcamd at most 1.0, podcam-upload
# at most 2.0) and what the units must say, systemd-analyze verify, the
# preset, sysusers and tmpfiles applied to the install tree, the man pages
# linted, and podcam.ko built and installed by DKMS into temporary trees
# (never loaded). Prints TAP. Needs root for the parts that chown or that
# dkms does; they are skipped, saying so, without it.
#
#	tests/host/units.sh [NAME...]	only the parts named (security,
#					settings, verify, preset, users, man,
#					dkms)
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
	parts="security settings verify preset users man dkms"
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/podcam-units.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
root=$tmp/root
unitdir=$root/usr/lib/systemd/system
units=(podcamd.service podcam-upload.service)

require "make install-programs into a temporary root" \
	make -s BUILD="$BUILD" install-programs DESTDIR="$root"

# --- security: the exposure scores ------------------------------------------
# score UNIT: systemd-analyze's overall exposure, e.g. 0.4.
score() {
	systemd-analyze security --offline=yes "$unitdir/$1" 2>/dev/null |
		sed -n 's/^→ Overall exposure level for [^:]*: \([0-9.]*\) .*/\1/p'
}
at_most() { awk -v s="$1" -v m="$2" 'BEGIN { exit !(s != "" && s <= m) }'; }
if want security; then
	for u in podcamd.service:1.0 podcam-upload.service:2.0; do
		unit=${u%:*} max=${u#*:}
		s=$(score "$unit")
		diag "$unit: systemd-analyze security --offline=yes: ${s:-no score}"
		check "$unit: exposure ${s:-?} is at most $max" at_most "$s" "$max"
		systemd-analyze security --offline=yes "$unitdir/$unit" 2>/dev/null |
			grep '^✗' | sed 's/  */ /g; s/^/#   /'
	done
	# The check itself: a unit without the sandbox must fail it.
	sed '/^\[Service\]/q' "$unitdir/podcamd.service" > "$tmp/bare.service"
	echo "ExecStart=/usr/sbin/podcamd" >> "$tmp/bare.service"
	s=$(systemd-analyze security --offline=yes "$tmp/bare.service" 2>/dev/null |
		sed -n 's/^→ Overall exposure level for [^:]*: \([0-9.]*\) .*/\1/p')
	check "an unhardened unit scores above 2.0 ($s)" \
		bash -c "! awk -v s='$s' 'BEGIN { exit !(s != \"\" && s <= 2.0) }'"
fi

# --- settings the brief and SPEC ask for, beyond the score ------------------
# has UNIT KEY=VALUE: the unit sets it (as systemd reads it: last one wins).
has() {
	local key=${2%%=*}
	[ "$(sed -n "s/^$key=//p" "$unitdir/$1" | tail -n 1)" = "${2#*=}" ]
}
if want settings; then
	for unit in "${units[@]}"; do
		for kv in Type=notify User=podcam Group=podcam Restart=on-failure \
			LimitCORE=0 NoNewPrivileges=yes ProtectSystem=strict; do
			check "$unit: $kv" has "$unit" "$kv"
		done
		check "$unit: a watchdog" \
			bash -c "sed -n 's/^WatchdogSec=//p' '$unitdir/$unit' | grep -qx '[1-9][0-9]*s'"
	done
	for kv in PrivateNetwork=yes IPAddressDeny=any \
		RestrictAddressFamilies=AF_UNIX DevicePolicy=closed \
		StateDirectory=podcam; do
		check "podcamd.service: $kv" has podcamd.service "$kv"
	done
	check "podcamd.service: only V4L2, media and GPIO devices" \
		[ "$(sed -n 's/^DeviceAllow=//p' "$unitdir/podcamd.service" | sort | tr '\n' ' ')" = \
		"char-gpiochip rw char-media rw char-video4linux rw " ]
	for kv in PrivateDevices=yes ReadWritePaths=/var/lib/podcam/spool \
		"RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6"; do
		check "podcam-upload.service: $kv" has podcam-upload.service "$kv"
	done
fi

# --- systemd-analyze verify -------------------------------------------------
# Offline against the install tree, with the host's own units beside ours
# (dbus.socket, the targets) and our man pages for Documentation=.
if want verify; then
	cp -an /lib/systemd/system/. "$unitdir/" 2>/dev/null
	out=$(MANPATH=$root/usr/share/man \
		systemd-analyze verify --root="$root" "${units[@]}" 2>&1)
	status=$?
	[ -z "$out" ] || diag "$out"
	check "systemd-analyze verify: both units, silent" \
		[ $status -eq 0 -a -z "$out" ]
	# And it does complain about a broken unit.
	sed 's/^Type=notify/Type=notifyy/' "$unitdir/podcamd.service" \
		> "$unitdir/podcam-broken.service"
	check "systemd-analyze verify finds a bad Type=" \
		bash -c "MANPATH='$root/usr/share/man' systemd-analyze verify --root='$root' podcam-broken.service 2>&1 | grep -q 'Failed to parse service type'"
	rm -f "$unitdir/podcam-broken.service"
fi

# --- the preset: both enabled -----------------------------------------------
if want preset; then
	check "systemctl preset runs on the install tree" \
		systemctl --root="$root" preset "${units[@]}"
	for unit in "${units[@]}"; do
		check "$unit is enabled by the preset" \
			test -L "$root/etc/systemd/system/multi-user.target.wants/$unit"
	done
fi

# --- sysusers and tmpfiles: the users and the spool's modes -----------------
if want users; then
	if [ "$(id -u)" -ne 0 ]; then
		skip "sysusers and tmpfiles on the install tree" "needs root (chown)"
	else
		mkdir -p "$root/etc"
		touch "$root/etc/passwd" "$root/etc/group"
		check "systemd-sysusers creates the users and groups" \
			systemd-sysusers --root="$root"
		for g in podcam podcam-delivery podcam-tech; do
			check "group $g exists" grep -q "^$g:" "$root/etc/group"
		done
		check "user podcam exists, without a login shell" \
			bash -c "grep '^podcam:' '$root/etc/passwd' | grep -q ':/usr/sbin/nologin$'"
		uid=$(sed -n 's/^podcam:[^:]*:\([0-9]*\):.*/\1/p' "$root/etc/passwd")
		tech=$(sed -n 's/^podcam-tech:[^:]*:\([0-9]*\):.*/\1/p' "$root/etc/group")
		check "systemd-tmpfiles creates the state directories" \
			systemd-tmpfiles --root="$root" --create podcam.conf
		v=$root/var/lib/podcam
		check "/var/lib/podcam 0711 podcam, spool 0700 podcam, testshots 2750 podcam:podcam-tech" \
			[ "$(stat -c '%a %u' "$v" "$v/spool"; stat -c '%a %u %g' "$v/testshots")" = \
			"$(printf '711 %s\n700 %s\n2750 %s %s' "$uid" "$uid" "$uid" "$tech")" ]
	fi
fi

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

# --- DKMS -------------------------------------------------------------------
# dkms add/build/install into temporary trees, against the headers the
# Makefile builds with. Nothing is loaded and the host's /lib/modules and
# /var/lib/dkms are untouched: --no-depmod, temporary signing key.
if want dkms; then
	kver=$(ls -1d /usr/src/linux-headers-*-amd64 2>/dev/null |
		sed 's|.*/linux-headers-||' | sort -V | tail -n 1)
	version=$(sed -n 's/^VERSION := //p' Makefile)
	if [ "$(id -u)" -ne 0 ]; then
		skip "dkms add, build, install" "dkms needs root"
	elif ! command -v dkms > /dev/null || [ -z "$kver" ]; then
		skip "dkms add, build, install" "no dkms or no linux-headers-*-amd64 (make deps)"
	else
		d=$tmp/dkms
		mkdir -p "$d/tree" "$d/install/$kver"
		require "make install-dkms puts the source into /usr/src/podcam-$version/" \
			make -s install-dkms DESTDIR="$d/root"
		src=$d/root/usr/src
		check "dkms.conf has PACKAGE_VERSION=\"$version\"" \
			grep -qx "PACKAGE_VERSION=\"$version\"" "$src/podcam-$version/dkms.conf"
		check "no build output in the source" \
			bash -c "! ls '$src/podcam-$version/kmod' | grep -v '^podcam[-a-z]*\.[ch]$' | grep -vx Kbuild"
		opts=(--dkmstree "$d/tree" --sourcetree "$src" --installtree "$d/install"
			-k "$kver" --kernelsourcedir "/usr/src/linux-headers-$kver"
			--no-depmod)
		export mok_signing_key=$d/mok.key mok_certificate=$d/mok.pub
		dk() {
			dkms "$1" podcam/"$version" "${opts[@]}" > "$d/$1.log" 2>&1 ||
				{ tail -n 30 "$d/$1.log" | sed 's/^/#   /'
				  find "$d/tree" -name make.log -exec tail -n 20 {} \; |
					sed 's/^/#   /'
				  return 1; }
		}
		require "dkms add" dk add
		require "dkms build for $kver" dk build
		ko=$(find "$d/tree/podcam/$version/$kver" -name 'podcam.ko*' | head -n 1)
		check "the built module is for $kver" \
			bash -c "modinfo -F vermagic '$ko' | grep -q '^$kver '"
		diag "signed by: $(modinfo -F signer "$ko" 2>/dev/null)"
		check "dkms install" dk install
		inst=$(find "$d/install/$kver" -name 'podcam.ko*' | head -n 1)
		diag "installed: ${inst#$d/install/}"
		check "the module is in the install tree under updates/dkms" \
			bash -c "[[ '$inst' == '$d/install/$kver/updates/dkms/podcam.ko'* ]]"
		check "dkms status says installed" \
			bash -c "dkms status podcam/$version ${opts[*]} 2>/dev/null | grep -q 'installed'"
		check "dkms remove" dk remove
		check "and the module is gone again" \
			bash -c "! find '$d/install/$kver' -name 'podcam.ko*' | grep -q ."
		unset mok_signing_key mok_certificate
	fi
fi
tap_done

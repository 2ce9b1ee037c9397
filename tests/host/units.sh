#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The installed system, on the host and offline (docs/system.md): the man
# pages linted and installed, and podcam.ko built and installed by DKMS
# into temporary trees (never loaded). Prints TAP. Needs root for dkms;
# that part is skipped, saying so, without it.
#
#	tests/host/units.sh [NAME...]	only the parts named (man, dkms)
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
	parts="man dkms"
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

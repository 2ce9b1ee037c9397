#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# checkpatch.pl --strict on every file of the kernel module: one TAP line
# per file, checkpatch's findings as "#" comments under a failing one.
# checkpatch.pl, spelling.txt and const_structs.checkpatch come from
# Debian's linux-source-6.1 tarball, extracted once into $BUILD/checkpatch.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
TARBALL=${TARBALL:-/usr/src/linux-source-6.1.tar.xz}
dir=$BUILD/checkpatch
members=(scripts/checkpatch.pl scripts/spelling.txt
	scripts/const_structs.checkpatch)

extract() {
	local tmp

	[ -r "$TARBALL" ] || {
		echo "not ok - checkpatch: $TARBALL missing (tests/deps.sh installs linux-source-6.1)"
		return 1
	}
	tmp=$(mktemp -d "$BUILD/checkpatch.XXXXXX") || return 1
	if ! tar -xJf "$TARBALL" -C "$tmp" --strip-components=1 \
		--occurrence=1 "${members[@]/#/linux-source-6.1/}"; then
		rm -rf "$tmp"
		echo "not ok - checkpatch: cannot extract checkpatch.pl from $TARBALL"
		return 1
	fi
	rm -rf "$dir"
	mv "$tmp" "$dir"
}

mkdir -p "$BUILD"
if [ ! -f "$dir/scripts/checkpatch.pl" ] ||
	[ ! -f "$dir/scripts/spelling.txt" ] ||
	[ ! -f "$dir/scripts/const_structs.checkpatch" ]; then
	extract || exit 1
fi

if git rev-parse --git-dir >/dev/null 2>&1; then
	mapfile -t files < <(git ls-files --cached --others --exclude-standard kmod)
else
	mapfile -t files < <(find kmod -type f \( -name '*.[ch]' -o -name Kbuild \) | sort)
fi
if [ ${#files[@]} -eq 0 ]; then
	echo "not ok - checkpatch: no files under kmod/"
	exit 1
fi

status=0
for f in "${files[@]}"; do
	[ -f "$f" ] || continue
	if out=$(perl "$dir/scripts/checkpatch.pl" --no-tree --strict \
		--color=never -f "$f" 2>&1); then
		echo "ok - checkpatch $f"
	else
		echo "not ok - checkpatch $f"
		sed 's/^/# /' <<<"$out"
		status=1
	fi
done
exit $status

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Throughput of podcam-upload against a local nginx (WebDAV PUT over TLS),
# side by side with curl doing the same PUTs (JPEG then JSON, same headers)
# over one connection. Not part of make check.
#
#   tests/bench/upload-bench.sh [PHOTOS [SIZE [ROUNDS]]]   default 1000 300000 3
#
# Each round commits PHOTOS photos of SIZE bytes with spool-put, times one
# curl process PUTting all of them (from a copy), then times podcam-upload
# (Concurrency=1 and =2) from its start until queue/ is empty, which
# includes what curl does not do: verifying the sha256, the bus, and the
# fsynced removal of every photo. Prints photos per second and the ratio.
set -u
cd "$(dirname "$0")/../.."
# shellcheck source=tests/upload/lib.sh
. tests/upload/lib.sh
trap cleanup EXIT

N=${1:-1000}
SIZE=${2:-300000}
ROUNDS=${3:-3}

now() { date +%s%N; }
calc() { awk "BEGIN { printf \"%.3f\", $1 }"; }

# curl_config DIR PREFIX: one curl config that PUTs every photo of the
# spool copy DIR, .jpg then .json, as the uploader would.
curl_config() {
	local dir=$1 prefix=$2 id jsha msha
	for d in "$dir"/queue/*/; do
		id=$(basename "$d")
		jsha=$(sha256sum <"$d/photo.jpg" | cut -d' ' -f1)
		msha=$(sha256sum <"$d/meta.json" | cut -d' ' -f1)
		for f in "photo.jpg jpg $jsha image/jpeg" \
			"meta.json json $msha application/json"; do
			set -- $f
			cat <<EOF
url = "https://localhost:$NGINX_PORT/$prefix/dev-1/$id.$2"
upload-file = "$d$1"
cacert = "$T/pki/ca.pem"
output = "/dev/null"
silent
show-error
fail
header = "Expect:"
header = "If-None-Match: *"
header = "Content-Type: $4"
header = "X-Podcam-Sha256: $3"
header = "Authorization: Bearer $TOKEN"
next
EOF
		done
	done
}

# time_uploader CONCURRENCY: seconds until queue/ is empty.
time_uploader() {
	local c=$1 t0 t1
	write_config "$T/bench.conf" Endpoint="https://localhost:$NGINX_PORT/up$c" \
		Concurrency="$c"
	t0=$(now)
	"$UPLOADER" --config "$T/bench.conf" >>"$T/uploader.log" 2>&1 &
	local pid=$!
	track $pid
	while [ -n "$(ls -A "$SPOOL/queue")" ]; do
		sleep 0.02
	done
	t1=$(now)
	kill $pid
	wait $pid 2>/dev/null
	calc "($t1 - $t0) / 1000000000"
}

make_certs || exit 1
echo "$TOKEN" >"$T/token"
start_bus || exit 1
start_nginx || exit 1

echo "# $N photos of $SIZE bytes, $ROUNDS rounds, nginx on loopback, $(nproc) cores"
printf '%-6s %10s %10s %10s %8s %8s\n' round curl/s up1/s up2/s up1/curl up2/curl
for ((r = 1; r <= ROUNDS; r++)); do
	declare -A secs=()
	for c in 1 2; do
		new_spool
		"$SPOOL_PUT" "$SPOOL" "$N" "$SIZE" >/dev/null || exit 1
		if [ $c -eq 1 ]; then
			rm -rf "$T/copy"
			cp -a "$SPOOL" "$T/copy"
			# The last "next" would open an empty group.
			curl_config "$T/copy" "curl$r" | sed '$d' >"$T/curl.conf"
			sync
			t0=$(now)
			curl -K "$T/curl.conf" || { echo "curl failed"; exit 1; }
			t1=$(now)
			secs[curl]=$(calc "($t1 - $t0) / 1000000000")
		fi
		sync
		secs[up$c]=$(time_uploader $c)
	done
	printf '%-6s %10.1f %10.1f %10.1f %8.2f %8.2f\n' "$r" \
		"$(calc "$N / ${secs[curl]}")" "$(calc "$N / ${secs[up1]}")" \
		"$(calc "$N / ${secs[up2]}")" \
		"$(calc "${secs[curl]} / ${secs[up1]}")" \
		"$(calc "${secs[curl]} / ${secs[up2]}")"
done
echo "# curl: one process, one connection, $((2 * N)) PUTs; upN: podcam-upload with Concurrency=N"
echo "# ratio > 1: podcam-upload faster than curl"

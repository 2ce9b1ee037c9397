# SPDX-License-Identifier: GPL-2.0
# Helpers for podcam-upload's tests and benchmark, sourced by
# tests/upload/run.sh and tests/bench/upload-bench.sh. Everything lives under
# $T (a temp dir) and on loopback ports; every process started here is
# recorded in $T/pids and stopped by cleanup (by pid).

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
UPLOADER=$BUILD/podcam-upload
SPOOL_PUT=$BUILD/tests/spool-put
FAULT_SERVER=$BUILD/tests/fault-server
S3RVER=$ROOT/build/node/node_modules/.bin/s3rver

T=$(mktemp -d /tmp/podcam-upload-test.XXXXXX)
: >"$T/pids"
: >"$T/test-pids"

cleanup() {
	local pid
	while read -r pid; do
		kill "$pid" 2>/dev/null
	done <"$T/pids"
	sleep 0.2
	while read -r pid; do
		kill -9 "$pid" 2>/dev/null
	done <"$T/pids"
	[ -n "${KEEP_TMP:-}" ] || rm -rf "$T"
}

# Every process started is stopped at the end; those of one test (listed
# in $T/test-pids) also when that test ends.
track() {
	echo "$1" >>"$T/pids"
	echo "$1" >>"$T/test-pids"
}

stop_test_processes() {
	local pid
	[ -f "$T/test-pids" ] || return 0
	while read -r pid; do
		kill "$pid" 2>/dev/null
	done <"$T/test-pids"
	: >"$T/test-pids"
}

# A free loopback TCP port (the kernel's pick; free again when we return).
free_port() {
	python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_for SECONDS COMMAND...: polls COMMAND every 50 ms until it succeeds.
wait_for() {
	local deadline=$(($(date +%s%N) + $1 * 1000000000))
	shift
	while ! "$@" 2>/dev/null; do
		[ "$(date +%s%N)" -lt $deadline ] || return 1
		sleep 0.05
	done
}

# --- certificates ------------------------------------------------------

# make_certs: a CA, a server certificate for localhost, 127.0.0.1 and
# *.s3.localhost, one for the wrong name, an expired one, one from a second
# CA, and a client certificate. All in $T/pki.
make_certs() {
	local p=$T/pki
	mkdir -p "$p"
	(
		cd "$p" || exit 1
		q() { "$@" >/dev/null 2>&1 || { echo "# failed: $*"; exit 1; }; }
		q openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
			-nodes -keyout ca.key -out ca.pem -days 2 \
			-subj "/CN=podcam test CA"
		q openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
			-nodes -keyout other-ca.key -out other-ca.pem -days 2 \
			-subj "/CN=some other CA"
		leaf() { # NAME CA SAN DAYS [EKU]
			q openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
				-nodes -keyout "$1.key" -out "$1.csr" -subj "/CN=$1"
			printf 'subjectAltName=%s\nextendedKeyUsage=%s\n' \
				"$3" "${5:-serverAuth}" >"$1.ext"
			q openssl x509 -req -in "$1.csr" -CA "$2.pem" \
				-CAkey "$2.key" -CAcreateserial -days "$4" \
				-extfile "$1.ext" -out "$1.pem"
		}
		local good="DNS:localhost,IP:127.0.0.1,DNS:s3.localhost,DNS:*.s3.localhost"
		leaf server ca "$good" 2
		leaf wronghost ca "DNS:wrong.example" 2
		leaf otherca other-ca "$good" 2
		leaf client ca "DNS:podcam-client" 2 clientAuth
		# Expired: valid from the epoch of a faked clock to the past.
		q openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
			-nodes -keyout expired.key -out expired.csr -subj "/CN=expired"
		printf 'subjectAltName=%s\n' "$good" >expired.ext
		q openssl x509 -req -in expired.csr -CA ca.pem -CAkey ca.key \
			-CAcreateserial -days -1 -extfile expired.ext \
			-out expired.pem
	)
}

# --- nginx (WebDAV PUT over TLS) ---------------------------------------

TOKEN=podcam-test-token

# bad_cert_server PORT CERT: an nginx server block with $T/pki/CERT.pem.
bad_cert_server() {
	cat <<EOF
	server {
		listen 127.0.0.1:$1 ssl;
		ssl_certificate $T/pki/$2.pem;
		ssl_certificate_key $T/pki/$2.key;
		location / { dav_methods PUT; create_full_put_path on; }
	}
EOF
}

# start_nginx: ports in NGINX_PORT (token), NGINX_CLIENT_PORT (client
# certificate required), NGINX_WRONGHOST_PORT, NGINX_EXPIRED_PORT,
# NGINX_OTHERCA_PORT, NGINX_REDIRECT_PORT (301 to plain http). Files land
# in $T/www.
start_nginx() {
	local n=$T/nginx p=$T/pki
	mkdir -p "$n/tmp" "$T/www"
	NGINX_PORT=$(free_port)
	NGINX_CLIENT_PORT=$(free_port)
	NGINX_WRONGHOST_PORT=$(free_port)
	NGINX_EXPIRED_PORT=$(free_port)
	NGINX_OTHERCA_PORT=$(free_port)
	NGINX_REDIRECT_PORT=$(free_port)
	local user=""
	[ "$(id -u)" -eq 0 ] && user="user root root;"
	cat >"$n/nginx.conf" <<EOF
$user
daemon off;
worker_processes 1;
pid $n/nginx.pid;
error_log $n/error.log warn;
events { worker_connections 512; }
http {
	log_format podcam '\$msec \$request_time \$request \$status conn=\$connection '
		'req=\$connection_requests';
	access_log $n/access.log podcam;
	client_body_temp_path $n/tmp/body;
	proxy_temp_path $n/tmp/proxy;
	fastcgi_temp_path $n/tmp/fastcgi;
	uwsgi_temp_path $n/tmp/uwsgi;
	scgi_temp_path $n/tmp/scgi;
	client_max_body_size 64m;
	keepalive_requests 100000;
	root $T/www;
	ssl_certificate $p/server.pem;
	ssl_certificate_key $p/server.key;
	server {
		listen 127.0.0.1:$NGINX_PORT ssl;
		location / {
			if (\$http_authorization != "Bearer $TOKEN") {
				return 401 "bearer token required\n";
			}
			dav_methods PUT;
			create_full_put_path on;
		}
	}
	server {
		listen 127.0.0.1:$NGINX_CLIENT_PORT ssl;
		ssl_client_certificate $p/ca.pem;
		ssl_verify_client on;
		location / { dav_methods PUT; create_full_put_path on; }
	}
$(bad_cert_server "$NGINX_WRONGHOST_PORT" wronghost)
$(bad_cert_server "$NGINX_EXPIRED_PORT" expired)
$(bad_cert_server "$NGINX_OTHERCA_PORT" otherca)
	server {
		listen 127.0.0.1:$NGINX_REDIRECT_PORT ssl;
		location / {
			return 301 http://127.0.0.1:$NGINX_PORT\$request_uri;
		}
	}
}
EOF
	nginx -e "$n/error.log" -p "$n" -c "$n/nginx.conf" \
		>"$n/stdout" 2>&1 &
	track $!
	wait_for 10 test -s "$n/nginx.pid" || return 1
	wait_for 10 curl -s -o /dev/null --cacert "$T/pki/ca.pem" \
		"https://localhost:$NGINX_PORT/"
}

# --- s3rver (S3 with SigV4, over TLS) ----------------------------------

S3_KEY=S3RVER
S3_SECRET=S3RVER
S3_BUCKET=photos

# start_s3rver: S3_PORT; objects land in $T/s3/photos/...
start_s3rver() {
	[ -x "$S3RVER" ] || return 1
	mkdir -p "$T/s3"
	"$S3RVER" -d "$T/s3" -a 127.0.0.1 -p 0 \
		--key "$T/pki/server.key" --cert "$T/pki/server.pem" \
		--service-endpoint localhost --configure-bucket "$S3_BUCKET" \
		>"$T/s3rver.log" 2>&1 &
	track $!
	wait_for 30 grep -q "listening on" "$T/s3rver.log" || return 1
	S3_PORT=$(sed -n 's/.*listening on .*:\([0-9]*\).*/\1/p' "$T/s3rver.log")
	[ -n "$S3_PORT" ]
}

# The sha256 of an object s3rver stores, or nothing.
s3_object_sha() {
	local f=$T/s3/$S3_BUCKET/$1._S3rver_object
	[ -f "$f" ] && sha256sum "$f" | cut -d' ' -f1
}

# --- the fault server --------------------------------------------------

# start_fault NAME SCRIPT [DEFAULT]: FAULT_PORT; log in $T/NAME.log, stored
# bodies in $T/NAME.store; FAULT_ARGS are passed on.
start_fault() {
	local name=$1
	mkdir -p "$T/$name.store"
	rm -f "$T/$name.port"
	"$FAULT_SERVER" --cert "$T/pki/server.pem" --key "$T/pki/server.key" \
		--port-file "$T/$name.port" --log "$T/$name.log" \
		--store "$T/$name.store" --script "$2" --default "${3:-201}" \
		${FAULT_ARGS:-} \
		>"$T/$name.stdout" 2>&1 &
	track $!
	FAULT_PID=$!
	wait_for 10 test -s "$T/$name.port" || return 1
	FAULT_PORT=$(cat "$T/$name.port")
}

# --- a private system bus ----------------------------------------------

start_bus() {
	BUS_ADDRESS=unix:path=$T/bus
	dbus-daemon --config-file="$ROOT/tests/lib/bus.conf" \
		--address="$BUS_ADDRESS" --nofork --nopidfile \
		>"$T/dbus.log" 2>&1 &
	track $!
	export DBUS_SYSTEM_BUS_ADDRESS=$BUS_ADDRESS
	wait_for 10 test -S "$T/bus"
}

bus() { busctl --address="$BUS_ADDRESS" "$@"; }

# prop NAME: the value of an org.podcam1.Uploader property, unquoted.
prop() {
	bus get-property org.podcam1.Uploader /org/podcam1/Uploader \
		org.podcam1.Uploader "$1" 2>/dev/null |
		sed -e 's/^[a-z] //' -e 's/^"\(.*\)"$/\1/'
}

prop_is() { [ "$(prop "$1")" = "$2" ]; }

# --- the uploader ------------------------------------------------------

# write_config FILE KEY=VALUE...: an [upload] section for the spool $T/spool
# (keys given replace the defaults below).
write_config() {
	local f=$1 k
	shift
	declare -A kv=(
		[Mode]=http
		[Endpoint]="https://localhost:${NGINX_PORT:-1}/photos"
		[TokenFile]=$T/token
		[CAFile]=$T/pki/ca.pem
		[Concurrency]=2
		[ConnectTimeoutSec]=5
		[StallTimeoutSec]=2
		[RetryInitialMs]=200
		[RetryMaxSec]=5
		[RescanSec]=3600
	)
	for a in "$@"; do
		kv[${a%%=*}]=${a#*=}
	done
	{
		printf '[podcamd]\nSpoolDir=%s\nDeviceId=dev-1\n\n[upload]\n' \
			"$SPOOL"
		for k in Mode Endpoint TokenFile ClientCertificate ClientKey \
			CAFile Bucket Region CredentialsFile PathStyle \
			Concurrency ConnectTimeoutSec StallTimeoutSec \
			RetryInitialMs RetryMaxSec RescanSec; do
			[ -n "${kv[$k]:-}" ] && printf '%s=%s\n' "$k" "${kv[$k]}"
		done
	} >"$f"
}

# start_uploader CONFIG LOG: UPLOADER_PID; waits until the bus name is up.
start_uploader() {
	"$UPLOADER" --config "$1" >>"$2" 2>&1 &
	UPLOADER_PID=$!
	track $UPLOADER_PID
	wait_for 10 bus status org.podcam1.Uploader >/dev/null
}

stop_uploader() {
	kill "$UPLOADER_PID" 2>/dev/null
	wait "$UPLOADER_PID" 2>/dev/null
}

# new_spool: a fresh, empty spool in SPOOL.
new_spool() {
	SPOOL=$(mktemp -d "$T/spool.XXXXXX")
}

# put_photos N SIZE [ARGS]: commits N photos; their ids go to $T/ids.
put_photos() {
	"$SPOOL_PUT" "$SPOOL" "$@" | tee -a "$T/ids"
}

queued() { find "$SPOOL/queue" -mindepth 1 -maxdepth 1 | wc -l; }

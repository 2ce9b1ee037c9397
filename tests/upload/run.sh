#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# podcam-upload against real servers on loopback, started here: nginx
# (WebDAV PUT over TLS, certificates made now), s3rver (S3, SigV4, TLS),
# the project's fault-injecting server and a private dbus-daemon. Runs the
# real binary and checks through busctl and the servers' files. Prints TAP.
#
#   tests/upload/run.sh [TEST...]     every test, or only those named
set -u
cd "$(dirname "$0")/../.."
# shellcheck source=tests/upload/lib.sh
. tests/upload/lib.sh
trap cleanup EXIT

CHECK=tests/upload/spool-check.py
SIGKILL_RUNS=${SIGKILL_RUNS:-100}

diag() { sed 's/^/# /'; }

# run_test NAME: runs t_NAME, TAP line from its status (77: skipped).
run_test() {
	local name=$1 status
	if [ ${#SELECTED[@]} -gt 0 ] && [[ " ${SELECTED[*]} " != *" $name "* ]]; then
		return
	fi
	LOG=$T/$name.uploader.log
	: >"$LOG"
	: >"$T/test-pids"
	# A subshell: a test ends with exit; what it started is stopped here.
	(
		SKIP_REASON=""
		"t_$name"
	) >"$T/$name.out" 2>&1
	status=$?
	stop_test_processes
	diag <"$T/$name.out"
	if [ $status -eq 77 ]; then
		echo "ok - $name # SKIP $(sed -n 's/^SKIP: //p' "$T/$name.out")"
	elif [ $status -eq 0 ]; then
		echo "ok - $name"
	else
		echo "# uploader log (last lines):"
		tail -n 15 "$LOG" | diag
		echo "not ok - $name"
	fi
}

skip() { echo "SKIP: $1"; exit 77; }
fail() { echo "$*"; exit 1; }

# put N SIZE [ARGS]: photos into $SPOOL, their sha256 recorded in
# $T/manifest; ids in $T/last-ids.
put() {
	"$SPOOL_PUT" "$SPOOL" "$@" --manifest "$T/manifest" >"$T/last-ids" ||
		fail "spool-put failed"
}

flush() {
	busctl --address="$BUS_ADDRESS" --timeout="$1" call \
		org.podcam1.Uploader /org/podcam1/Uploader org.podcam1.Uploader \
		Flush
}

fresh() {
	new_spool
	: >"$T/manifest"
}

# --- configuration -----------------------------------------------------

t_check_config() {
	fresh
	write_config "$T/good.conf"
	"$UPLOADER" --check-config "$T/good.conf" ||
		fail "a good file was refused"
	printf '[upload]\nMode=http\nEndpoint=https://x.example\nBogus=1\n' \
		>"$T/bad.conf"
	"$UPLOADER" --check-config "$T/bad.conf" 2>"$T/err" &&
		fail "an unknown key passed"
	grep -q "bad.conf:4:" "$T/err" || fail "no line number: $(cat "$T/err")"
	printf '[upload]\nEndpoint=https//no-scheme\n' >"$T/bad2.conf"
	"$UPLOADER" --check-config "$T/bad2.conf" 2>"$T/err" &&
		fail "a malformed endpoint passed"
	grep -q "bad2.conf:2:" "$T/err" || fail "no line number: $(cat "$T/err")"
	write_config "$T/http.conf" Endpoint=http://localhost:1/photos
	"$UPLOADER" --check-config "$T/http.conf" 2>"$T/err" &&
		fail "a plain http endpoint passed"
	grep -q "https" "$T/err" || fail "unclear: $(cat "$T/err")"
	cat "$T/err"
}

# READY=1 (with STATUS) once the bus name is taken, watchdog pings.
t_sd_notify() {
	fresh
	put 1 2000
	write_config "$T/c.conf" Endpoint="https://localhost:$NGINX_PORT/n"
	python3 - "$T/notify" "$UPLOADER" "$T/c.conf" "$BUS_ADDRESS" \
		<<'EOF' >>"$LOG" 2>&1
import os, socket, subprocess, sys, time
path, uploader, conf, bus = sys.argv[1:5]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
s.settimeout(0.1)
env = dict(os.environ, NOTIFY_SOCKET=path, WATCHDOG_USEC='200000')
p = subprocess.Popen([uploader, '--config', conf], env=env)
msgs, owned, t0 = [], None, time.time()
while time.time() - t0 < 1.5:
    try:
        m = s.recv(4096).decode()
    except socket.timeout:
        continue
    if 'READY=1' in m and owned is None:
        # The name must be on the bus by the time READY=1 is sent.
        owned = subprocess.run(['busctl', '--address=' + bus, 'status',
                                'org.podcam1.Uploader'],
                               capture_output=True).returncode == 0
    msgs.append(m)
p.terminate()
p.wait()
ready = [m for m in msgs if 'READY=1' in m]
dogs = sum(m.count('WATCHDOG=1') for m in msgs)
print('notify: %r, bus name owned at READY: %s, watchdog pings in 1.5 s: %d'
      % (ready[:1], owned, dogs))
sys.exit(0 if ready and 'pending' in ready[0] and owned and dogs >= 3 else 1)
EOF
	local r=$?
	grep "^notify:" "$LOG"
	[ $r -eq 0 ] || fail "no READY=1 with STATUS, or no watchdog pings"
}

# --- HTTP mode against nginx --------------------------------------------

t_http_nginx() {
	local ids
	fresh
	put 5 20000
	ids=$(cat "$T/last-ids")
	write_config "$T/c.conf" Endpoint="https://localhost:$NGINX_PORT/h1" \
		Concurrency=1
	bus monitor --match "type='signal',member='PhotoUploaded'" \
		--match "type='signal',member='PropertiesChanged',path='/org/podcam1/Uploader'" \
		>"$T/signals" 2>&1 &
	track $!
	local mon=$!
	sleep 0.3
	start_uploader "$T/c.conf" "$LOG" || fail "uploader did not start"
	wait_for 15 prop_is Uploaded 5 || fail "Uploaded=$(prop Uploaded)"
	prop_is Pending 0 || fail "Pending=$(prop Pending)"
	[ "$(prop LastUploadedId)" = "$(tail -n 1 <<<"$ids")" ] ||
		fail "LastUploadedId=$(prop LastUploadedId)"
	python3 "$CHECK" check "$SPOOL" "$T/www/h1/dev-1" "$T/manifest" \
		--final || fail "server and spool disagree"
	[ -z "$(ls -A "$SPOOL/trash")" ] || fail "trash/ not empty"
	# Oldest first: the JPEG PUTs reached nginx in id order.
	grep -o 'PUT /h1/dev-1/[0-9a-f]*\.jpg' "$T/nginx/access.log" |
		sed 's|.*/||; s|\.jpg||' >"$T/order"
	diff -u <(sort <<<"$ids") "$T/order" || fail "not oldest first"
	# One connection for all ten PUTs (the multi handle keeps it).
	[ "$(grep 'PUT /h1/' "$T/nginx/access.log" |
		grep -o 'conn=[0-9]*' | sort -u | wc -l)" -eq 1 ] ||
		fail "connections not reused"
	# The bearer token went along (nginx refuses without it).
	wait_for 5 test "$(grep -c 'Member=PhotoUploaded' "$T/signals")" -eq 5 ||
		fail "$(grep -c 'Member=PhotoUploaded' "$T/signals") signals"
	grep -q "https://localhost:$NGINX_PORT/h1/dev-1/$(head -n 1 <<<"$ids").jpg" \
		"$T/signals" || fail "PhotoUploaded location is not the .jpg URL"
	grep -A 12 'Member=PropertiesChanged' "$T/signals" |
		grep -q 'STRING "Uploaded"' || fail "no PropertiesChanged for Uploaded"
	kill $mon

	# inotify alone (RescanSec=3600) picks up newly committed photos.
	put 3 20000
	wait_for 10 prop_is Uploaded 8 ||
		fail "new photos not picked up: Uploaded=$(prop Uploaded)"
	python3 "$CHECK" check "$SPOOL" "$T/www/h1/dev-1" "$T/manifest" \
		--final || fail "server and spool disagree"
}

t_client_certificate() {
	fresh
	put 2 5000
	write_config "$T/c.conf" \
		Endpoint="https://localhost:$NGINX_CLIENT_PORT/cc" TokenFile= \
		ClientCertificate="$T/pki/client.pem" \
		ClientKey="$T/pki/client.key"
	start_uploader "$T/c.conf" "$LOG" || fail "uploader did not start"
	wait_for 10 prop_is Uploaded 2 || fail "Uploaded=$(prop Uploaded)"
	python3 "$CHECK" check "$SPOOL" "$T/www/cc/dev-1" "$T/manifest" --final
}

# --- S3 mode against s3rver ---------------------------------------------

s3_config() {
	write_config "$1" Mode=s3 TokenFile= Bucket=$S3_BUCKET \
		Region=us-east-1 CredentialsFile="$T/s3-credentials" "${@:2}"
}

s3_check_objects() {
	local id jsha
	while read -r id jsha; do
		[ "$(s3_object_sha "dev-1/$id.jpg")" = "$jsha" ] ||
			fail "$id.jpg missing or wrong in the bucket"
		grep -q "\"sha256\": *\"$jsha\"" \
			"$T/s3/$S3_BUCKET/dev-1/$id.json._S3rver_object" ||
			fail "$id.json missing or wrong in the bucket"
		[ ! -e "$SPOOL/queue/$id" ] || fail "$id still queued"
	done <"$T/manifest"
}

# s3_case ENDPOINT PATHSTYLE HOST: 3 photos into the bucket, the objects'
# URLs naming HOST.
s3_case() {
	[ -n "${S3_PORT:-}" ] || skip "s3rver is not installed (tests/deps.sh)"
	fresh
	put 3 20000
	s3_config "$T/c.conf" Endpoint="$1" PathStyle="$2"
	start_uploader "$T/c.conf" "$LOG" || fail "uploader did not start"
	wait_for 15 prop_is Uploaded 3 || fail "Uploaded=$(prop Uploaded)"
	grep -q "Uploaded .* to https://$3:$S3_PORT/" "$LOG" ||
		fail "objects not addressed at $3"
	s3_check_objects
}

t_s3_path_style() { s3_case "https://localhost:$S3_PORT" yes localhost; }

# photos.s3.localhost: libcurl resolves *.localhost to loopback itself.
t_s3_virtual_host() {
	s3_case "https://s3.localhost:$S3_PORT" no photos.s3.localhost
}

# s3rver 3 checks the form of a SigV4 request and the key id, not the
# signature itself: an unknown key id gets its 403.
t_s3_unknown_key_quarantines() {
	[ -n "${S3_PORT:-}" ] || skip "s3rver is not installed (tests/deps.sh)"
	fresh
	put 1 2000
	printf 'AccessKeyId=nobody\nSecretAccessKey=%s\n' "$S3_SECRET" \
		>"$T/bad-credentials"
	s3_config "$T/c.conf" Endpoint="https://localhost:$S3_PORT" \
		CredentialsFile="$T/bad-credentials"
	start_uploader "$T/c.conf" "$LOG" || fail "uploader did not start"
	wait_for 10 prop_is Quarantined 1 || fail "not quarantined"
	local id
	id=$(cat "$T/last-ids")
	grep -q "status: 403" "$SPOOL/quarantine/$id/reason" ||
		fail "reason: $(cat "$SPOOL/quarantine/$id/reason")"
	[ -f "$SPOOL/quarantine/$id/photo.jpg" ] || fail "photo.jpg lost"
	cat "$SPOOL/quarantine/$id/reason"
}

t_s3_missing_credentials() {
	[ -n "${S3_PORT:-}" ] || skip "s3rver is not installed (tests/deps.sh)"
	fresh
	put 2 2000
	s3_config "$T/c.conf" Endpoint="https://localhost:$S3_PORT" \
		CredentialsFile="$T/no-such-credentials"
	start_uploader "$T/c.conf" "$LOG" || fail "uploader did not start"
	wait_for 10 eval '[[ "$(prop LastError)" == *"Cannot read credentials file"* ]]' ||
		fail "LastError=$(prop LastError)"
	prop_is Pending 2 || fail "Pending=$(prop Pending)"
	[ "$(queued)" -eq 2 ] || fail "photos left the queue"
	grep -q "no-such-credentials" "$LOG" || fail "nothing in the log"
	printf 'AccessKeyId=%s\nSecretAccessKey=%s\n' "$S3_KEY" "$S3_SECRET" \
		>"$T/no-such-credentials"
	flush 20 || fail "Flush() failed"
	wait_for 10 prop_is Uploaded 2 || fail "Uploaded=$(prop Uploaded)"
	s3_check_objects
	rm -f "$T/no-such-credentials"
}

# s3rver checks no signature: the fault server keeps every request's head
# and sigv4-check.py recomputes the signatures with the secret.
t_s3_sigv4_signature() {
	fresh
	put 2 5000
	# Over 1 MB libcurl adds its own Expect: 100-continue (unsigned).
	put 1 2000000
	mkdir -p "$T/heads"
	FAULT_ARGS="--dump $T/heads" start_fault sigv4 "" 200 ||
		fail "fault server did not start"
	s3_config "$T/c.conf" Endpoint="https://localhost:$FAULT_PORT" \
		PathStyle=yes Region=eu-central-1
	start_uploader "$T/c.conf" "$LOG" || fail "uploader did not start"
	wait_for 10 prop_is Uploaded 3 || fail "Uploaded=$(prop Uploaded)"
	python3 tests/upload/sigv4-check.py "$T/heads" "$T/sigv4.log" \
		"$S3_KEY" "$S3_SECRET" eu-central-1 || fail "bad SigV4"
	# The check can fail: with another secret it must.
	python3 tests/upload/sigv4-check.py "$T/heads" "$T/sigv4.log" \
		"$S3_KEY" not-the-secret eu-central-1 >/dev/null &&
		fail "sigv4-check.py accepts a wrong secret"
	head -n 1 "$T/heads/"* | grep -m 1 -o 'PUT [^ ]*'
}

# --- the fault server: retries, backoff, quarantine, 412 -----------------

t_faults_retry_quarantine_412() {
	fresh
	put 3 300000
	local p1 p2 p3
	p1=$(sed -n 1p "$T/last-ids") p2=$(sed -n 2p "$T/last-ids")
	p3=$(sed -n 3p "$T/last-ids")
	start_fault faults "500,503:1,429,reset,stall,201,201,403,412,412" ||
		fail "fault server did not start"
	write_config "$T/c.conf" Endpoint="https://localhost:$FAULT_PORT/f" \
		Concurrency=1 RetryInitialMs=200 RetryMaxSec=5 StallTimeoutSec=2
	start_uploader "$T/c.conf" "$LOG" || fail "uploader did not start"
	wait_for 40 prop_is Uploaded 2 || fail "Uploaded=$(prop Uploaded)"
	wait_for 5 prop_is Quarantined 1 || fail "Quarantined=$(prop Quarantined)"
	prop_is Failed 6 || fail "Failed=$(prop Failed)"
	prop_is Pending 0 || fail "Pending=$(prop Pending)"

	# P1 arrived after five failures, P3 counted as done on 412.
	[ "$(sha256sum <"$T/faults.store/f_dev-1_$p1.jpg" | cut -d' ' -f1)" = \
		"$(awk -v i="$p1" '$1 == i { print $2 }' "$T/manifest")" ] ||
		fail "P1 on the server is wrong"
	[ ! -e "$SPOOL/queue/$p3" ] && [ ! -e "$SPOOL/quarantine/$p3" ] ||
		fail "412 did not count as done"
	# P2 refused with 403: quarantined with the reason, nothing deleted.
	grep -q "status: 403" "$SPOOL/quarantine/$p2/reason" &&
		grep -q "response: fault-server says 403" \
			"$SPOOL/quarantine/$p2/reason" &&
		grep -q "^time: 20" "$SPOOL/quarantine/$p2/reason" ||
		fail "reason: $(cat "$SPOOL/quarantine/$p2/reason")"
	[ -f "$SPOOL/quarantine/$p2/photo.jpg" ] &&
		[ -f "$SPOOL/quarantine/$p2/meta.json" ] || fail "P2's files lost"

	# The delays: each gap between a failed request's end and the next
	# request at the server is within the full-jitter bound (200 ms
	# doubling, 5 s cap) of its failure number, at least the delay the
	# uploader chose, and at least Retry-After for the 503.
	grep -o 'retry in [0-9]* ms' "$LOG" | awk '{ print $3 }' >"$T/chosen"
	[ "$(wc -l <"$T/chosen")" -eq 5 ] || fail "$(wc -l <"$T/chosen") retries logged"
	python3 - "$T/faults.log" "$T/chosen" <<'EOF' || exit 1
import sys
reqs = [l.split() for l in open(sys.argv[1])]
chosen = [int(x) / 1000 for x in open(sys.argv[2])]
actions = [r[2] for r in reqs]
want = ['500', '503:1', '429', 'reset', 'stall', '201', '201', '403', '412', '412']
if actions != want:
    print('requests: %s' % actions); sys.exit(1)
ok = True
for k in range(5):
    if actions[k] == 'stall':
        # The server cannot see a stalled client leave (its FIN waits
        # behind unread data): measure from the stall's start, which
        # adds StallTimeoutSec=2.
        gap = (int(reqs[k + 1][0]) - int(reqs[k][0])) / 1e6 - 2.0
    else:
        gap = (int(reqs[k + 1][0]) - int(reqs[k][1])) / 1e6
    ceiling = min(5.0, 0.2 * 2 ** k)
    low = 1.0 if actions[k] == '503:1' else 0.0
    high = max(low, ceiling)
    # libcurl calls the stall check about once a second: up to 1 s late.
    late = 1.3 if actions[k] == 'stall' else 0.3
    good = (low <= chosen[k] <= high + 0.001 and
            gap >= chosen[k] - 0.01 and gap <= chosen[k] + late)
    ok = ok and good
    print('failure %d (%s): chose %.3f s, bound [%.1f, %.1f] s, '
          'measured gap %.3f s %s' % (k + 1, actions[k], chosen[k], low, high,
                                      gap, 'ok' if good else 'OUT OF BOUNDS'))
for r in reqs:
    if r[3] != 'PUT' or r[7] != 'Bearer':
        print('bad request: %s' % r); ok = False
    if r[2] not in ('reset', 'stall') and r[5] != r[6]:
        print('X-Podcam-Sha256 %s is not the body sha256 %s' % (r[5], r[6]))
        ok = False
sys.exit(0 if ok else 1)
EOF
}

t_retry_after_and_flush() {
	fresh
	put 1 2000
	# 503 with Retry-After: 30 holds the photo back; Flush() overrides it.
	start_fault flush "503:30" || fail "fault server did not start"
	write_config "$T/c.conf" Endpoint="https://localhost:$FAULT_PORT/f" \
		RetryMaxSec=60
	start_uploader "$T/c.conf" "$LOG" || fail "uploader did not start"
	wait_for 10 prop_is Failed 1 || fail "Failed=$(prop Failed)"
	sleep 1
	prop_is Uploaded 0 || fail "Retry-After not honoured"
	grep -q "retry in 30000 ms" "$LOG" || fail "delay is not Retry-After"
	local t0 t1
	t0=$(date +%s%N)
	flush 10 || fail "Flush() failed"
	t1=$(date +%s%N)
	echo "Flush() returned after $(((t1 - t0) / 1000000)) ms"
	prop_is Uploaded 1 || fail "Flush() replied before the attempt"
	# Nothing pending: Flush() replies at once.
	flush 5 || fail "empty Flush() failed"
}

# Who may Flush() is the D-Bus policy's call (here: everyone), not sd-bus's.
t_flush_unprivileged_caller() {
	[ "$(id -u)" -eq 0 ] || skip "needs root to call as another user"
	command -v setpriv >/dev/null || skip "setpriv (util-linux) missing"
	fresh
	write_config "$T/c.conf" Endpoint="https://localhost:$NGINX_PORT/u"
	start_uploader "$T/c.conf" "$LOG" || fail "uploader did not start"
	chmod 0711 "$T"	# nobody reaches the bus socket, nothing else
	setpriv --reuid=65534 --regid=65534 --clear-groups \
		busctl --address="$BUS_ADDRESS" --timeout=5 call \
		org.podcam1.Uploader /org/podcam1/Uploader \
		org.podcam1.Uploader Flush 2>"$T/err"
	local r=$?
	chmod 0700 "$T"
	[ $r -eq 0 ] || fail "Flush() as nobody: $(cat "$T/err")"
}

# --- TLS and redirects: nothing leaves, the photos stay ------------------

tls_case() { # PORT EXPECTED-IN-LASTERROR
	fresh
	put 2 2000
	write_config "$T/c.conf" Endpoint="https://localhost:$1/tls"
	start_uploader "$T/c.conf" "$LOG" || fail "uploader did not start"
	wait_for 10 eval '[ -n "$(prop LastError)" ]' || fail "no LastError"
	sleep 0.5
	echo "LastError: $(prop LastError)"
	[[ "$(prop LastError)" == *"$2"* ]] || fail "LastError lacks '$2'"
	prop_is Uploaded 0 || fail "Uploaded=$(prop Uploaded)"
	prop_is Pending 2 || fail "Pending=$(prop Pending)"
	[ "$(queued)" -eq 2 ] || fail "photos left the queue"
	[ ! -e "$T/www/tls" ] || fail "something reached the server"
	python3 "$CHECK" check "$SPOOL" "$T/www/tls/dev-1" "$T/manifest"
}

t_tls_wrong_ca() { tls_case "$NGINX_OTHERCA_PORT" "unable to get local issuer"; }
t_tls_wrong_hostname() { tls_case "$NGINX_WRONGHOST_PORT" "subject name"; }
t_tls_expired() { tls_case "$NGINX_EXPIRED_PORT" "certificate has expired"; }
t_redirect_to_http() { tls_case "$NGINX_REDIRECT_PORT" "redirected (301) to http://"; }

# --- bad input ------------------------------------------------------------

t_missing_token_file() {
	fresh
	put 2 2000
	write_config "$T/c.conf" Endpoint="https://localhost:$NGINX_PORT/tok" \
		TokenFile="$T/token-later"
	rm -f "$T/token-later"
	start_uploader "$T/c.conf" "$LOG" || fail "uploader did not start"
	wait_for 10 eval '[[ "$(prop LastError)" == *"Cannot read token file"* ]]' ||
		fail "LastError=$(prop LastError)"
	echo "LastError: $(prop LastError)"
	grep -q "token-later" "$LOG" || fail "nothing in the log"
	prop_is Pending 2 || fail "Pending=$(prop Pending)"
	[ "$(queued)" -eq 2 ] || fail "photos left the queue"
	# Fixed without a restart.
	echo "$TOKEN" >"$T/token-later"
	flush 20 || fail "Flush() failed"
	wait_for 10 prop_is Uploaded 2 || fail "Uploaded=$(prop Uploaded)"
	prop_is LastError "" ||
		fail "LastError not cleared: $(prop LastError)"
}

t_sha256_mismatch_quarantined() {
	fresh
	put 1 5000 --bad-sha256
	local bad
	bad=$(cat "$T/last-ids")
	: >"$T/manifest"
	put 1 5000
	write_config "$T/c.conf" Endpoint="https://localhost:$NGINX_PORT/sha"
	start_uploader "$T/c.conf" "$LOG" || fail "uploader did not start"
	wait_for 10 prop_is Uploaded 1 || fail "Uploaded=$(prop Uploaded)"
	prop_is Quarantined 1 || fail "Quarantined=$(prop Quarantined)"
	grep -q "does not match its sha256" "$SPOOL/quarantine/$bad/reason" ||
		fail "reason: $(cat "$SPOOL/quarantine/$bad/reason")"
	[ -f "$SPOOL/quarantine/$bad/photo.jpg" ] || fail "photo.jpg lost"
	[ ! -e "$T/www/sha/dev-1/$bad.jpg" ] || fail "a damaged photo was sent"
	grep "$bad" "$LOG" | grep -q "quarantine" || fail "not in the log"
	# The good one still went, and LastError told about the bad one
	# until then (cleared by the success) - the log keeps it.
	python3 "$CHECK" check "$SPOOL" "$T/www/sha/dev-1" "$T/manifest" --final
}

t_quarantine_failure_backs_off() {
	fresh
	put 1 2000 --bad-sha256
	local id i
	id=$(cat "$T/last-ids")
	# Every name quarantine/ could take is taken: the move fails.
	mkdir -p "$SPOOL/quarantine/$id"
	for ((i = 1; i <= 99; i++)); do mkdir "$SPOOL/quarantine/$id.$i"; done
	write_config "$T/c.conf" Endpoint="https://localhost:$NGINX_PORT/qf" \
		RetryInitialMs=200 RetryMaxSec=5
	start_uploader "$T/c.conf" "$LOG" || fail "uploader did not start"
	sleep 2
	local failed
	failed=$(prop Failed)
	echo "Failed=$failed after 2 s; LastError: $(prop LastError)"
	[ "$failed" -ge 1 ] && [ "$failed" -le 12 ] ||
		fail "no backoff when the quarantine move fails"
	[[ "$(prop LastError)" == *"quarantine"* ]] || fail "LastError unclear"
	[ -f "$SPOOL/queue/$id/photo.jpg" ] || fail "the photo left the queue"
}

t_http_endpoint_refused_at_run_time() {
	fresh
	put 2 2000
	write_config "$T/c.conf" Endpoint="http://localhost:$NGINX_PORT/plain"
	start_uploader "$T/c.conf" "$LOG" || fail "uploader did not start"
	[[ "$(prop LastError)" == *"only https"* ]] ||
		fail "LastError=$(prop LastError)"
	prop_is Pending 2 || fail "Pending=$(prop Pending)"
	flush 5 2>"$T/err" && fail "Flush() worked"
	grep -q "https" "$T/err" || fail "Flush() error: $(cat "$T/err")"
	sleep 0.5
	[ "$(queued)" -eq 2 ] || fail "photos left the queue"
	grep -q "Not uploading" "$LOG" || fail "nothing in the log"
}

# --- restarts and crashes --------------------------------------------------

t_restart_resumes() {
	fresh
	put 3 5000
	start_fault down "" 503 || fail "fault server did not start"
	write_config "$T/c.conf" Endpoint="https://localhost:$FAULT_PORT/d"
	start_uploader "$T/c.conf" "$LOG" || fail "uploader did not start"
	wait_for 10 eval '[ "$(prop Failed)" != 0 ]' || fail "no attempt"
	stop_uploader
	[ "$(queued)" -eq 3 ] || fail "photos left the queue while failing"
	# A confirmed photo whose removal a crash interrupted, in trash/.
	put 1 5000
	mv "$SPOOL/queue/$(cat "$T/last-ids")" "$SPOOL/trash/"
	write_config "$T/c.conf" Endpoint="https://localhost:$NGINX_PORT/r"
	start_uploader "$T/c.conf" "$LOG" || fail "uploader did not restart"
	wait_for 10 prop_is Uploaded 3 || fail "Uploaded=$(prop Uploaded)"
	[ -z "$(ls -A "$SPOOL/trash")" ] || fail "trash/ not emptied at start"
	[ "$(queued)" -eq 0 ] || fail "queue not empty"
}

t_sigkill_100() {
	fresh
	put 20 30000
	write_config "$T/c.conf" Endpoint="https://localhost:$NGINX_PORT/k" \
		Concurrency=2
	local i pid ms q0 q1 bad=0 before=0 midway=0 after=0 window
	# How long one round takes here (start to empty queue), so that the
	# kills spread over it however fast this build and machine are.
	put 16 30000
	local t0
	t0=$(date +%s%N)
	"$UPLOADER" --config "$T/c.conf" >>"$LOG" 2>&1 &
	pid=$!
	while [ -n "$(ls -A "$SPOOL/queue")" ]; do
		[ $(($(date +%s%N) - t0)) -lt 30000000000 ] ||
			fail "calibration round did not finish"
		sleep 0.005
	done
	window=$((($(date +%s%N) - t0) / 1000000))
	kill $pid
	wait $pid 2>/dev/null
	echo "one round of 16 photos takes $window ms: kills within half of it"
	for ((i = 1; i <= SIGKILL_RUNS; i++)); do
		put 16 30000
		q0=$(queued)
		"$UPLOADER" --config "$T/c.conf" >>"$LOG" 2>&1 &
		pid=$!
		ms=$((RANDOM % (window / 2 + 1)))
		sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
		kill -9 $pid 2>/dev/null
		wait $pid 2>/dev/null
		q1=$(queued)
		if [ "$q1" -eq "$q0" ]; then
			before=$((before + 1))
		elif [ "$q1" -gt 0 ]; then
			midway=$((midway + 1))
		else
			after=$((after + 1))
		fi
		python3 "$CHECK" check "$SPOOL" "$T/www/k/dev-1" \
			"$T/manifest" || { echo "after kill $i at ${ms} ms"; bad=1; break; }
	done
	echo "$SIGKILL_RUNS SIGKILLs: $before before any photo was done," \
		"$midway with photos done and photos left, $after after the" \
		"queue was empty; $(queued) photos still queued"
	[ $bad -eq 0 ] || fail "a kill lost or removed a photo too early"
	[ $midway -ge $((SIGKILL_RUNS / 10)) ] ||
		fail "too few kills in the middle of the uploads"
	start_uploader "$T/c.conf" "$LOG" || fail "uploader did not start"
	wait_for 60 eval '[ "$(queued)" -eq 0 ]' || fail "queue not drained"
	python3 "$CHECK" check "$SPOOL" "$T/www/k/dev-1" "$T/manifest" --final ||
		fail "final state wrong"
	echo "all $(wc -l <"$T/manifest") photos on the server exactly once with the right sha256"
}

# --- main -----------------------------------------------------------------

SELECTED=("$@")
for b in "$UPLOADER" "$SPOOL_PUT" "$FAULT_SERVER"; do
	if [ ! -x "$b" ]; then
		echo "not ok - $(basename "$b") was not built (make programs tests)"
		exit 1
	fi
done
for c in nginx dbus-daemon busctl openssl python3; do
	if ! command -v $c >/dev/null; then
		echo "not ok - $c is missing (tests/deps.sh)"
		exit 1
	fi
done

echo "# setting up in $T"
make_certs || { echo "not ok - certificates"; exit 1; }
echo "$TOKEN" >"$T/token"
printf 'AccessKeyId=%s\nSecretAccessKey=%s\n' "$S3_KEY" "$S3_SECRET" \
	>"$T/s3-credentials"
start_bus || { echo "not ok - private dbus-daemon"; exit 1; }
start_nginx || { echo "not ok - nginx"; diag <"$T/nginx/error.log"; exit 1; }
S3_PORT=""
start_s3rver || { echo "# s3rver did not start"; S3_PORT=""; }

run_test check_config
run_test sd_notify
run_test http_nginx
run_test client_certificate
run_test s3_path_style
run_test s3_virtual_host
run_test s3_unknown_key_quarantines
run_test s3_missing_credentials
run_test s3_sigv4_signature
run_test faults_retry_quarantine_412
run_test retry_after_and_flush
run_test flush_unprivileged_caller
run_test tls_wrong_ca
run_test tls_wrong_hostname
run_test tls_expired
run_test redirect_to_http
run_test missing_token_file
run_test sha256_mismatch_quarantined
run_test quarantine_failure_backs_off
run_test http_endpoint_refused_at_run_time
run_test restart_resumes
run_test sigkill_100

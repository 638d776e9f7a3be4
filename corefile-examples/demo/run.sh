#!/usr/bin/env bash
# The local demo, run by `make run` (after `make build`): coredns-gslb on
# 127.0.0.1:1053 fed by gslb-syncer from members.yaml, in a private temporary
# directory (GSLB_DEMO_DIR: the gRPC socket, the persisted table, the logs).
# Ctrl-C stops both and removes the directory.
#
# Needs bash and the two binaries only; dig and curl are used when present.
# GSLB_BIN overrides the directory of the binaries (default: <repo>/bin).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=${GSLB_BIN:-$root/bin}
coredns=$bin/coredns-gslb
syncer=$bin/gslb-syncer
corefile=$here/Corefile
members=$here/members.yaml

# The demo Corefile's fixed addresses.
dns_port=1053
ready_url=http://127.0.0.1:8181/ready
start_timeout=30 # seconds

say() { printf 'run.sh: %s\n' "$*" >&2; }

for b in "$coredns" "$syncer"; do
	if [[ ! -x $b ]]; then
		say "$b not found: run 'make build' first (or set GSLB_BIN)"
		exit 1
	fi
done

# A unix socket path is limited to 107 bytes: fall back to /tmp when TMPDIR
# is deep.
tmp=${TMPDIR:-/tmp}
((${#tmp} <= 60)) || tmp=/tmp
GSLB_DEMO_DIR=$(mktemp -d "$tmp/gslb-demo.XXXXXX")
export GSLB_DEMO_DIR
coredns_log=$GSLB_DEMO_DIR/coredns.log
syncer_log=$GSLB_DEMO_DIR/syncer.log

coredns_pid=
syncer_pid=

# stop PID NAME: SIGTERM, and SIGKILL if it is still there after 10 s.
# (bash reaps its children as they exit, so kill -0 fails once one is gone.)
stop() {
	local pid=$1 name=$2 rc=0 i
	[[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 0
	kill -TERM "$pid" 2>/dev/null || return 0
	for ((i = 0; i < 100; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		say "$name (pid $pid) did not stop within 10 s of SIGTERM: killing it"
		kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$pid" 2>/dev/null || rc=$?
	if ((rc != 0 && rc != 143)); then
		say "$name exited with status $rc while stopping; its log ends with:"
		tail -n 20 "$GSLB_DEMO_DIR/$name.log" >&2 || true
	fi
}

cleanup() {
	# A second Ctrl-C must not leave the children behind.
	trap '' INT TERM
	trap - EXIT
	# The syncer first, so that it does not complain about a vanished server.
	stop "$syncer_pid" syncer
	stop "$coredns_pid" coredns
	rm -rf "$GSLB_DEMO_DIR"
}
trap cleanup EXIT
trap 'echo >&2; say "stopping"; cleanup; exit 0' INT TERM

# fail NAME: report that NAME exited, show its log, and exit non-zero.
fail() {
	local name=$1 log=$GSLB_DEMO_DIR/$1.log
	say "$name exited early; its log ($log):"
	sed 's/^/    /' "$log" >&2 || true
	cleanup
	exit 1
}

# ready: /ready answers 200. curl if present, else plain bash (/dev/tcp).
ready() {
	if command -v curl >/dev/null 2>&1; then
		curl -fsS -o /dev/null --max-time 1 "$ready_url" 2>/dev/null
		return
	fi
	(
		exec 3<>/dev/tcp/127.0.0.1/8181
		printf 'GET /ready HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
		IFS= read -r -t 2 status <&3
		[[ $status == HTTP/1.?" 200"* ]]
	) 2>/dev/null
}

# The children get their own process groups (set -m), so that Ctrl-C reaches
# this script only, which then stops them in order.
set -m
"$coredns" -conf "$corefile" >"$coredns_log" 2>&1 &
coredns_pid=$!
"$syncer" --source "file:$members" --push "unix://$GSLB_DEMO_DIR/gslb.sock" >"$syncer_log" 2>&1 &
syncer_pid=$!
set +m

# Ready means a table is loaded, so hello answers. The persisted table in our
# private directory proves that the answering server is ours, not another
# demo's on the same fixed ports.
deadline=$((SECONDS + start_timeout))
until ready && [[ -s $GSLB_DEMO_DIR/table.pb ]]; do
	kill -0 "$coredns_pid" 2>/dev/null || fail coredns
	kill -0 "$syncer_pid" 2>/dev/null || fail syncer
	if ((SECONDS >= deadline)); then
		say "no table served after ${start_timeout}s; the logs:"
		for n in coredns syncer; do
			say "--- $n"
			sed 's/^/    /' "$GSLB_DEMO_DIR/$n.log" >&2 || true
		done
		exit 1
	fi
	sleep 0.2
done
kill -0 "$coredns_pid" 2>/dev/null || fail coredns

dig_hint=
if command -v dig >/dev/null 2>&1; then
	first=$(dig @127.0.0.1 -p "$dns_port" hello.avi.iberia.local +short +time=2 +tries=1 2>/dev/null || true)
	printf 'hello.avi.iberia.local answers %s\n' "${first:-(no answer?)}"
else
	dig_hint=' (dig not found: apt-get install bind9-dnsutils)'
fi

cat <<EOF

The gslb demo is running: coredns-gslb (pid $coredns_pid) on 127.0.0.1:$dns_port, UDP and TCP,
fed by gslb-syncer (pid $syncer_pid) from $members.

Try$dig_hint:
  dig @127.0.0.1 -p $dns_port hello.avi.iberia.local +short   # one of 127.0.0.11, .12, .13
  for i in \$(seq 12); do dig @127.0.0.1 -p $dns_port hello.avi.iberia.local +short; done | sort | uniq -c
                                                         # the split follows the weights: 6, 4 and 2
  dig @127.0.0.1 -p $dns_port avi.iberia.local SOA            # NOERROR, aa, the SOA
  dig @127.0.0.1 -p $dns_port hello.avi.iberia.local AAAA     # NOERROR, no answer, the SOA in authority
  dig @127.0.0.1 -p $dns_port test.avi.iberia.local +short    # 192.0.2.20, a static record
  dig @127.0.0.1 -p $dns_port nothere.avi.iberia.local        # NXDOMAIN
  curl -s 127.0.0.1:9153/metrics | grep gslb             # answers per member, pushes, queries
  curl -s $ready_url                    # 200 once a table is loaded

Edit the weights in $members
(e.g. 6:3:1, or 20:20:1 for a canary) and save: the answers follow within a second.
Logs: $coredns_log and $syncer_log
Press Ctrl-C to stop.
EOF

# Wait until Ctrl-C (the trap), or until either process exits on its own.
while :; do
	wait -n "$coredns_pid" "$syncer_pid" 2>/dev/null || true
	kill -0 "$coredns_pid" 2>/dev/null || fail coredns
	kill -0 "$syncer_pid" 2>/dev/null || fail syncer
done

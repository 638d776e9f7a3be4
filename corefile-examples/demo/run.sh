#!/usr/bin/env bash
# The local demo, run by `make run` (after `make build`): coredns-gslb on
# 127.0.0.1:1053 fed by gslb-syncer from members.yaml, in a private temporary
# directory (GSLB_DEMO_DIR: the gRPC socket, the persisted table, the logs),
# and three demo sites (demosite) on 127.0.0.11, .12 and .13 port 8000: the
# members of hello, which the syncer probes. Ctrl-C stops them all and
# removes the directory.
#
# Needs bash and the binaries only; dig and curl are used when present.
# GSLB_BIN overrides the directory of the binaries (default: <repo>/bin).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=${GSLB_BIN:-$root/bin}
coredns=$bin/coredns-gslb
syncer=$bin/gslb-syncer
demosite=$bin/demosite
corefile=$here/Corefile
members=${GSLB_DEMO_MEMBERS:-$here/members.yaml} # GSLB_DEMO_MEMBERS: another members file

# The demo Corefile's fixed addresses.
dns_port=1053
ready_url=http://127.0.0.1:8181/ready
status_url=http://127.0.0.1:9154/status/ # the syncer's status page (its metrics address)
start_timeout=30 # seconds

# The demo sites: hello's members (see members.yaml), one per cluster.
site_names=(s1az1 s1az2 s2)
site_addrs=(127.0.0.11 127.0.0.12 127.0.0.13)
site_msgs=("This service resides in SITE1 AZ1" "This service resides in SITE1 AZ2" "This service resides in SITE2")
site_port=8000

say() { printf 'run.sh: %s\n' "$*" >&2; }

for b in "$coredns" "$syncer" "$demosite"; do
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
site_pids=()

# stop PID NAME: SIGTERM, and SIGKILL if it is still there after 10 s.
# (bash reaps its children as they exit, so kill -0 fails once one is gone.)
stop() {
	local pid=$1 name=$2 rc=0 i
	[[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 0
	kill -TERM "$pid" 2>/dev/null || return 0
	# A site frozen with kill -STOP gets the SIGTERM once thawed.
	kill -CONT "$pid" 2>/dev/null || true
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
	local i
	for i in "${!site_pids[@]}"; do
		stop "${site_pids[$i]}" "site-${site_names[$i]}"
	done
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

# listening HOST PORT: something accepts TCP connections there (plain bash).
listening() {
	(exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
}

# The children get their own process groups (set -m), so that Ctrl-C reaches
# this script only, which then stops them in order.
set -m
# The sites first, so that the syncer's first probes find them up.
for i in "${!site_names[@]}"; do
	"$demosite" --listen "${site_addrs[$i]}:$site_port" --message "${site_msgs[$i]}" \
		>"$GSLB_DEMO_DIR/site-${site_names[$i]}.log" 2>&1 &
	site_pids[i]=$!
done
set +m
deadline=$((SECONDS + start_timeout))
for i in "${!site_names[@]}"; do
	until listening "${site_addrs[$i]}" "$site_port"; do
		kill -0 "${site_pids[$i]}" 2>/dev/null || fail "site-${site_names[$i]}"
		if ((SECONDS >= deadline)); then
			say "site ${site_names[$i]} not listening on ${site_addrs[$i]}:$site_port after ${start_timeout}s"
			fail "site-${site_names[$i]}"
		fi
		sleep 0.1
	done
done
set -m
"$coredns" -conf "$corefile" >"$coredns_log" 2>&1 &
coredns_pid=$!
"$syncer" --source "file:$members" --push "unix://$GSLB_DEMO_DIR/gslb.sock" \
	--metrics 127.0.0.1:9154 --status-page --status-answers http://127.0.0.1:9153/metrics >"$syncer_log" 2>&1 &
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

Status page (records, members, health, the live split): $status_url
  $bin/gslbctl split hello.avi.iberia.local --server 127.0.0.1:$dns_port -n 60000 --qps 200 --expect 6:4:2
                                                         # 5 minutes of queries: the page charts their split

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

Health: the syncer probes each member of hello (GET / on port $site_port, every 2 s, timeout 1 s);
a member is out of the answers after 3 failed probes in a row (within 7 s), back after 2 passes.
EOF
for i in "${!site_names[@]}"; do
	printf '  site %-6s http://%s:%s/  demosite pid %s  "%s"\n' "${site_names[$i]}" "${site_addrs[$i]}" "$site_port" "${site_pids[$i]}" "${site_msgs[$i]}"
done
cat <<EOF
Take a member down and back:
  $bin/gslbctl table --server unix://$GSLB_DEMO_DIR/gslb.sock   # health and reason of each member
  kill -STOP ${site_pids[0]}     # freeze s1az1: its probes time out, 127.0.0.11 leaves the answers
  kill -CONT ${site_pids[0]}     # thaw it: back in the answers after 2 passing probes
  curl 127.0.0.12:$site_port/fail      # s1az2 answers 503 ("HTTP 503 from GET /"); curl 127.0.0.12:$site_port/recover
  $bin/gslbctl watch http://hello.avi.iberia.local:$site_port/ --server 127.0.0.1:$dns_port   # which site serves each request
Logs: $coredns_log and $syncer_log (health changes: grep health $syncer_log)
Press Ctrl-C to stop.
EOF

# Wait until Ctrl-C (the trap), or until a process exits on its own.
while :; do
	wait -n "$coredns_pid" "$syncer_pid" "${site_pids[@]}" 2>/dev/null || true
	kill -0 "$coredns_pid" 2>/dev/null || fail coredns
	kill -0 "$syncer_pid" 2>/dev/null || fail syncer
	for i in "${!site_names[@]}"; do
		kill -0 "${site_pids[$i]}" 2>/dev/null || fail "site-${site_names[$i]}"
	done
done

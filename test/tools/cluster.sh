#!/usr/bin/env bash
# cluster.sh up|down DIR [NAME]: a real Kubernetes cluster on this machine, in
# network namespaces of its own (make cluster, make cluster-down, and the
# shared cluster of test/e2e/cluster).
#
#   NAME-hub     the control plane: etcd, kube-apiserver (10.88.0.1:6443), the
#                kube-controller-manager and kube-scheduler, and three bare
#                member apiservers s1az1, s1az2, s2 (10.88.0.1:6444-6446, the
#                scenario's member clusters); the bridge br0 (10.88.0.1/24)
#   NAME-node1   a node: its own containerd (Debian's), a kubelet and a
#   NAME-node2   kube-proxy (iptables), eth0 10.88.0.1N/24 on br0, Pods on
#                10.244.N.0/24 (Debian's CNI bridge plugin)
#
# Nothing is added to the caller's network namespace: the private addresses
# live only in these namespaces. Run a client inside the hub:
#   ip netns exec NAME-hub kubectl --kubeconfig DIR/admin.kubeconfig get nodes
# Every component authenticates with the admin token (DIR/tokens.csv) and the
# kubelets allow anonymous requests: a test cluster, not a production one.
#
# The binaries come from test/tools/k8s-bins.sh (cached); the Debian packages
# (containerd, runc, containernetworking-plugins, iptables, conntrack) are
# installed through ensure-deb.sh. The images of $GSLB_IMAGES (default bin/images,
# make images) are imported into every node's containerd. `down` stops what
# `up` started (pid files in DIR), unmounts, removes the namespaces and cgroups.
set -euo pipefail

cmd=${1:-}
dir=${2:-}
name=${3:-gslb}
[[ $cmd == up || $cmd == down ]] && [[ -n $dir ]] || {
	echo "usage: cluster.sh up|down DIR [NAME]" >&2
	exit 2
}
[[ $name =~ ^[a-z][a-z0-9]{0,9}$ ]] || {
	echo "cluster.sh: NAME '$name' must be 1-10 lower-case letters and digits" >&2
	exit 2
}
dir=$(realpath -m "$dir")
here=$(cd "$(dirname "$0")" && pwd)
log() { printf 'cluster.sh: %s\n' "$*" >&2; }
die() {
	log "ERROR: $*"
	exit 1
}

nodes=(1 2)
hub=$name-hub
cgroups=(cpu cpuacct cpuset memory devices freezer blkio pids hugetlb net_cls net_prio perf_event systemd)

# --- down ---------------------------------------------------------------------
down() {
	local p n
	# The Pods' network namespaces (made by the CNI plugin), named in the
	# sandboxes' specs: containerd is killed, so it removes none of them.
	for n in "${nodes[@]}"; do
		local sock=$dir/node$n/containerd.sock id
		[[ -S $sock ]] || continue
		for id in $(timeout 10 ctr -a "$sock" -n k8s.io containers ls -q 2>/dev/null); do
			{ timeout 10 ctr -a "$sock" -n k8s.io containers info "$id" 2>/dev/null | grep -o '/var/run/netns/cni-[0-9a-f-]*' || true; }
		done | sort -u >"$dir/node$n/pod-netns"
	done
	if [[ -d $dir/pids ]]; then
		for p in "$dir"/pids/*; do
			[[ -f $p ]] || continue
			kill -TERM "$(cat "$p")" 2>/dev/null || true
		done
		for _ in $(seq 100); do
			local alive=0
			for p in "$dir"/pids/*; do
				[[ -f $p ]] && kill -0 "$(cat "$p")" 2>/dev/null && alive=1
			done
			((alive)) || break
			sleep 0.1
		done
		for p in "$dir"/pids/*; do
			[[ -f $p ]] && kill -KILL "$(cat "$p")" 2>/dev/null || true
		done
		rm -rf "$dir/pids"
	fi
	# The containers' shims outlive containerd: kill what runs in the nodes' cgroups.
	local c
	for n in "${nodes[@]}"; do
		for c in "${cgroups[@]}"; do
			local cg=/sys/fs/cgroup/$c/$name-node$n
			[[ -d $cg ]] || continue
			find "$cg" -name cgroup.procs -exec cat {} + 2>/dev/null | xargs -r kill -KILL 2>/dev/null || true
		done
	done
	# The shims of the nodes' containerd: each runs in its task's directory
	# under DIR/nodeN/containerd/state.
	for p in /proc/[0-9]*; do
		[[ $(readlink "$p/cwd" 2>/dev/null) == "$dir"/node*/containerd/state/* ]] && kill -KILL "${p#/proc/}" 2>/dev/null || true
	done
	sleep 0.2
	# Mounts under DIR (kubelet volumes, containerd rootfs and snapshots).
	if [[ -d $dir ]]; then
		awk -v d="$(realpath "$dir")/" 'index($2, d) == 1 { print $2 }' /proc/self/mounts | sort -r |
			while read -r m; do umount -l "$m" 2>/dev/null || true; done
	fi
	for n in "${nodes[@]}"; do
		if [[ -f $dir/node$n/pod-netns ]]; then
			while read -r p; do ip netns del "${p##*/}" 2>/dev/null || true; done <"$dir/node$n/pod-netns"
		fi
		ip netns del "$name-node$n" 2>/dev/null || true
		for c in "${cgroups[@]}"; do
			local cg=/sys/fs/cgroup/$c/$name-node$n
			[[ -d $cg ]] && find "$cg" -depth -type d -exec rmdir {} \; 2>/dev/null || true
		done
	done
	ip netns del "$hub" 2>/dev/null || true
}

if [[ $cmd == down ]]; then
	down
	log "stopped $name (state in $dir)"
	exit 0
fi

# --- up: prerequisites --------------------------------------------------------
[[ $(id -u) -eq 0 ]] || die "must run as root (network namespaces, containerd, kubelet)"
"$here/ensure-deb.sh" containerd containerd
"$here/ensure-deb.sh" runc runc
"$here/ensure-deb.sh" /usr/lib/cni/bridge containernetworking-plugins
"$here/ensure-deb.sh" iptables iptables
"$here/ensure-deb.sh" conntrack conntrack
"$here/ensure-deb.sh" openssl openssl
k8s=$("$here/k8s-bins.sh")
images=${GSLB_IMAGES:-$(cd "$here/../.." && pwd)/bin/images}
for i in pause coredns-gslb gslb-syncer; do
	[[ -f $images/$i.tar ]] || die "$images/$i.tar is missing: run make images (or set GSLB_IMAGES)"
done

down # leftovers of an earlier run with the same name
mkdir -p "$dir/pids"
dir=$(realpath "$dir")

# start LABEL NETNS CMD...: run CMD detached in NETNS (network only, so that
# every process shares the mounts), its log in DIR/logs/LABEL.log.
start() {
	local label=$1 ns=$2
	shift 2
	mkdir -p "$dir/logs"
	nsenter --net="/run/netns/$ns" -- setsid "$@" >"$dir/logs/$label.log" 2>&1 </dev/null &
	echo $! >"$dir/pids/$label"
}

# wait_for WHAT SECONDS CMD...: poll CMD until it succeeds.
wait_for() {
	local what=$1 secs=$2
	shift 2
	local end=$((SECONDS + secs))
	until "$@" >/dev/null 2>&1; do
		((SECONDS < end)) || die "$what not ready after ${secs}s (logs in $dir/logs)"
		sleep 0.3
	done
}

# --- network ------------------------------------------------------------------
ip netns add "$hub"
ip -n "$hub" link set lo up
ip -n "$hub" link add br0 type bridge
ip -n "$hub" addr add 10.88.0.1/24 dev br0
ip -n "$hub" link set br0 up
ip netns exec "$hub" sysctl -qw net.ipv4.ip_forward=1
for n in "${nodes[@]}"; do
	ns=$name-node$n
	ip netns add "$ns"
	ip -n "$ns" link set lo up
	ip -n "$hub" link add "veth$n" type veth peer name eth0 netns "$ns"
	ip -n "$hub" link set "veth$n" master br0 up
	ip -n "$ns" addr add "10.88.0.1$n/24" dev eth0
	ip -n "$ns" link set eth0 up
	ip -n "$ns" route add default via 10.88.0.1
	ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1
	ip netns exec "$ns" sysctl -qw net.ipv4.conf.all.route_localnet=1
	ip -n "$hub" route add "10.244.$n.0/24" via "10.88.0.1$n"
	for m in "${nodes[@]}"; do
		[[ $m == "$n" ]] || ip -n "$ns" route add "10.244.$m.0/24" via "10.88.0.1$m"
	done
done

# --- PKI and credentials ------------------------------------------------------
pki=$dir/pki
mkdir -p "$pki"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj "/CN=gslb cluster CA" \
	-keyout "$pki/ca.key" -out "$pki/ca.crt" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=kube-apiserver" \
	-keyout "$pki/apiserver.key" -out "$pki/apiserver.csr" 2>/dev/null
printf 'subjectAltName=IP:10.88.0.1,IP:10.96.0.1,IP:127.0.0.1,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local\nextendedKeyUsage=serverAuth\n' >"$pki/san.ext"
openssl x509 -req -in "$pki/apiserver.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial -days 30 \
	-extfile "$pki/san.ext" -out "$pki/apiserver.crt" 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$pki/sa.key" 2>/dev/null
openssl pkey -in "$pki/sa.key" -pubout -out "$pki/sa.pub" 2>/dev/null
token=$(openssl rand -hex 16)
member_token=$(openssl rand -hex 16)
printf '%s,admin,admin,"system:masters"\n%s,gslb-member,gslb-member\n' "$token" "$member_token" >"$dir/tokens.csv"
echo "$member_token" >"$dir/member.token"

# kubeconfig FILE SERVER TOKEN CONTEXT...
kubeconfig() {
	local file=$1 server=$2 tok=$3
	{
		printf 'apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: %s\n' "$server"
		printf '    certificate-authority-data: %s\n' "$(base64 -w0 "$pki/ca.crt")"
		printf 'users:\n- name: u\n  user:\n    token: %s\ncontexts:\n- name: default\n  context: {cluster: c, user: u}\ncurrent-context: default\n' "$tok"
	} >"$file"
}
kubeconfig "$dir/admin.kubeconfig" https://10.88.0.1:6443 "$token"

# --- control plane --------------------------------------------------------------
start etcd "$hub" "$k8s/etcd" --data-dir "$dir/etcd" --unsafe-no-fsync \
	--listen-client-urls http://127.0.0.1:2379 --advertise-client-urls http://127.0.0.1:2379 \
	--listen-peer-urls http://127.0.0.1:2380
wait_for etcd 60 ip netns exec "$hub" bash -c 'exec 3<>/dev/tcp/127.0.0.1/2379'

apiserver() {
	local cname=$1 port=$2
	shift 2
	start "apiserver-$cname" "$hub" "$k8s/kube-apiserver" --bind-address=0.0.0.0 --advertise-address=10.88.0.1 \
		--secure-port="$port" --etcd-servers=http://127.0.0.1:2379 --etcd-prefix="/$cname" \
		--cert-dir="$dir/apiserver-$cname" --tls-cert-file="$pki/apiserver.crt" --tls-private-key-file="$pki/apiserver.key" \
		--client-ca-file="$pki/ca.crt" --token-auth-file="$dir/tokens.csv" --authorization-mode=RBAC \
		--service-account-issuer=https://kubernetes.default.svc --service-account-key-file="$pki/sa.pub" \
		--service-account-signing-key-file="$pki/sa.key" --service-cluster-ip-range=10.96.0.0/16 \
		--kubelet-preferred-address-types=InternalIP --profiling=false \
		--shutdown-watch-termination-grace-period=2s "$@"
}
apiserver cluster 6443
apiserver s1az1 6444 --endpoint-reconciler-type=none
apiserver s1az2 6445 --endpoint-reconciler-type=none
apiserver s2 6446 --endpoint-reconciler-type=none
i=4
for m in s1az1 s1az2 s2; do
	kubeconfig "$dir/$m.kubeconfig" "https://10.88.0.1:644$i" "$token"
	i=$((i + 1))
done
kctl() { ip netns exec "$hub" "$k8s/kubectl" --kubeconfig "$dir/admin.kubeconfig" "$@"; }
for m in cluster s1az1 s1az2 s2; do
	kc=$dir/admin.kubeconfig
	[[ $m == cluster ]] || kc=$dir/$m.kubeconfig
	wait_for "kube-apiserver $m" 120 ip netns exec "$hub" "$k8s/kubectl" --kubeconfig "$kc" get --raw /readyz
done

start kube-controller-manager "$hub" "$k8s/kube-controller-manager" --kubeconfig="$dir/admin.kubeconfig" \
	--authentication-kubeconfig="$dir/admin.kubeconfig" --authorization-kubeconfig="$dir/admin.kubeconfig" \
	--bind-address=127.0.0.1 --leader-elect=false --root-ca-file="$pki/ca.crt" \
	--service-account-private-key-file="$pki/sa.key" --use-service-account-credentials=false \
	--service-cluster-ip-range=10.96.0.0/16 --cluster-cidr=10.244.0.0/16 --allocate-node-cidrs=false \
	--node-monitor-grace-period=20s
start kube-scheduler "$hub" "$k8s/kube-scheduler" --kubeconfig="$dir/admin.kubeconfig" \
	--authentication-kubeconfig="$dir/admin.kubeconfig" --authorization-kubeconfig="$dir/admin.kubeconfig" \
	--bind-address=127.0.0.1 --leader-elect=false

# --- nodes ----------------------------------------------------------------------
for n in "${nodes[@]}"; do
	ns=$name-node$n
	nd=$dir/node$n
	mkdir -p "$nd/cni" "$nd/kubelet" "$nd/pod-logs"
	for c in "${cgroups[@]}"; do
		[[ -d /sys/fs/cgroup/$c ]] && mkdir -p "/sys/fs/cgroup/$c/$ns"
	done
	if [[ -f /sys/fs/cgroup/cpuset/$ns/cpuset.cpus ]]; then
		cat /sys/fs/cgroup/cpuset/cpuset.cpus >"/sys/fs/cgroup/cpuset/$ns/cpuset.cpus"
		cat /sys/fs/cgroup/cpuset/cpuset.mems >"/sys/fs/cgroup/cpuset/$ns/cpuset.mems"
	fi
	cat >"$nd/containerd.toml" <<EOF
version = 2
root = "$nd/containerd/root"
state = "$nd/containerd/state"
disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs"]
[grpc]
  address = "$nd/containerd.sock"
[plugins."io.containerd.internal.v1.opt"]
  path = "$nd/containerd/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "registry.k8s.io/pause:3.10-gslb"
  # The kubelet asks for negative oom_score_adj (-998 for sandboxes), which
  # needs CAP_SYS_RESOURCE; where root lacks it (some VMs, this project's CI),
  # runc fails with "failed to update /proc/self/oom_score_adj: Permission
  # denied". Clamp the values to containerd's own instead.
  restrict_oom_score_adj = $( [[ $(( 0x$(awk '/^CapBnd/ {print $2}' /proc/self/status) >> 24 & 1 )) == 1 ]] && echo false || echo true )
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$nd/cni"
EOF
	cat >"$nd/cni/10-gslb.conflist" <<EOF
{"cniVersion": "1.0.0", "name": "gslb-pods", "plugins": [
  {"type": "bridge", "bridge": "cni0", "isGateway": true, "ipMasq": true, "hairpinMode": true,
   "ipam": {"type": "host-local", "dataDir": "$nd/cni-ipam", "ranges": [[{"subnet": "10.244.$n.0/24"}]], "routes": [{"dst": "0.0.0.0/0"}]}},
  {"type": "portmap", "capabilities": {"portMappings": true}}]}
EOF
	start "containerd-node$n" "$ns" containerd --config "$nd/containerd.toml"
	wait_for "containerd of node$n" 60 test -S "$nd/containerd.sock"
	for i in pause coredns-gslb gslb-syncer; do
		ctr -a "$nd/containerd.sock" -n k8s.io images import --no-unpack "$images/$i.tar" >/dev/null ||
			die "cannot import $images/$i.tar into node$n's containerd"
	done
	cat >"$nd/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
authentication: {anonymous: {enabled: true}, webhook: {enabled: false}}
authorization: {mode: AlwaysAllow}
address: 10.88.0.1$n
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
cgroupDriver: cgroupfs
cgroupRoot: /$ns
failCgroupV1: false
failSwapOn: false
containerRuntimeEndpoint: unix://$nd/containerd.sock
podLogsDir: $nd/pod-logs
resolvConf: /etc/resolv.conf
syncFrequency: 10s
nodeStatusUpdateFrequency: 5s
serializeImagePulls: false
evictionHard: {memory.available: 50Mi, nodefs.available: "1%", imagefs.available: "1%", nodefs.inodesFree: "1%"}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
EOF
	start "kubelet-node$n" "$ns" "$k8s/kubelet" --config="$nd/kubelet.yaml" --kubeconfig="$dir/admin.kubeconfig" \
		--root-dir="$nd/kubelet" --cert-dir="$nd/kubelet/pki" --hostname-override="node$n" --node-ip="10.88.0.1$n" \
		--node-labels="gslb.gslbdns.io/dns=true,topology.kubernetes.io/zone=zone$n"
	cat >"$nd/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: $dir/admin.kubeconfig}
hostnameOverride: node$n
mode: iptables
clusterCIDR: 10.244.0.0/16
conntrack: {maxPerCore: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
metricsBindAddress: 127.0.0.1:10249
healthzBindAddress: 127.0.0.1:10256
EOF
	start "kube-proxy-node$n" "$ns" "$k8s/kube-proxy" --config="$nd/kube-proxy.yaml"
done

for n in "${nodes[@]}"; do
	wait_for "node$n Ready" 180 bash -c "$(declare -f kctl); hub=$hub k8s=$k8s dir=$dir; kctl get node node$n -o jsonpath='{.status.conditions[?(@.type==\"Ready\")].status}' | grep -qx True"
done
log "up: nodes node1 (10.88.0.11) and node2 (10.88.0.12) Ready; apiserver https://10.88.0.1:6443 in netns $hub"
log "  ip netns exec $hub $k8s/kubectl --kubeconfig $dir/admin.kubeconfig get nodes"
echo "$dir"

#!/usr/bin/env bash
# k8s-bins.sh [K8S_VERSION]: build a real Kubernetes release (kube-apiserver,
# kube-controller-manager, kube-scheduler, kubelet, kube-proxy, kubectl) and
# the etcd it pins, from the Go module proxy, and cache them.
#
# Prints the cache directory holding them on stdout; progress and errors go
# to stderr. Needs only Go and flock (util-linux).
#
#   cache:   ${GSLB_CACHE:-$HOME/.cache/gslb}/k8s/<K8S_VERSION>/{kube-apiserver,...,etcd,VERSIONS}
#   version: $1, else $GSLB_K8S_VERSION, else the default below (a v1.37
#            patch, to match client-go v0.37.x in the repository's go.mod)
#
# The directory is built under a temporary name and renamed into place, so it
# either exists complete or not at all: a warm call only tests two files and
# never runs go. A cold build holds an flock on <cache>/k8s/<version>.lock, so
# concurrent callers wait for one build instead of racing.
#
# How: `go install k8s.io/kubernetes/cmd/kube-apiserver@v` does not work
# because k8s.io/kubernetes replaces its staging modules (k8s.io/api, ...)
# with ./staging paths. A throwaway wrapper module requires k8s.io/kubernetes
# and replaces each staging module with its published v0.Y.Z release instead.
# etcd is built from its own wrapper module at the version that
# k8s.io/kubernetes's go.mod requires for go.etcd.io/etcd/server/v3.
set -euo pipefail

DEFAULT_K8S_VERSION=v1.37.2

k8s_version=${1:-${GSLB_K8S_VERSION:-$DEFAULT_K8S_VERSION}}
log() { printf 'k8s-bins: %s\n' "$*" >&2; }
die() {
	log "ERROR: $*"
	exit 1
}

[[ $k8s_version =~ ^v1\.([0-9]+)\.([0-9]+)$ ]] ||
	die "Kubernetes version '$k8s_version' is not of the form v1.MINOR.PATCH"
k8s_minor=${BASH_REMATCH[1]}
staging_version=v0.${k8s_version#v1.}

if [[ -n ${GSLB_CACHE:-} ]]; then
	cache_root=$GSLB_CACHE/k8s
elif [[ -n ${HOME:-} ]]; then
	cache_root=$HOME/.cache/gslb/k8s
else
	die "neither GSLB_CACHE nor HOME is set: no place for the binary cache"
fi
dir=$cache_root/$k8s_version

# The Kubernetes commands, built by one `go build` so that the packages they
# share compile once. Measured: with kube-apiserver's packages in Go's build
# cache, the other five took 22 min of wall time on 2 cores shared with
# several other builds (load 20-27); kubectl and kubelet are the large ones.
k8s_cmds=(kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl)
complete() {
	local b
	for b in "${k8s_cmds[@]}" etcd; do
		[[ -x $dir/$b ]] || return 1
	done
}

# Warm path: no lock, no go.
if complete; then
	echo "$dir"
	exit 0
fi

command -v go >/dev/null 2>&1 || die "go is not on PATH; it is needed to build kube-apiserver and etcd"
command -v flock >/dev/null 2>&1 || die "flock (util-linux) is not on PATH"
mkdir -p "$cache_root" || die "cannot create the cache directory $cache_root"

lock=$cache_root/$k8s_version.lock
exec 9>>"$lock" || die "cannot open the lock file $lock"
if ! flock -n 9; then
	log "another process is building Kubernetes $k8s_version binaries (lock $lock); waiting for it"
	flock 9 || die "cannot lock $lock"
fi
if complete; then
	log "another process finished the build"
	echo "$dir"
	exit 0
fi

# We hold the lock, so any earlier build directory is from a build that died.
rm -rf "$cache_root/.build-$k8s_version".*
work=$(mktemp -d "$cache_root/.build-$k8s_version.XXXXXX")
trap 'rm -rf "$work"' EXIT

# The wrapper modules must build exactly what they say, whatever the caller's
# environment: module mode, no workspace, no cgo.
export GOFLAGS=-mod=mod GOWORK=off CGO_ENABLED=0

start=$SECONDS
elapsed() { printf '%ds' $((SECONDS - start)); }

# run DESCRIPTION CMD...: run CMD in the current directory, dying with its
# description when it fails (go's own error output is already on stderr).
run() {
	local what=$1
	shift
	"$@" || die "$what failed (exit $?): $*"
}

log "building ${k8s_cmds[*]} $k8s_version and its etcd into $dir"
log "the binary cache is cold: about 11 min for kube-apiserver and 2.3 GB of memory on 2 cores when Go's module and"
log "build caches are cold too (a fresh machine); the node binaries added 22 min on a busy 2-core machine. go test's default -timeout is 10m: a test"
log "that triggers a cold build may time out, but the build runs on and the next run finds the binaries"
log "using $(go version)"

# --- kube-apiserver -----------------------------------------------------------
mkdir "$work/kube-apiserver" "$work/etcd" "$work/out"
cd "$work/kube-apiserver"
printf 'module gslb.local/k8sbins/kube-apiserver\n' >go.mod
log "[$(elapsed)] resolving k8s.io/kubernetes@$k8s_version on the module proxy"
modinfo=$(go list -m -f '{{.GoMod}} {{.Time.UTC.Format "2006-01-02T15:04:05Z"}}' "k8s.io/kubernetes@$k8s_version") ||
	die "k8s.io/kubernetes@$k8s_version is not available from the module proxy ($(go env GOPROXY))"
read -r kmod kdate <<<"$modinfo"
[[ -f $kmod ]] || die "go list did not download the go.mod of k8s.io/kubernetes@$k8s_version"

go_line=$(awk '$1 == "go" { print; exit }' "$kmod")
# godebug settings, a single line or a block.
godebug=$(awk '/^godebug \($/ { b = 1 } b || /^godebug / { print } b && /^\)$/ { b = 0 }' "$kmod")
staging=$(awk '$2 == "=>" && $3 ~ /^\.\/staging\// { print $1 }' "$kmod")
etcd_version=$(awk '$1 == "go.etcd.io/etcd/server/v3" { print $2; exit }' "$kmod")
[[ -n $go_line ]] || die "no go line in k8s.io/kubernetes@$k8s_version's go.mod"
[[ -n $staging ]] || die "no ./staging replace directives in k8s.io/kubernetes@$k8s_version's go.mod"
[[ $etcd_version =~ ^v3\.[0-9]+\.[0-9]+$ ]] ||
	die "cannot read the pinned etcd version (go.etcd.io/etcd/server/v3) from k8s.io/kubernetes@$k8s_version's go.mod: '$etcd_version'"
log "k8s.io/kubernetes@$k8s_version pins etcd $etcd_version; staging modules at $staging_version"

{
	printf 'module gslb.local/k8sbins/kube-apiserver\n\n%s\n\n' "$go_line"
	[[ -z $godebug ]] || printf '%s\n\n' "$godebug"
	printf 'require k8s.io/kubernetes %s\n\nreplace (\n' "$k8s_version"
	for m in $staging; do
		printf '\t%s => %s %s\n' "$m" "$m" "$staging_version"
	done
	printf ')\n'
} >go.mod

pkgs=()
for c in "${k8s_cmds[@]}"; do
	pkgs+=("k8s.io/kubernetes/cmd/$c")
done
log "[$(elapsed)] downloading the modules the commands need"
run "resolving ${pkgs[*]}@$k8s_version" go get "${pkgs[@]/%/@$k8s_version}"

ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
	ldflags+=" -X $pkg.gitVersion=$k8s_version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$k8s_minor"
	ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$kdate"
done
log "[$(elapsed)] compiling ${k8s_cmds[*]} (the long part)"
run "building ${k8s_cmds[*]}" go build -trimpath -ldflags "$ldflags" -o "$work/out/" "${pkgs[@]}"

# --- etcd ---------------------------------------------------------------------
cd "$work/etcd"
printf 'module gslb.local/k8sbins/etcd\n\n%s\n' "$go_line" >go.mod
log "[$(elapsed)] downloading the modules of etcd $etcd_version"
run "resolving go.etcd.io/etcd/server/v3@$etcd_version" go get "go.etcd.io/etcd/server/v3@$etcd_version"
log "[$(elapsed)] compiling etcd"
run "building etcd" go build -trimpath -ldflags "-s -w" -o "$work/out/etcd" go.etcd.io/etcd/server/v3

# --- check and install --------------------------------------------------------
for c in kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy; do
	got=$("$work/out/$c" --version 2>&1) || die "the built $c does not run: $got"
	[[ $got == "Kubernetes $k8s_version" ]] || die "the built $c reports '$got', want 'Kubernetes $k8s_version'"
done
got=$("$work/out/kubectl" version --client 2>&1) || die "the built kubectl does not run: $got"
grep -q "Client Version: $k8s_version" <<<"$got" || die "the built kubectl reports '$got', want $k8s_version"
got=$("$work/out/etcd" --version 2>&1) || die "the built etcd does not run: $got"
grep -q "^etcd Version: ${etcd_version#v}\$" <<<"$got" || die "the built etcd reports '$got', want version ${etcd_version#v}"

{
	printf 'kubernetes %s\netcd %s\n%s\n' "$k8s_version" "$etcd_version" "$(go version)"
} >"$work/out/VERSIONS"

if [[ -d $dir ]]; then
	# An older cache of this version (kube-apiserver and etcd only) may be in
	# use by running tests: add to it file by file (each mv is atomic).
	for f in "$work/out"/*; do
		mv -f "$f" "$dir/" || die "cannot move $f into $dir"
	done
else
	mv "$work/out" "$dir" || die "cannot move the binaries into $dir"
fi
log "[$(elapsed)] done: $dir"
echo "$dir"

#!/usr/bin/env bash
# Generates the deepcopy functions of syncer/apis and the CRD YAML in
# deploy/crds with a pinned controller-gen (built from the Go module proxy).
#   syncer/hack/generate.sh            write them in place
#   syncer/hack/generate.sh --check    fail if the committed files differ (CI)
set -euo pipefail
CONTROLLER_GEN_VERSION=v0.20.1
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
deepcopy=syncer/apis/gslb/v1alpha1/zz_generated.deepcopy.go
gen() {
	go run "sigs.k8s.io/controller-tools/cmd/controller-gen@${CONTROLLER_GEN_VERSION}" \
		object:headerFile=syncer/hack/boilerplate.go.txt \
		crd:maxDescLen=400 output:crd:dir=deploy/crds \
		paths=./syncer/apis/...
}
if [[ "${1:-}" != "--check" ]]; then
	gen
	exit 0
fi
saved=$(mktemp -d)
cp "$deepcopy" "$saved/deepcopy.go" 2>/dev/null || :
mkdir "$saved/crds" && cp deploy/crds/*.yaml "$saved/crds/" 2>/dev/null || :
fresh=$(mktemp -d)
restore() {
	cp "$saved/deepcopy.go" "$deepcopy" 2>/dev/null || rm -f "$deepcopy"
	rm -f deploy/crds/*.yaml
	cp "$saved"/crds/*.yaml deploy/crds/ 2>/dev/null || :
	rm -rf "$saved" "$fresh"
}
trap restore EXIT
gen
cp "$deepcopy" "$fresh/deepcopy.go"
status=0
if ! cmp -s "$saved/deepcopy.go" "$fresh/deepcopy.go"; then
	echo "check-generate: $deepcopy differs from 'make generate' output" >&2
	diff -u "$saved/deepcopy.go" "$fresh/deepcopy.go" | head -20 >&2 || :
	status=1
fi
for f in deploy/crds/*.yaml "$saved"/crds/*.yaml; do
	b=$(basename "$f")
	if ! cmp -s "deploy/crds/$b" "$saved/crds/$b"; then
		echo "check-generate: deploy/crds/$b differs from 'make generate' output" >&2
		status=1
	fi
done
[[ $status == 0 ]] && echo "check-generate: CRDs and deepcopy are up to date"
exit $status

# gslb — global server load balancing on CoreDNS.
# `make run` starts the local demo; `make test` runs every test. See README.md.

SHELL := /bin/bash
GO    ?= go
BIN   := $(CURDIR)/bin
TOOLS := $(BIN)/tools

# Pinned code generators: `make generate` must reproduce the committed code byte for byte.
PROTOC_VERSION          := 3.21.12
PROTOC_GEN_GO_VERSION   := v1.36.12
PROTOC_GEN_GRPC_VERSION := v1.6.2
STATICCHECK_VERSION     := v0.8.2

PROTO_DIR := plugin/api
PROTOS    := $(PROTO_DIR)/gslb/v1/gslb.proto $(PROTO_DIR)/gslb/v1/healthshare.proto

.PHONY: all build run test bench fuzz generate check-generate lint tools clean k8s-bins lab lab-down images cluster cluster-down

all: build

build:
	$(GO) build -trimpath -o $(BIN)/coredns-gslb ./plugin/cmd/coredns-gslb
	$(GO) build -trimpath -o $(BIN)/gslb-syncer ./syncer/cmd/gslb-syncer
	$(GO) build -trimpath -o $(BIN)/gslbctl ./syncer/cmd/gslbctl
	$(GO) build -trimpath -o $(BIN)/demosite ./test/tools/demosite

run: build
	@./corefile-examples/demo/run.sh

# protoc comes from Debian (installed if missing); the Go plugins from the module proxy.
$(TOOLS)/protoc-gen-go:
	GOBIN=$(TOOLS) $(GO) install google.golang.org/protobuf/cmd/protoc-gen-go@$(PROTOC_GEN_GO_VERSION)
$(TOOLS)/protoc-gen-go-grpc:
	GOBIN=$(TOOLS) $(GO) install google.golang.org/grpc/cmd/protoc-gen-go-grpc@$(PROTOC_GEN_GRPC_VERSION)

tools: $(TOOLS)/protoc-gen-go $(TOOLS)/protoc-gen-go-grpc
	@./test/tools/ensure-deb.sh protoc protobuf-compiler
	@v=$$(protoc --version | awk '{print $$2}'); if [ "$$v" != "$(PROTOC_VERSION)" ]; then \
		echo "make: protoc $$v found, $(PROTOC_VERSION) required for byte-identical output" >&2; exit 1; fi

# generate OUT=dir writes the generated code elsewhere (check-generate uses it).
OUT ?= $(PROTO_DIR)
generate: tools
	PATH=$(TOOLS):$$PATH protoc -I $(PROTO_DIR) \
		--go_out=paths=source_relative:$(OUT) \
		--go-grpc_out=paths=source_relative:$(OUT) \
		$(PROTOS)
	@if [ "$(OUT)" = "$(PROTO_DIR)" ]; then ./syncer/hack/generate.sh; fi

check-generate: tools
	@tmp=$$(mktemp -d); trap 'rm -rf $$tmp' EXIT; \
	$(MAKE) --no-print-directory generate OUT=$$tmp >/dev/null && \
	for f in $$(cd $$tmp && find . -name '*.go'); do \
		if ! cmp -s $$tmp/$$f $(PROTO_DIR)/$$f; then \
			echo "check-generate: $(PROTO_DIR)/$$f differs from 'make generate' output" >&2; \
			diff -u $(PROTO_DIR)/$$f $$tmp/$$f | head -20 >&2; exit 1; fi; \
	done; echo "check-generate: generated code is up to date"
	@./syncer/hack/generate.sh --check

lint:
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...
	@out=$$(gofmt -l plugin syncer test); if [ -n "$$out" ]; then echo "gofmt needed: $$out" >&2; exit 1; fi

# Everything: generated code, lint, unit + integration + end-to-end tests (the e2e
# tests run the binaries from bin/), and the fuzz seed corpora (plain `go test`).
# The real Kubernetes binaries and etcd are built from the Go module proxy once
# (kube-apiserver about 11 minutes cold, the node binaries of test/e2e/cluster
# up to 22 more on a busy machine; cached in ~/.cache/gslb) before the tests
# run; the images (make images) too.
test: check-generate lint build images k8s-bins
	@./test/tools/ensure-deb.sh named bind9
	@./test/tools/ensure-deb.sh rndc bind9-utils
	GSLB_BIN=$(BIN) $(GO) test -count=1 -race -timeout 30m ./...

k8s-bins:
	@./test/tools/k8s-bins.sh >/dev/null

# Benchmarks, run on purpose (not part of `make test`): Go benchmarks (benchstat
# format) and dnsperf side by side with whoami, file, gdnsd and knot.
# Results go to bench/; BENCHMARKS.md records the latest ones.
BENCH_ROUNDS   ?= 2
BENCH_DURATION ?= 10s
bench: build
	@./test/tools/ensure-deb.sh dnsperf dnsperf
	@./test/tools/ensure-deb.sh gdnsd gdnsd
	@./test/tools/ensure-deb.sh knotd knot
	@mkdir -p bench
	$(GO) test -run '^$$' -bench . -benchmem -count 3 ./plugin/... ./syncer/kube ./syncer/filesource | tee bench/go.txt
	GSLB_BIN=$(BIN) $(GO) test -run '^$$' -bench SyncerFile -benchtime 1x ./test/e2e | tee -a bench/go.txt
	$(GO) run ./test/tools/dnsbench -bin $(BIN) -rounds $(BENCH_ROUNDS) -duration $(BENCH_DURATION) -out bench/dnsperf.md

# Fuzzing, run on purpose (not part of `make test`, which runs only the seeds):
# each target for FUZZTIME (a duration, or a count of executions such as
# 10000000x), one worker each (FUZZPARALLEL) so a shared machine stays usable.
# A crasher is written to the package's testdata/fuzz/<target>/ and stays there
# as a seed. README.md (Fuzzing) records the latest run.
FUZZTIME     ?= 30m
FUZZPARALLEL ?= 1
FUZZ_TARGETS := ./plugin/gslb:FuzzServeDNS ./plugin/gslb:FuzzQuestion ./plugin/gslb:FuzzCorefile \
	./plugin/gslb:FuzzApplyChunk ./plugin/gslb:FuzzSnapshot ./syncer/filesource:FuzzParse
fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; fn=$${t##*:}; echo "== $$fn ($$pkg), $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$$fn\$$" -fuzztime $(FUZZTIME) -parallel $(FUZZPARALLEL) $$pkg; \
	done

# The scenario on one machine: three real kube-apiservers (s1az1, s1az2, s2),
# the demo sites (demosite on 127.0.0.11/.12/.13:8000, probed by the policy),
# coredns-gslb on 127.0.0.1:1053, the syncer watching them. See README.md;
# `go run ./test/tools/kubelab` lists the commands (site stop|start, endpoints,
# route s2 detach|attach: hello in s2 is published by a Gateway and an HTTPRoute).
LAB_DIR ?= /tmp/gslb-lab
lab: build k8s-bins
	$(GO) run ./test/tools/kubelab up -dir $(LAB_DIR) -bin $(BIN)

lab-down:
	$(GO) run ./test/tools/kubelab down -dir $(LAB_DIR)

# OCI image tarballs (bin/images/{coredns-gslb,gslb-syncer,pause}.tar) from
# static binaries, without Docker or a registry: deploy/README.md ("Images").
# Tagged with the chart's appVersion, so the chart's default values find them.
APP_VERSION = $(shell awk -F'"' '/^appVersion:/ {print $$2}' deploy/helm/gslb/Chart.yaml)
images:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags='-s -w' -o $(BIN)/static/ \
		./plugin/cmd/coredns-gslb ./syncer/cmd/gslb-syncer ./syncer/cmd/gslbctl ./test/tools/pause
	$(GO) run ./test/tools/imagebuild -bin $(BIN)/static -tag $(APP_VERSION) -out $(BIN)/images

# A real cluster (test/tools/cluster.sh): control plane and the members s1az1,
# s1az2, s2 in the network namespace gslb-hub, two nodes (kubelet, containerd,
# kube-proxy) in gslb-node1 and gslb-node2, the images imported. See README.md.
CLUSTER_DIR ?= /tmp/gslb-cluster/state
cluster: images k8s-bins
	@mkdir -p $(dir $(CLUSTER_DIR))
	GSLB_IMAGES=$(BIN)/images ./test/tools/cluster.sh up $(CLUSTER_DIR)

cluster-down:
	./test/tools/cluster.sh down $(CLUSTER_DIR)

clean:
	rm -rf $(BIN)

# velad — one binary: embedded Kubernetes control plane + OAM application delivery.
SHELL       := /bin/bash
VERSION     ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
GO          ?= go
BIN         := bin/velad
KUBE_VERSION := $(shell $(GO) list -m -f '{{.Version}}' k8s.io/kubernetes)
KUBE_MINOR  := $(word 2,$(subst ., ,$(KUBE_VERSION)))
# The Kubernetes version the embedded components report (kube-apiserver /version, kubectl
# version): Kubernetes' own build sets these; without them they say v0.0.0-master.
KUBE_LDFLAGS := $(foreach p,k8s.io/component-base/version k8s.io/client-go/pkg/version,\
	-X $(p).gitVersion=$(KUBE_VERSION) -X $(p).gitMajor=1 -X $(p).gitMinor=$(KUBE_MINOR) -X $(p).gitTreeState=clean)
LDFLAGS     := -s -w -X velad.io/velad/pkg/version.Version=$(VERSION) $(KUBE_LDFLAGS)
export CGO_ENABLED := 1

.PHONY: all build install test test-unit e2e bench bench-quick generate verify fmt clean

all: build

## build: compile bin/velad (cgo, stripped) carrying runc and the CNI plugins, and the
## vela/kubectl multi-call links beside it
build:
	hack/install-deps.sh build
	hack/build-runtime.sh
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/velad
	ln -sf $(notdir $(BIN)) $(dir $(BIN))vela
	ln -sf $(notdir $(BIN)) $(dir $(BIN))kubectl

## install: build, then install velad (+ vela, kubectl links) with install.sh
install: build
	VELAD_BINARY=$(BIN) ./install.sh

## test: every unit, integration and end-to-end test (e2e drives the built binary); installs
## the host packages they need first (hack/install-deps.sh)
test:
	hack/install-deps.sh test
	$(MAKE) build
	VELAD_BINARY=$(abspath $(BIN)) $(GO) test -count=1 -timeout 75m ./...

## test-unit: the Go tests without building the binary first (e2e then builds its own)
test-unit:
	$(GO) test -count=1 -timeout 75m ./...

## bench: benchmarks; figures go to docs/benchmarks.md
bench: build
	VELAD_BINARY=$(abspath $(BIN)) ./bench/run.sh

## bench-quick: one run of each benchmark with small counts
bench-quick: build
	VELAD_BINARY=$(abspath $(BIN)) QUICK=1 ./bench/run.sh

## generate: regenerate deep-copy functions and CRDs from pkg/apis
generate:
	hack/gen-apis.sh

## verify: generated files are current and the code is gofmt-clean
verify:
	hack/gen-apis.sh --verify
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "run gofmt -w"; exit 1; }

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf bin

# nwmo: the two commands a newcomer needs are `make run` and `make test`.
# Everything a test needs (the gnmic CLI included) is built here from the Go
# module proxy; nothing has to be installed by hand.

GO        ?= go
BIN       := $(CURDIR)/bin
BINARIES  := nwmod nwmo nwmo-sim
GNMIC     := $(BIN)/gnmic
DATA_DIR  ?= ./var/nwmo
LISTEN    ?= 127.0.0.1:9339
# Simulated elements (sim-0 ...) that make run starts inside nwmod.
SIMS      ?= 3
TEST_TIMEOUT ?= 45m
# Packages whose tests need no race detector: the generated model tests are
# single-threaded, and race instrumentation of the large generated packages
# only costs build time there.
NORACE_PKGS := ./gen/... ./cmd/internal/...

.PHONY: all build run test test-race test-norace gen gen-check protoc lint tools bench crash-test clean

all: build

build:
	$(GO) build -o $(BIN)/ $(addprefix ./cmd/,$(BINARIES))

run: build
	$(BIN)/nwmod --listen $(LISTEN) --data-dir $(DATA_DIR) --sim $(SIMS)

# gnmic v0.37.0 lives in its own module (e2e/tools) so that nwmo's go.mod
# stays free of its dependencies; the binary is cached in bin/.
$(GNMIC): e2e/tools/go.mod e2e/tools/go.sum
	cd e2e/tools && $(GO) build -o $(GNMIC) github.com/openconfig/gnmic

tools: $(GNMIC)

test: tools test-norace test-race

test-norace:
	$(GO) test -count=1 -timeout $(TEST_TIMEOUT) $(NORACE_PKGS)

test-race:
	NWMO_GNMIC=$(GNMIC) $(GO) test -race -count=1 -timeout $(TEST_TIMEOUT) \
		$$($(GO) list ./... | grep -v -e /gen/ -e /gen$$ -e /cmd/internal/)

BENCH ?= .
bench:
	$(GO) test -run '^$$' -bench '$(BENCH)' -benchtime 2s ./datastore/... ./server/... ./clients/... | tee bench.out

crash-test:
	NWMO_CRASH_ROUNDS=100 $(GO) test -count=1 -run TestCrashRecovery -timeout 60m ./datastore/

# The generated packages: the two model sets, and the small model the
# validation tests use.
GENERATED := gen datastore/validate/internal/testmodel

gen: protoc
	$(GO) generate ./gen/... ./datastore/validate/internal/testmodel/

# protoc generates the admin service's code and writes its version into
# it: the committed code is from Debian 12's protoc, so another version
# would make gen-check differ, and is refused with what to install.
PROTOC_VERSION := libprotoc 3.21.12
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
protoc:
	@command -v protoc >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq --no-install-recommends protobuf-compiler; }
	@v="$$(protoc --version)"; [ "$$v" = "$(PROTOC_VERSION)" ] || \
		{ echo "protoc: found $$v; the committed code is from $(PROTOC_VERSION) (Debian 12's protobuf-compiler): put that one first on PATH" >&2; exit 1; }

# Regenerating on a clean checkout must change nothing.
gen-check: gen
	@git add -N $(GENERATED) && git diff --exit-code --stat -- $(GENERATED) || \
		{ echo "gen-check: generated code differs from what is committed; run 'make gen' and commit" >&2; exit 1; }

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' | grep -v '^gen/oc/\|^gen/nwmomodel/')); \
		if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

clean:
	rm -rf $(BIN)

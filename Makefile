# ws63emu — make targets. `make test` is the command CI and the README use.
GO ?= go
FUZZTIME ?= 200000x
BENCHTIME ?= 1s

.PHONY: all build test race bench fuzz fmt vet staticcheck tidy demo docs

STATICCHECK ?= staticcheck

all: vet staticcheck test build

build:
	$(GO) build -o bin/ws63emu ./cmd/ws63emu

test:
	$(GO) test ./...

# The concurrent code under the race detector, kept short (as in .ci/run).
race:
	$(GO) test -race -short -run 'SweepDeterministic|SweepMatchesReplay|SweepContextPartial|SweepFaults|Snapshot' ./scenarios ./flash

# Benchmarks print each figure beside its reference from the same run
# (S1 and the W1 benchmarks take one or a few iterations at 1s).
bench:
	$(GO) test -run '^$$' -bench . -benchtime $(BENCHTIME) ./...

# Every fuzz target, FUZZTIME each (go test runs one -fuzz target at a time).
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for t in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "== $$pkg $$t"; $(GO) test -run '^$$' -fuzz "^$$t\$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; \
	done

fmt:
	gofmt -l -w .

vet:
	$(GO) vet ./...

staticcheck:
	$(STATICCHECK) ./...

tidy:
	$(GO) mod tidy

demo:
	$(GO) run ./cmd/ws63emu demo

# Man pages and Markdown references of every command, from the CLI itself
# (docs/cli is generated: not committed).
docs:
	SOURCE_DATE_EPOCH=$$(git log -1 --format=%ct 2>/dev/null || echo 0) \
	  $(GO) run ./cmd/ws63emu gen-docs --man docs/cli/man --markdown docs/cli/md

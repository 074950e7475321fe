# ws63emu — make targets. `make test` is the command CI and the README use.
GO ?= go
FUZZTIME ?= 15s
FUZZMINIMIZE ?= 100x
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

# Every fuzz target for FUZZTIME each (a duration: about 5 minutes for the
# 19 targets at 15s; FUZZTIME=1m for a longer run); .ci/fuzz has the loop,
# which CI runs too.
fuzz:
	GO=$(GO) ./.ci/fuzz $(FUZZTIME) $(FUZZMINIMIZE)

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

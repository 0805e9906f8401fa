# Targets used by developers and by .ci/run. `make test` is the one CI runs.
GO ?= go

.PHONY: all build test lint bench fmt reliability multinode soak

all: build

build:
	$(GO) build -o bin/baton ./cmd/baton

test:
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 20m ./...

lint:
	$(GO) vet ./...
	@out="$$(gofmt -l $$($(GO) list -f '{{.Dir}}' ./...))"; if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

bench:
	mkdir -p .benchtmp && TMPDIR=$(CURDIR)/.benchtmp $(GO) test -run '^$$' -bench . -benchmem ./...
	@if [ -x scripts/bench.sh ]; then scripts/bench.sh; elif [ -f scripts/bench.sh ]; then sh scripts/bench.sh; fi

fmt:
	gofmt -w $$($(GO) list -f '{{.Dir}}' ./...)

# The kill -9 soak: a real baton watch killed RELIABILITY_KILLS times at
# random moments mid-run and restarted, then the invariants checked from
# the timestamps the tasks wrote. Kept out of `make test`; CI runs it.
RELIABILITY_KILLS ?= 20
reliability:
	RELIABILITY_KILLS=$(RELIABILITY_KILLS) $(GO) test -tags reliability -run '^TestKillSoak$$' -count=1 -v -timeout 10m ./cmd/baton

# The multi-node kill -9 scenarios on PostgreSQL repeated MULTINODE_RUNS
# times: three watchers, the leader killed with SIGKILL mid-task (a standby
# takes over), and a node that does not lead killed mid-task (its task ends
# as lost, the work goes on elsewhere); invariants from the tasks' own
# timestamps. `make test` runs them once; CI runs them this many times.
MULTINODE_RUNS ?= 10
multinode:
	$(GO) test -run '^TestNodes(AStandbyTakesOverWhenTheLeaderIsKilled|AWorkerKilledMidTaskIsLostAndTheWorkGoesOn)$$' -count=$(MULTINODE_RUNS) -timeout 20m ./cmd/baton
# The retention soak: a job every minute on a fake clock for SOAK_DAYS days
# with retention of one day; the state, the data dir and the heap must stay
# flat after day 1. About 40 s a simulated day.
SOAK_DAYS ?= 10
soak:
	BATON_SOAK_DAYS=$(SOAK_DAYS) $(GO) test -run TestSoak -v -count=1 -timeout 60m ./retention

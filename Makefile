# Targets used by developers and by .ci/run. `make test` is the one CI runs.
GO ?= go

.PHONY: all build test lint bench bench-nodes fmt reliability multinode soak

all: build

build:
	$(GO) build -o bin/baton ./cmd/baton

test:
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 20m ./...

lint:
	$(GO) vet ./...
	@out="$$(gofmt -l $$($(GO) list -f '{{.Dir}}' ./...))"; if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

# The side-by-side comparisons come first: the Go benchmarks remove tens of
# thousands of files when they end, and on ext4 without a journal the
# inodes freed in the last minutes make every new file slower to create
# (the kernel skips them), which would weigh on baton's data dirs alone.
bench:
	@if [ -x scripts/bench.sh ]; then scripts/bench.sh; elif [ -f scripts/bench.sh ]; then sh scripts/bench.sh; fi
	mkdir -p .benchtmp && TMPDIR=$(CURDIR)/.benchtmp $(GO) test -run '^$$' -bench . -benchmem ./...

# The multi-node benchmark: BENCH_NODE_TASKS tasks of 100 ms on a throwaway
# PostgreSQL cluster with 1 watcher node x 2 slots, then 3 nodes x 2 slots;
# prints both wall times, their throughput ratio and the fire -> start
# latency over PostgreSQL (p50/p99 of BENCH_NODE_SAMPLES runs). About two
# minutes at the default size; needs Debian's postgresql package.
BENCH_NODE_TASKS ?= 1000
BENCH_NODE_SAMPLES ?= 100
bench-nodes:
	mkdir -p .benchtmp
	$(GO) build -o .benchtmp/baton ./cmd/baton
	$(GO) build -o .benchtmp/benchnodes ./scripts/benchnodes
	BENCH_NODE_TASKS=$(BENCH_NODE_TASKS) BENCH_NODE_SAMPLES=$(BENCH_NODE_SAMPLES) .benchtmp/benchnodes -baton .benchtmp/baton

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

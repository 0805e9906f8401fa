package controller

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/baton-dev/baton/clock"
	"github.com/baton-dev/baton/executor"
	"github.com/baton-dev/baton/reconciler"
	"github.com/baton-dev/baton/spec"
	"github.com/baton-dev/baton/state"
	"github.com/baton-dev/baton/state/sqlite"
	"github.com/baton-dev/baton/token"
)

// startRecorder is the real process runner, noting when each task's
// process has started (its Start returned: the process was forked and
// exec'd) and which orchestration job it belongs to.
type startRecorder struct {
	executor.OSRunner
	mu     sync.Mutex
	starts []taskStart
	signal chan struct{}
	// due maps a scheduled job to the instant its schedule was due.
	due map[state.JobID]time.Time
	// tokenless counts the starts without an orchestration token.
	tokenless int
}

type taskStart struct {
	run state.JobID
	at  time.Time
}

func newStartRecorder() *startRecorder {
	return &startRecorder{signal: make(chan struct{}, 1), due: map[state.JobID]time.Time{}}
}

func (r *startRecorder) Start(ctx context.Context, c executor.Command) (executor.Process, error) {
	p, err := r.OSRunner.Start(ctx, c)
	now := time.Now()
	var run int64
	tokens := 0
	for _, kv := range c.Env {
		if v, ok := strings.CutPrefix(kv, "BATON_RUN_ID="); ok {
			fmt.Sscan(v, &run)
		}
		if strings.HasPrefix(kv, "BATON_TOKEN=bto_") {
			tokens++
		}
	}
	r.mu.Lock()
	if tokens == 0 {
		r.tokenless++
	}
	r.starts = append(r.starts, taskStart{state.JobID(run), now})
	r.mu.Unlock()
	select {
	case r.signal <- struct{}{}:
	default:
	}
	return p, err
}

func (r *startRecorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.starts)
}

// ScheduleFired notes the instant a scheduled job was due (executor.Observer).
func (r *startRecorder) ScheduleFired(j state.Job, due time.Time) {
	r.mu.Lock()
	r.due[j.ID] = due
	r.mu.Unlock()
}

func (r *startRecorder) JobChanged(state.Job, state.JobStatus) {}

// latencies are the times from the due instant of each scheduled job to
// its task's process start, leaving out the jobs due at the first
// instant (the controller's first round, with cold caches).
func (r *startRecorder) latencies() []time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	var first time.Time
	for _, at := range r.due {
		if first.IsZero() || at.Before(first) {
			first = at
		}
	}
	var out []time.Duration
	for _, s := range r.starts {
		if due, ok := r.due[s.run]; ok && due.After(first) {
			out = append(out, s.at.Sub(due))
		}
	}
	return out
}

func percentiles(d []time.Duration) (p50, p99 time.Duration) {
	slices.Sort(d)
	return d[len(d)/2], d[(len(d)*99)/100]
}

func latencyRig(b testing.TB, src string, rec *startRecorder) (*Controller, state.Store) {
	dir := b.TempDir()
	writeTestFile(b, filepath.Join(dir, "src", "a.hcl"), src)
	store, err := sqlite.Open(context.Background(), filepath.Join(dir, "state.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { store.Close() })
	source, err := reconciler.Open(reconciler.Options{Location: filepath.Join(dir, "src")})
	if err != nil {
		b.Fatal(err)
	}
	// Tasks get their orchestration's token and every apply makes the
	// tokens of new orchestrations, as under baton watch.
	tokens := &token.Service{Store: store, Clock: clock.Real(), Key: []byte(strings.Repeat("k", 32))}
	ex := executor.New(executor.Config{Store: store, Runner: rec, Observer: rec, JobsDir: filepath.Join(dir, "jobs"), Tokens: tokens.OrchestrationSecrets})
	return &Controller{Reconciler: &reconciler.Reconciler{Source: source, Store: store, Clock: clock.Real()}, Executor: ex, Clock: clock.Real(),
		AfterApply: func(ctx context.Context) error { return ensureTokens(ctx, tokens, store) }}, store
}

// ensureTokens makes the token of every applied orchestration that has none.
func ensureTokens(ctx context.Context, tokens *token.Service, store state.Store) error {
	names, err := state.AppliedNames(ctx, store, spec.KindOrchestration)
	if err != nil {
		return err
	}
	return tokens.EnsureOrchestrationTokens(ctx, names)
}

// BenchmarkScheduleDueToTaskStart: 20 orchestrations of one task with an
// @every 1s schedule, all due at the same instants, for 10 s after a first
// burst that is left out: 200 latencies from the instant a schedule was
// due (as the executor recorded it) to the start of its task's process.
// max_parallel_jobs lets all 20 run at once: the burst measures firing and
// starting, not waiting for slots. Goal: p99 <= 20 ms.
func BenchmarkScheduleDueToTaskStart(b *testing.B) {
	orchestrations := 20
	if v := os.Getenv("BENCH_FIRES_PER_SECOND"); v != "" {
		fmt.Sscan(v, &orchestrations)
	}
	var src strings.Builder
	fmt.Fprintf(&src, "project { max_parallel_jobs = %d }\n", orchestrations+12)
	for i := 0; i < orchestrations; i++ {
		fmt.Fprintf(&src, "configuration \"c%d\" { command = [\"true\"] }\norchestration \"o%d\" {\n  schedule {\n    cron = \"@every 1s\"\n  }\n  phase \"p\" {\n    task \"t\" { configuration = \"c%d\" }\n  }\n}\n", i, i, i)
	}
	const measured = 200
	for b.Loop() {
		rec := newStartRecorder()
		w, _ := latencyRig(b, src.String(), rec)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- w.Run(ctx) }()
		deadline := time.Now().Add(time.Duration(measured/orchestrations+30) * time.Second)
		for rec.count() < measured+orchestrations && time.Now().Before(deadline) {
			select {
			case <-rec.signal:
			case <-time.After(time.Second):
			}
		}
		cancel()
		<-done
		lat := rec.latencies()
		if rec.tokenless > 0 {
			b.Fatalf("%d tasks started without their orchestration's token", rec.tokenless)
		}
		if len(lat) < measured {
			b.Fatalf("only %d task starts of scheduled jobs after the first burst", len(lat))
		}
		p50, p99 := percentiles(lat[:measured])
		b.ReportMetric(float64(p50.Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(p99.Microseconds())/1000, "p99-ms")
	}
}

// BenchmarkTableTouchToTaskStart: 200 table updates reported by another
// process (state + wake file), each firing an event-triggered
// orchestration; latency from the report to the task's process start.
// Goal: p99 <= 20 ms.
func BenchmarkTableTouchToTaskStart(b *testing.B) {
	src := `configuration "c" { command = ["true"] }
orchestration "o" {
  trigger {
    tables = ["in.t"]
  }
  phase "p" {
    task "t" { configuration = "c" }
  }
}
`
	for b.Loop() {
		rec := newStartRecorder()
		w, store := latencyRig(b, src, rec)
		wake, stop, err := store.WatchWake(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		w.Wake = wake
		// Updates recorded before the trigger was applied do not fire it:
		// the first touch waits for the first reconcile.
		reconciled := make(chan error)
		w.Reconciled = reconciled
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- w.Run(ctx) }()
		if err := <-reconciled; err != nil {
			b.Fatal(err)
		}
		go func() {
			for range reconciled {
			}
		}()
		var lat []time.Duration
		for i := 0; i < 200; i++ {
			// Wait until the previous job ended, so each touch fires anew.
			for {
				jobs, _ := store.ListJobs(ctx, state.JobFilter{Kind: state.KindOrchestrationJob, Limit: 1})
				if len(jobs) == 0 || jobs[0].Status.Terminal() {
					break
				}
				time.Sleep(time.Millisecond)
			}
			select {
			case <-rec.signal:
			default:
			}
			t0 := time.Now()
			if err := store.RecordTableUpdates(ctx, state.TableUpdate{Table: "in.t", At: t0.UTC(), Source: "cli"}); err != nil {
				b.Fatal(err)
			}
			if err := store.Wake(ctx); err != nil {
				b.Fatal(err)
			}
			select {
			case <-rec.signal:
			case <-time.After(time.Minute):
				b.Fatalf("no task started after table update %d", i)
			}
			rec.mu.Lock()
			lat = append(lat, rec.starts[len(rec.starts)-1].at.Sub(t0))
			rec.mu.Unlock()
		}
		cancel()
		<-done
		close(reconciled)
		stop()
		p50, p99 := percentiles(lat)
		b.ReportMetric(float64(p50.Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(p99.Microseconds())/1000, "p99-ms")
	}
}

// BenchmarkIdleWatcherCPU: CPU time of a watcher with nothing due over
// BENCH_IDLE (default 60 s), as a share of one core. Goal: <= 0.1%.
func BenchmarkIdleWatcherCPU(b *testing.B) {
	idle := 60 * time.Second
	if v := os.Getenv("BENCH_IDLE"); v != "" {
		if d, err := time.ParseDuration(v); err == nil {
			idle = d
		}
	}
	src := `configuration "c" { command = ["true"] }
orchestration "o" {
  schedule {
    cron = "0 6 1 1 *"
  }
  phase "p" {
    task "t" { configuration = "c" }
  }
}
`
	for b.Loop() {
		w, _ := latencyRig(b, src, newStartRecorder())
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- w.Run(ctx) }()
		time.Sleep(time.Second) // let it settle after the first reconcile
		before := cpuTime()
		time.Sleep(idle)
		used := cpuTime() - before
		cancel()
		<-done
		b.ReportMetric(100*used.Seconds()/idle.Seconds(), "%core")
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

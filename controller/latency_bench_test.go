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
	"github.com/baton-dev/baton/state"
	"github.com/baton-dev/baton/state/sqlite"
)

// startRecorder is the real process runner, noting when each task's
// process has started.
type startRecorder struct {
	executor.OSRunner
	mu     sync.Mutex
	starts []time.Time
	signal chan struct{}
}

func (r *startRecorder) Start(ctx context.Context, c executor.Command) (executor.Process, error) {
	p, err := r.OSRunner.Start(ctx, c)
	now := time.Now()
	r.mu.Lock()
	r.starts = append(r.starts, now)
	r.mu.Unlock()
	select {
	case r.signal <- struct{}{}:
	default:
	}
	return p, err
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
	ex := executor.New(executor.Config{Store: store, Runner: rec, JobsDir: filepath.Join(dir, "jobs")})
	return &Controller{Reconciler: &reconciler.Reconciler{Source: source, Store: store, Clock: clock.Real()}, Executor: ex, Clock: clock.Real()}, store
}

// BenchmarkScheduleDueToTaskStart: 200 fires of @every 1s schedules (20
// orchestrations, 10 s); latency from the due instant to the task's
// process start. Goal: p99 <= 10 ms.
func BenchmarkScheduleDueToTaskStart(b *testing.B) {
	orchestrations := 20
	if v := os.Getenv("BENCH_FIRES_PER_SECOND"); v != "" {
		fmt.Sscan(v, &orchestrations)
	}
	var src strings.Builder
	src.WriteString("project { max_parallel_jobs = 32 }\n")
	for i := 0; i < orchestrations; i++ {
		fmt.Fprintf(&src, "configuration \"c%d\" { command = [\"true\"] }\norchestration \"o%d\" {\n  schedule {\n    cron = \"@every 1s\"\n  }\n  phase \"p\" {\n    task \"t\" { configuration = \"c%d\" }\n  }\n}\n", i, i, i)
	}
	for b.Loop() {
		rec := &startRecorder{signal: make(chan struct{}, 1)}
		w, _ := latencyRig(b, src.String(), rec)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- w.Run(ctx) }()
		deadline := time.Now().Add(time.Duration(200/orchestrations+30) * time.Second)
		for {
			rec.mu.Lock()
			n := len(rec.starts)
			rec.mu.Unlock()
			if n >= 200+orchestrations || time.Now().After(deadline) {
				break
			}
			<-rec.signal
		}
		cancel()
		<-done
		if len(rec.starts) < 200+orchestrations {
			b.Fatalf("only %d task starts", len(rec.starts))
		}
		var lat []time.Duration
		for _, s := range rec.starts[orchestrations : 200+orchestrations] { // skip the first second
			lat = append(lat, s.Sub(s.Truncate(time.Second)))
		}
		p50, p99 := percentiles(lat)
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
		rec := &startRecorder{signal: make(chan struct{}, 1)}
		w, store := latencyRig(b, src, rec)
		wake, stop, err := store.WatchWake(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		w.Wake = wake
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- w.Run(ctx) }()
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
				b.Fatal("no task started after a table update")
			}
			rec.mu.Lock()
			lat = append(lat, rec.starts[len(rec.starts)-1].Sub(t0))
			rec.mu.Unlock()
		}
		cancel()
		<-done
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
		w, _ := latencyRig(b, src, &startRecorder{signal: make(chan struct{}, 1)})
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

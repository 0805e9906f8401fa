package executor

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/baton-dev/baton/state"
)

// BenchmarkWidePhase runs 1000 tasks of /bin/true in one phase, two at a
// time: the executor's overhead per task on top of fork and exec. It
// reports where a slot's time goes, as means per task: starting the
// process (its tree, fork and exec), the process until it was reaped,
// and baton between the end of a task and the start of the next.
func BenchmarkWidePhase(b *testing.B) {
	r := &stageRunner{}
	benchOrchestration(b, 1000, 1, func(c *Config) { c.Runner = r })
	start, run, between := r.means()
	b.ReportMetric(float64(start.Nanoseconds())/1000, "start-µs")
	b.ReportMetric(float64(run.Nanoseconds())/1000, "run-µs")
	b.ReportMetric(float64(between.Nanoseconds())/1000, "between-µs")
}

// stageRunner is the real runner, timing each start, each process until
// it was reaped, and each slot's time from the end of one task to the
// start of the next (ends are taken by starts in the order they came).
type stageRunner struct {
	OSRunner
	mu                 sync.Mutex
	ends               []time.Time
	starts, runs, gaps []time.Duration
}

func (r *stageRunner) Start(ctx context.Context, c Command) (Process, error) {
	called := time.Now()
	p, err := r.OSRunner.Start(ctx, c)
	started := time.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.starts = append(r.starts, started.Sub(called))
	if len(r.ends) > 0 {
		r.gaps = append(r.gaps, called.Sub(r.ends[0]))
		r.ends = r.ends[1:]
	}
	if err != nil {
		return nil, err
	}
	return &stagedProcess{Process: p, r: r, started: started}, nil
}

type stagedProcess struct {
	Process
	r       *stageRunner
	started time.Time
}

func (p *stagedProcess) Wait() (int, error) {
	code, err := p.Process.Wait()
	ended := time.Now()
	p.r.mu.Lock()
	p.r.runs = append(p.r.runs, ended.Sub(p.started))
	p.r.ends = append(p.r.ends, ended)
	p.r.mu.Unlock()
	return code, err
}

// means are the averages: unlike medians, they add up to a slot's time
// per task, rare slow starts and rounds included.
func (r *stageRunner) means() (start, run, between time.Duration) {
	mean := func(d []time.Duration) time.Duration {
		if len(d) == 0 {
			return 0
		}
		var sum time.Duration
		for _, x := range d {
			sum += x
		}
		return sum / time.Duration(len(d))
	}
	return mean(r.starts), mean(r.runs), mean(r.gaps)
}

// BenchmarkWidePhaseWithoutProcesses runs the same 1000 tasks with a
// runner whose processes end at once: what baton itself spends per task
// (dispatch rounds, their transactions, data dir and config.json),
// without fork and exec, which dominate and vary with the machine.
func BenchmarkWidePhaseWithoutProcesses(b *testing.B) {
	benchOrchestration(b, 1000, 1, func(c *Config) { c.Runner = instantRunner{} })
}

// instantRunner starts no process; each "process" has ended when started.
type instantRunner struct{}

func (instantRunner) Start(context.Context, Command) (Process, error) { return instantProcess{}, nil }

type instantProcess struct{}

func (instantProcess) Wait() (int, error) { return 0, nil }
func (instantProcess) Stop(time.Duration) {}
func (instantProcess) PID() int           { return 0 }

// BenchmarkDeepPhases runs 100 phases of one task: the phase-to-phase cost.
func BenchmarkDeepPhases(b *testing.B) {
	benchOrchestration(b, 1, 100)
}

func benchOrchestration(b *testing.B, width, depth int, opts ...func(*Config)) {
	var s strings.Builder
	s.WriteString("project { max_parallel_jobs = 2 }\n")
	for i := 0; i < width; i++ {
		fmt.Fprintf(&s, "configuration \"c%d\" { command = [\"/bin/true\"] }\n", i)
	}
	s.WriteString("orchestration \"o\" {\n")
	for p := 0; p < depth; p++ {
		fmt.Fprintf(&s, "  phase \"p%d\" {\n", p)
		for i := 0; i < width; i++ {
			fmt.Fprintf(&s, "    task \"t%d-%d\" { configuration = \"c%d\" }\n", p, i, i)
		}
		s.WriteString("  }\n")
	}
	s.WriteString("}\n")
	e := newEnv(b, s.String(), opts...)
	b.ResetTimer()
	for b.Loop() {
		j := e.submit(Request{Orchestration: "o"})
		e.runIdle()
		if got := e.job(j.ID); got.Status != state.JobSuccess {
			b.Fatalf("job = %s", got.Status)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*width*depth), "µs/task")
}

// startSignal is the real runner, reporting each process start.
type startSignal struct {
	OSRunner
	started chan time.Time
}

func (r startSignal) Start(ctx context.Context, c Command) (Process, error) {
	p, err := r.OSRunner.Start(ctx, c)
	r.started <- time.Now()
	return p, err
}

// BenchmarkPickupByRunningExecutor: a job submitted by another process
// (an executor that does not run, as `baton run` with a watcher running)
// is picked up through the wake file. Reports submit -> process start.
// Target: 100 ms, at most 1 s.
func BenchmarkPickupByRunningExecutor(b *testing.B) {
	runner := startSignal{started: make(chan time.Time, 1)}
	e := newEnv(b, `
configuration "c" { command = ["true"] }
orchestration "o" {
  phase "p" {
    task "t" { configuration = "c" }
  }
}`, func(c *Config) { c.Runner = runner })
	other := New(e.cfg) // same state and wake file, never runs
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { _, err := e.exec.Run(ctx, RunOptions{}); done <- err }()
	defer func() { cancel(); <-done }()
	var lat []time.Duration
	for b.Loop() {
		j, err := other.Submit(context.Background(), Request{Orchestration: "o", Trigger: TriggerManual})
		if err != nil {
			b.Fatal(err)
		}
		t0 := time.Now()
		select {
		case at := <-runner.started:
			lat = append(lat, at.Sub(t0))
		case <-time.After(5 * time.Second):
			b.Fatalf("job %d was not picked up within 5 s", j.ID)
		}
		e.waitFor("job end", func() bool { return e.job(j.ID).Status.Terminal() })
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}

// BenchmarkWidePhaseOf5000WithoutProcesses is the same with 5000 tasks: a
// round after one task ended costs the same however long the line behind
// it is, so with the data dirs on tmpfs (TMPDIR=/dev/shm) the cost per
// task stays that of 1000; on a disk, making a directory may slow as the
// jobs dir grows.
func BenchmarkWidePhaseOf5000WithoutProcesses(b *testing.B) {
	benchOrchestration(b, 5000, 1, func(c *Config) { c.Runner = instantRunner{} })
}

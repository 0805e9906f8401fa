package retention

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/baton-dev/baton/clock"
	"github.com/baton-dev/baton/executor"
	"github.com/baton-dev/baton/hcl"
	"github.com/baton-dev/baton/state"
	"github.com/baton-dev/baton/state/sqlite"
)

// writingRunner runs no process: each task writes a line to its log and a
// file to its data dir, as a real task would, and exits 0 at once.
type writingRunner struct{}

func (writingRunner) Start(_ context.Context, c executor.Command) (executor.Process, error) {
	if _, err := io.WriteString(c.Log, "extracted 1000 rows\n"); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(c.Dir, "out.csv"), make([]byte, 4096), 0o600); err != nil {
		return nil, err
	}
	return doneProcess{}, nil
}

type doneProcess struct{}

func (doneProcess) Wait() (int, error) { return 0, nil }
func (doneProcess) Stop(time.Duration) {}
func (doneProcess) PID() int           { return 0 }

// soakRig is a state, an executor on a fake clock and a sweeper.
type soakRig struct {
	t       testing.TB
	dir     string
	store   state.Store
	clock   *clock.Fake
	exec    *executor.Executor
	sweeper *Sweeper
}

func newSoakRig(t testing.TB, src string, start time.Time) *soakRig {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	store, err := sqlite.Open(ctx, filepath.Join(dir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	s, diags := hcl.Parse([]hcl.File{{Name: "soak.hcl", Src: []byte(src)}})
	if diags.HasErrors() {
		t.Fatalf("%v", diags)
	}
	objs, err := s.Objects()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.ApplyRevision(ctx, state.Revision{Ref: "r1", Source: "test", AppliedAt: start}, objs); err != nil {
		t.Fatal(err)
	}
	fake := clock.NewFake(start)
	jobsDir := filepath.Join(dir, "jobs")
	ex := executor.New(executor.Config{Store: store, Clock: fake, Runner: writingRunner{}, JobsDir: jobsDir})
	return &soakRig{t: t, dir: dir, store: store, clock: fake, exec: ex, sweeper: &Sweeper{Store: store, JobsDir: jobsDir, Clock: fake}}
}

// minute advances the clock a minute, fires what is due and runs it.
func (r *soakRig) minute(ctx context.Context) {
	r.clock.Advance(time.Minute)
	if _, _, err := r.exec.FireDue(ctx, r.clock.Now()); err != nil {
		r.t.Fatal(err)
	}
	if _, err := r.exec.Run(ctx, executor.RunOptions{UntilIdle: true}); err != nil {
		r.t.Fatal(err)
	}
}

func (r *soakRig) sweep(ctx context.Context) Report {
	policy, err := PolicyOf(ctx, r.store)
	if err != nil {
		r.t.Fatal(err)
	}
	rep, err := r.sweeper.Sweep(ctx, policy, false)
	if err != nil {
		r.t.Fatal(err)
	}
	return rep
}

// footprint is what the soak watches.
type footprint struct {
	jobs      int
	stateSize int64 // the database file and its WAL
	dataSize  int64 // job data dirs and logs
	files     int
	heap      uint64
}

func (r *soakRig) footprint(ctx context.Context) footprint {
	jobs, err := r.store.ListJobs(ctx, state.JobFilter{})
	if err != nil {
		r.t.Fatal(err)
	}
	entries, _ := os.ReadDir(r.sweeper.JobsDir)
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return footprint{
		jobs:      len(jobs),
		stateSize: size(filepath.Join(r.dir, "state.db")) + size(filepath.Join(r.dir, "state.db-wal")),
		dataSize:  size(r.sweeper.JobsDir),
		files:     len(entries),
		heap:      ms.HeapAlloc,
	}
}

const everyMinute = `project {
  retention {
    jobs = "1d"
    logs = "1d"
  }
}
configuration "extract" { command = ["extract"] }
orchestration "every-minute" {
  schedule { cron = "* * * * *" }
  phase "p" {
    task "t" { configuration = "extract" }
  }
}
`

// soakDays is how many days the soak runs: BATON_SOAK_DAYS (make soak
// runs 10; CI runs 3, enough to see it flat after day 1).
func soakDays(t testing.TB) int {
	if v := os.Getenv("BATON_SOAK_DAYS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 3 {
			t.Fatalf("BATON_SOAK_DAYS=%q: give a number of days, at least 3", v)
		}
		return n
	}
	t.Skip("the retention soak runs thousands of jobs (about 40 s a simulated day): make soak runs it")
	return 0
}

// A job every minute for days, retention one day, swept hourly: after day
// 1 the jobs, the state file, the data dir and the heap stay flat.
func TestSoakRetentionKeepsStateDataAndMemoryFlat(t *testing.T) {
	days := soakDays(t)
	ctx := context.Background()
	r := newSoakRig(t, everyMinute, time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC))
	var daily []footprint
	for day := 1; day <= days; day++ {
		for m := 0; m < 24*60; m++ {
			r.minute(ctx)
			if m%60 == 59 {
				r.sweep(ctx)
			}
		}
		f := r.footprint(ctx)
		daily = append(daily, f)
		t.Logf("day %2d: %5d jobs, state %7.1f KiB, data %7.1f KiB in %d entries, heap %6.1f MiB",
			day, f.jobs, float64(f.stateSize)/1024, float64(f.dataSize)/1024, f.files, float64(f.heap)/(1<<20))
	}
	// Day 1 has not expired anything yet; from day 2 on, each day deletes
	// as much as it adds. Allow a little for page reuse and the heap's
	// noise, never growth in proportion to the days.
	base := daily[1]
	for i, f := range daily[2:] {
		day := i + 3
		if f.jobs > base.jobs+100 {
			t.Errorf("day %d: %d jobs, day 2 had %d", day, f.jobs, base.jobs)
		}
		if f.stateSize > base.stateSize*5/4 {
			t.Errorf("day %d: state %d bytes, day 2 had %d", day, f.stateSize, base.stateSize)
		}
		if f.dataSize > base.dataSize*5/4 || f.files > base.files+200 {
			t.Errorf("day %d: data %d bytes in %d entries, day 2 had %d in %d", day, f.dataSize, f.files, base.dataSize, base.files)
		}
		if f.heap > base.heap*3/2+4<<20 {
			t.Errorf("day %d: heap %d bytes, day 2 had %d", day, f.heap, base.heap)
		}
	}
}

package executor

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/baton-dev/baton/state"
	"github.com/baton-dev/baton/state/sqlite"
)

// writeLog is a state that notes how jobs are written.
type writeLog struct {
	state.Store
	mu      sync.Mutex
	creates int
	rounds  []round
}

type round struct {
	sets []state.NewJobSet
	ts   []state.JobTransition
}

func (w *writeLog) CreateJobs(ctx context.Context, sets []state.NewJobSet) ([]state.Job, error) {
	w.mu.Lock()
	w.creates++
	w.mu.Unlock()
	return w.Store.CreateJobs(ctx, sets)
}

func (w *writeLog) RecordRound(ctx context.Context, sets []state.NewJobSet, ts []state.JobTransition) error {
	err := w.Store.RecordRound(ctx, sets, ts)
	if err == nil && len(sets) > 0 {
		w.mu.Lock()
		w.rounds = append(w.rounds, round{slices.Clone(sets), slices.Clone(ts)})
		w.mu.Unlock()
	}
	return err
}

// Schedules due at the same instant, with the executor running: their
// jobs, the fires and the start of the jobs and their first tasks are
// stored in one transaction, and the instant fires once.
func TestJobsDueTogetherAreStoredWithTheirStartInOneWrite(t *testing.T) {
	dir := t.TempDir()
	inner, err := sqlite.Open(context.Background(), filepath.Join(dir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	log := &writeLog{Store: inner}
	var src strings.Builder
	src.WriteString("configuration \"c\" { command = [\"true\"] }\n")
	for _, o := range []string{"a", "b", "c"} {
		fmt.Fprintf(&src, "orchestration %q {\n  schedule { cron = \"0 * * * *\" }\n  phase \"p\" {\n    task \"t\" { configuration = \"c%s\" }\n  }\n}\nconfiguration \"c%s\" { command = [\"true\"] }\n", o, o, o)
	}
	e := newEnvOn(t, dir, log, src.String(), func(c *Config) { c.MaxParallel = 8 })
	e.runBackground()
	e.waitFor("the executor to take new jobs", func() bool { return e.exec.creations.Load() != nil })
	ctx := context.Background()
	t0 := time.Date(2026, 11, 25, 7, 30, 0, 0, time.UTC)
	if _, _, err := e.exec.FireDue(ctx, t0); err != nil {
		t.Fatal(err)
	}
	jobs, _, err := e.exec.FireDue(ctx, t0.Add(time.Hour))
	if err != nil || len(jobs) != 3 {
		t.Fatalf("FireDue = %v, %v; want a job of each orchestration", jobs, err)
	}
	if again, _, err := e.exec.FireDue(ctx, t0.Add(time.Hour)); err != nil || len(again) != 0 {
		t.Errorf("FireDue at the same instant again = %v, %v; want nothing: an instant fires once", again, err)
	}
	for _, j := range jobs {
		e.waitFor(fmt.Sprintf("job %d to end", j.ID), func() bool { return e.job(j.ID).Status.Terminal() })
		if got := e.job(j.ID); got.Status != state.JobSuccess {
			t.Errorf("job of %s ended %s (%s)", got.Orchestration, got.Status, statuses(got))
		}
	}
	log.mu.Lock()
	defer log.mu.Unlock()
	if log.creates != 0 || len(log.rounds) != 1 {
		t.Fatalf("jobs written in %d creations and %d rounds, want one round", log.creates, len(log.rounds))
	}
	r := log.rounds[0]
	started := map[state.JobID]bool{}
	for _, tr := range r.ts {
		if tr.Update.Status == state.JobProcessing {
			started[tr.ID] = true
		}
	}
	if len(r.sets) != 3 {
		t.Fatalf("round has %d new jobs, want 3", len(r.sets))
	}
	for _, set := range r.sets {
		if len(set.Fires) != 1 {
			t.Errorf("job of %s stored with fires %v, want its schedule's fire", set.Orchestration.Orchestration, set.Fires)
		}
		for _, n := range append([]state.NewJob{set.Orchestration}, set.Tasks...) {
			if !started[n.ID] {
				t.Errorf("job %d (%s %s) was not started in the round that stored it", n.ID, n.Orchestration, n.Task)
			}
		}
	}
}

package executor

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/baton-dev/baton/state"
	"github.com/baton-dev/baton/state/sqlite"
)

// readLog is a state that counts the reads recovery and loading make.
type readLog struct {
	state.Store
	jobs, active atomic.Int32
}

func (r *readLog) Job(ctx context.Context, id state.JobID) (state.Job, error) {
	r.jobs.Add(1)
	return r.Store.Job(ctx, id)
}

func (r *readLog) ActiveJobs(ctx context.Context) ([]state.Job, error) {
	r.active.Add(1)
	return r.Store.ActiveJobs(ctx)
}

func (r *readLog) ActiveJobStatuses(ctx context.Context) ([]state.Job, error) {
	r.active.Add(1)
	return r.Store.ActiveJobStatuses(ctx)
}

// handOffSrc is an orchestration whose tasks each append their name to
// $T/ran, so a test sees which tasks ran and how often.
const handOffSrc = `
configuration "a" { command = ["sh", "-c", "echo a >> $T/ran"] }
configuration "b" { command = ["sh", "-c", "echo b >> $T/ran"] }
configuration "c" { command = ["sh", "-c", "echo c >> $T/ran"] }
orchestration "o" {
  phase "p" {
    task "a" { configuration = "a" }
    task "b" { configuration = "b" }
    task "c" { configuration = "c" }
  }
}
`

func ranLines(t *testing.T, dir string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "ran"))
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.Fields(string(b))
}

// A job submitted in this process before its executor runs is handed to
// the dispatcher as recorded: recovery reads the list of active jobs once,
// and neither it nor the first look for new jobs reads the job back.
func TestJobSubmittedHereIsRunWithoutReadingItBack(t *testing.T) {
	dir := t.TempDir()
	inner, err := sqlite.Open(context.Background(), filepath.Join(dir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	reads := &readLog{Store: inner}
	e := newEnvOn(t, dir, reads, handOffSrc, func(c *Config) { c.Store = reads })
	j := e.submit(Request{Orchestration: "o"})
	reads.jobs.Store(0)
	reads.active.Store(0)
	e.runIdle()
	jobReads, activeReads := reads.jobs.Load(), reads.active.Load()
	if got := e.job(j.ID); got.Status != state.JobSuccess {
		t.Fatalf("job = %s (%s), want success", got.Status, statuses(got))
	}
	if jobReads != 0 {
		t.Errorf("the executor read a job %d times; the job it was handed needs no read", jobReads)
	}
	if activeReads != 1 {
		t.Errorf("the executor read the active jobs %d times, want once (recovery)", activeReads)
	}
	if got := ranLines(t, dir); len(got) != 3 {
		t.Errorf("tasks ran %v, want a, b and c once each", got)
	}
}

// A job recorded by a process that is then gone before its dispatcher took
// it (killed between the two) is run, once, by the next executor of the
// state; the process that recorded it, should it run later, finds it ended
// and runs nothing again.
func TestJobRecordedByAProcessGoneBeforeItsDispatcherRunsOnce(t *testing.T) {
	e := newEnv(t, handOffSrc)
	j := e.submit(Request{Orchestration: "o"})
	next, err := sqlite.Open(context.Background(), filepath.Join(e.dir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { next.Close() })
	cfg := e.cfg
	cfg.Store = next
	restarted := New(cfg)
	if _, err := restarted.Run(context.Background(), RunOptions{UntilIdle: true}); err != nil {
		t.Fatal(err)
	}
	if got := e.job(j.ID); got.Status != state.JobSuccess {
		t.Fatalf("job after the restart = %s (%s), want success", got.Status, statuses(got))
	}
	e.runIdle() // the first process, which still holds the job it recorded
	if got := ranLines(t, e.dir); len(got) != 3 {
		t.Errorf("tasks ran %v, want a, b and c once each", got)
	}
}

// A job handed over but changed in the state before the dispatcher took
// it (another process cancelled it, or one of its tasks) runs as the state
// says, not as it was handed over.
func TestHandedOverJobChangedMeanwhileRunsAsTheStateSays(t *testing.T) {
	cancels := map[string]func(e *env, id state.JobID) error{
		"the job cancelled by another process": func(e *env, id state.JobID) error {
			_, err := e.other().Cancel(context.Background(), id)
			return err
		},
		"the job's cancel only requested": func(e *env, id state.JobID) error {
			_, err := e.store.RequestCancel(context.Background(), id)
			return err
		},
	}
	for name, cancel := range cancels {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, handOffSrc)
			j := e.submit(Request{Orchestration: "o"})
			if err := cancel(e, j.ID); err != nil {
				t.Fatal(err)
			}
			e.runIdle()
			if got := e.job(j.ID); got.Status != state.JobCancelled {
				t.Errorf("job = %s, want cancelled", got.Status)
			}
			if got := ranLines(t, e.dir); len(got) != 0 {
				t.Errorf("tasks of a cancelled job ran: %v", got)
			}
		})
	}
	t.Run("one task cancelled", func(t *testing.T) {
		e := newEnv(t, handOffSrc)
		j := e.submit(Request{Orchestration: "o"})
		if _, err := e.other().CancelTask(context.Background(), taskByName(j, "b").ID); err != nil {
			t.Fatal(err)
		}
		e.runIdle()
		got := e.job(j.ID)
		if b := taskByName(got, "b"); b.Status != state.JobCancelled {
			t.Errorf("task b = %s, want cancelled (%s)", b.Status, statuses(got))
		}
		if ran := strings.Join(ranLines(t, e.dir), " "); strings.Contains(ran, "b") || len(ranLines(t, e.dir)) != 2 {
			t.Errorf("tasks ran %q, want a and c only", ran)
		}
	})
}

// other is an executor of another process on the same state file.
func (e *env) other() *Executor {
	e.t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(e.dir, "state.db"))
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { st.Close() })
	cfg := e.cfg
	cfg.Store = st
	return New(cfg)
}

// The jobs Run returns are the jobs as the state has them once they
// ended, tasks and all (a follower in the same process shows them without
// reading them back): successes, failures with their exit codes, tasks
// skipped for an earlier failure or not selected, warnings, children and
// timeouts alike.
func TestEndedJobsAreReturnedAsStored(t *testing.T) {
	e := newEnv(t, `
configuration "ok"   { command = ["true"] }
configuration "bad"  { command = ["sh", "-c", "echo oops; exit 3"] }
configuration "slow" {
  command = ["sleep", "30"]
  timeout = "50ms"
}
orchestration "child" {
  phase "p" {
    task "t" { configuration = "ok" }
  }
}
orchestration "mixed" {
  phase "first" {
    task "a" { configuration = "ok" }
    task "b" {
      configuration = "bad"
      continue_on_failure = true
    }
    task "c" { orchestration = "child" }
    task "off" {
      configuration = "ok"
      enabled = false
    }
  }
  phase "second" {
    task "d" { configuration = "bad" }
    task "e" { configuration = "slow" }
  }
  phase "never" {
    task "f" { configuration = "ok" }
  }
}
orchestration "cancelled" {
  phase "p" {
    task "long" { configuration = "long" }
    task "later" { configuration = "long" }
  }
}
configuration "long" { command = ["sleep", "30"] }
orchestration "selected" {
  phase "p" {
    task "x" { configuration = "ok" }
    task "y" { configuration = "ok" }
  }
}
`)
	e.submit(Request{Orchestration: "mixed"})
	e.submit(Request{Orchestration: "selected", Only: []string{"x"}})
	c := e.submit(Request{Orchestration: "cancelled"})
	type result struct {
		ended []state.Job
		err   error
	}
	done := make(chan result, 1)
	go func() {
		ended, err := e.exec.Run(context.Background(), RunOptions{UntilIdle: true})
		done <- result{ended, err}
	}()
	e.waitFor("a task of the job to cancel runs", func() bool {
		return taskByName(e.job(c.ID), "long").Status == state.JobProcessing
	})
	if _, err := e.exec.Cancel(context.Background(), c.ID); err != nil {
		t.Fatal(err)
	}
	res := <-done
	if res.err != nil {
		t.Fatal(res.err)
	}
	ended := res.ended
	if len(ended) != 3 {
		t.Fatalf("Run returned %d jobs, want the 3 submitted", len(ended))
	}
	for _, got := range ended {
		stored := e.job(got.ID)
		if !sameJob(got, stored) {
			t.Errorf("Run returned job %d as\n%s\nthe state has it as\n%s", got.ID, jobJSON(t, got), jobJSON(t, stored))
		}
	}
}

// sameJob compares every field of two jobs and their tasks, times by
// their instant, except the cancel requests that only the state records.
func sameJob(a, b state.Job) bool {
	return reflect.DeepEqual(byInstant(a), byInstant(b))
}

func byInstant(j state.Job) state.Job {
	j.CancelRequested = false
	for _, tm := range []*time.Time{&j.CreatedAt, &j.StartedAt, &j.FinishedAt} {
		if !tm.IsZero() {
			*tm = time.Unix(0, tm.UnixNano()).UTC()
		}
	}
	tasks := j.Tasks
	j.Tasks = nil
	for _, t := range tasks {
		j.Tasks = append(j.Tasks, byInstant(t))
	}
	return j
}

func jobJSON(t *testing.T, j state.Job) string {
	t.Helper()
	b, err := json.MarshalIndent(struct {
		state.Job
		PID             int
		LogPath         string
		CancelRequested bool
		Selected        bool
		SerialKey       string
		Spec            string
	}{j, j.PID, j.LogPath, j.CancelRequested, j.Selected, j.SerialKey, string(j.Spec)}, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

package executor

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/baton-dev/baton/retention"
	"github.com/baton-dev/baton/state"
	"github.com/baton-dev/baton/state/sqlite"
)

// heldRound is a state whose rounds that store new jobs wait until the
// test lets them go.
type heldRound struct {
	state.Store
	entered chan struct{}
	release chan struct{}
}

func (h *heldRound) RecordRound(ctx context.Context, sets []state.NewJobSet, ts []state.JobTransition) error {
	if len(sets) > 0 {
		h.entered <- struct{}{}
		<-h.release
	}
	return h.Store.RecordRound(ctx, sets, ts)
}

// A retention sweep that runs while a new job is being stored keeps the
// data dir its task was given beside the round's transaction: the state
// does not know the job yet, but its task starts in that dir once the
// round is stored. Without the executor saying so, the sweep takes the dir
// for the leftover of a job that no longer exists.
func TestARetentionSweepKeepsTheDataDirsOfJobsNotStoredYet(t *testing.T) {
	dir := t.TempDir()
	inner, err := sqlite.Open(context.Background(), filepath.Join(dir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	held := &heldRound{Store: inner, entered: make(chan struct{}), release: make(chan struct{})}
	e := newEnvOn(t, dir, held, `
configuration "c" { command = ["sh", "-c", "test -f \"$BATON_DATA_DIR/config.json\""] }
orchestration "o" {
  phase "p" {
    task "t" { configuration = "c" }
  }
}`)
	e.runBackground()
	e.waitFor("the executor to take new jobs", func() bool { return e.exec.creations.Load() != nil })
	submitted := make(chan state.Job, 1)
	go func() { submitted <- e.submit(Request{Orchestration: "o"}) }()
	<-held.entered
	var taskDir string
	e.waitFor("the task's data dir to be prepared", func() bool {
		names, _ := filepath.Glob(filepath.Join(e.cfg.JobsDir, "*", "config.json"))
		if len(names) == 1 {
			taskDir = filepath.Dir(names[0])
		}
		return taskDir != ""
	})
	sweep := func(unstored func(state.JobID) bool, dryRun bool) retention.Report {
		sw := &retention.Sweeper{Store: inner, JobsDir: e.cfg.JobsDir, Unstored: unstored}
		r, err := sw.Sweep(context.Background(), retention.Policy{Jobs: time.Hour, Logs: time.Hour}, dryRun)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	if r := sweep(nil, true); r.Files == 0 {
		t.Fatal("a sweep that does not ask the executor would keep the dir: the test shows nothing")
	}
	if r := sweep(e.exec.Unstored, false); r.Files != 0 {
		t.Errorf("the sweep removed %d files while the job was being stored", r.Files)
	}
	if _, err := os.Stat(filepath.Join(taskDir, "config.json")); err != nil {
		t.Fatalf("the task's config.json is gone: %v", err)
	}
	close(held.release)
	j := <-submitted
	e.waitFor("the job to end", func() bool { return e.job(j.ID).Status.Terminal() })
	if got := e.job(j.ID); got.Status != state.JobSuccess {
		t.Errorf("job = %s (%s), want success: its task found its config.json", got.Status, statuses(got))
	}
	if e.exec.Unstored(j.ID) || e.exec.Unstored(j.Tasks[0].ID) {
		t.Error("the job is still counted unstored after its round was stored")
	}
}

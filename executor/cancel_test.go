package executor

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/baton-dev/baton/state"
)

const twoTasksHCL = `
configuration "block" { command = ["sh", "-c", "trap 'exit 143' TERM; touch $T/started; while :; do sleep 0.05; done"] }
configuration "other" { command = ["sh", "-c", "trap 'exit 143' TERM; touch $T/other; while [ ! -e $T/release ]; do sleep 0.05; done"] }
configuration "ok" { command = ["true"] }
orchestration "o" {
  phase "p" {
    task "t" { configuration = "block" }
    task "v" { configuration = "other" }
  }
  phase "q" {
    task "u" { configuration = "ok" }
  }
}`

// Cancelling a task job's id does not silently cancel nothing (or
// everything): it says whose task it is and asks for that id or --task.
func TestCancelOfATaskJobSaysItIsATaskOfItsJob(t *testing.T) {
	e := newEnv(t, twoTasksHCL)
	j := e.submit(Request{Orchestration: "o"})
	e.runBackground()
	e.waitFor("task started", func() bool { _, err := os.Stat(filepath.Join(e.dir, "started")); return err == nil })
	task := taskByName(e.job(j.ID), "t")
	_, err := e.exec.Cancel(context.Background(), task.ID)
	if !errors.Is(err, ErrTaskJob) || !strings.Contains(err.Error(), "of job ") || !strings.Contains(err.Error(), "--task") {
		t.Fatalf("cancel of task job: %v, want it to name the orchestration job and --task", err)
	}
	if got := e.job(j.ID); got.Status != state.JobProcessing || got.CancelRequested {
		t.Fatalf("the job was touched: %s cancel_requested=%v", got.Status, got.CancelRequested)
	}
	// --task cancels only that task; the job goes on as after a failure.
	if _, err := e.exec.CancelTask(context.Background(), task.ID); err != nil {
		t.Fatal(err)
	}
	e.waitFor("task to end", func() bool { return e.job(task.ID).Status.Terminal() })
	if s := e.job(task.ID).Status; s != state.JobCancelled {
		t.Fatalf("task = %s, want cancelled", s)
	}
	if s := taskByName(e.job(j.ID), "v").Status; s.Terminal() {
		t.Fatalf("the other task of the phase was stopped: %s", s)
	}
	if err := os.WriteFile(filepath.Join(e.dir, "release"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	e.waitFor("job to end", func() bool { return e.job(j.ID).Status.Terminal() })
	got := e.job(j.ID)
	if got.Status != state.JobError || taskByName(got, "v").Status != state.JobSuccess || taskByName(got, "u").Status != state.JobSkipped {
		t.Errorf("job = %s (%s), want error with v success and u skipped", got.Status, statuses(got))
	}
}

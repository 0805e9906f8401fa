package executor

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/baton-dev/baton/state"
)

// A waiting job or task says in its message what it waits for: the job
// that holds its orchestration or configuration (by id), or the parallel
// limit. Once it runs, the message is gone.
func TestWaitingJobsSayWhatTheyWaitFor(t *testing.T) {
	e := newEnv(t, `
project { max_parallel_jobs = 2 }
configuration "block" { command = ["sh", "-c", "`+waitFile+`", "sh", "release"] }
configuration "other" { command = ["sh", "-c", "`+waitFile+`", "sh", "release"] }
configuration "third" { command = ["sh", "-c", "`+waitFile+`", "sh", "release"] }
orchestration "o" {
  phase "p" {
    task "t" { configuration = "block" }
  }
}
orchestration "shares" {
  phase "p" {
    task "s" { configuration = "block" }
    task "x" { configuration = "other" }
    task "y" { configuration = "third" }
  }
}`)
	first := e.submit(Request{Orchestration: "o"})
	second := e.submit(Request{Orchestration: "o"})
	e.runBackground()
	e.waitFor("first job processing", func() bool { return taskByName(e.job(first.ID), "t").Status == state.JobProcessing })
	shares := e.submit(Request{Orchestration: "shares"})
	holder := taskByName(e.job(first.ID), "t")
	e.waitFor("the tasks of shares to wait", func() bool {
		j := e.job(shares.ID)
		return taskByName(j, "s").Status == state.JobWaiting && (taskByName(j, "x").Status == state.JobWaiting || taskByName(j, "y").Status == state.JobWaiting)
	})
	if m := e.job(second.ID).Message; e.job(second.ID).Status != state.JobWaiting || !strings.Contains(m, fmt.Sprintf("job %d of the orchestration", first.ID)) {
		t.Errorf("second job of o: %s %q, want waiting for job %d", e.job(second.ID).Status, m, first.ID)
	}
	j := e.job(shares.ID)
	if m := taskByName(j, "s").Message; !strings.Contains(m, fmt.Sprintf("job %d (task \"t\" of job %d)", holder.ID, first.ID)) || !strings.Contains(m, `"block"`) {
		t.Errorf("task s: %q, want waiting for task job %d of job %d (configuration block)", m, holder.ID, first.ID)
	}
	var slot state.Job
	for _, name := range []string{"x", "y"} {
		if tj := taskByName(j, name); tj.Status == state.JobWaiting {
			slot = tj
		}
	}
	if !strings.Contains(slot.Message, "free slot") || !strings.Contains(slot.Message, "max_parallel_jobs") {
		t.Errorf("task %s: %q, want waiting for the parallel limit", slot.Task, slot.Message)
	}
	if err := os.WriteFile(filepath.Join(e.dir, "release"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	e.waitFor("all jobs to end", func() bool {
		return e.job(first.ID).Status.Terminal() && e.job(second.ID).Status.Terminal() && e.job(shares.ID).Status.Terminal()
	})
	for _, id := range []state.JobID{second.ID, shares.ID} {
		got := e.job(id)
		if got.Status != state.JobSuccess || strings.Contains(got.Message, "waiting") {
			t.Errorf("job %d: %s %q, want success without the waiting reason", id, got.Status, got.Message)
		}
		for _, tj := range got.Tasks {
			if strings.Contains(tj.Message, "waiting") {
				t.Errorf("task %s kept its waiting reason: %q", tj.Task, tj.Message)
			}
		}
	}
}

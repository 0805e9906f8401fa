package executor

import (
	"context"
	"testing"
	"time"

	"github.com/baton-dev/baton/state"
)

// A job recorded by this process outside the dispatcher (a cluster's
// leader, or an orchestration that runs another) reaches the dispatcher
// twice: through the look at the state that its wake-up or any other
// brings, and through the submitter's own notice. When the look comes
// first and the job has already ended by the time the notice arrives (a
// submitter that waited for a core), the notice must not run the job
// again: its start would contradict the state, and the executor stopped
// on that.
func TestALateNoticeOfAJobThatAlreadyRanIsIgnored(t *testing.T) {
	e := newEnv(t, `
configuration "c" { command = ["true"] }
orchestration "o" {
  phase "p" {
    task "t" { configuration = "c" }
  }
}`)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := e.exec.Run(ctx, RunOptions{Grace: time.Second})
		done <- err
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	e.waitFor("the executor to run", func() bool { return e.exec.active.Load() })
	s, revision, err := e.exec.applied(ctx)
	if err != nil {
		t.Fatal(err)
	}
	orch, tasks, err := buildJob(s, revision, Request{Orchestration: "o", Trigger: TriggerManual}, e.cfg.Clock.Now().UTC())
	if err != nil {
		t.Fatal(err)
	}
	created, err := e.store.CreateJobs(ctx, []state.NewJobSet{{Orchestration: orch, Tasks: tasks}})
	if err != nil {
		t.Fatal(err)
	}
	job := created[0]
	if err := e.store.Wake(ctx); err != nil {
		t.Fatal(err)
	}
	e.waitFor("the job to run from the look at the state", func() bool { return e.job(job.ID).Status.Terminal() })
	e.exec.notify(ctx, event{kind: evSubmitted, jobID: job.ID, job: job})
	// A job after the notice shows the dispatcher went past it.
	after := e.submit(Request{Orchestration: "o"})
	var stopped error
	e.waitFor("the next job to end", func() bool {
		select {
		case stopped = <-done:
			return true
		default:
			return e.job(after.ID).Status.Terminal()
		}
	})
	if stopped != nil {
		done <- stopped
		t.Fatalf("the executor stopped on the late notice: %v", stopped)
	}
	if got := e.job(job.ID); got.Status != state.JobSuccess {
		t.Errorf("job = %s (%s), want success, run once", got.Status, statuses(got))
	}
}

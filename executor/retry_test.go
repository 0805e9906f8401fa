package executor

import (
	"context"
	"strings"
	"testing"

	"github.com/baton-dev/baton/state"
)

// Retrying a retry computes the default selection over the whole lineage:
// a task that succeeded in any job of the chain is not selected.
func TestRetryOfARetryNeverRerunsATaskThatSucceededInTheChain(t *testing.T) {
	e := newEnv(t, outcomesHCL)
	ctx := context.Background()
	first := e.submit(Request{Orchestration: "error"})
	e.runIdle()
	retry1, err := e.exec.Retry(ctx, first.ID, nil, "test")
	if err != nil {
		t.Fatal(err)
	}
	e.runIdle()
	if s := taskByName(e.job(retry1.ID), "slow"); s.Status != state.JobSkipped {
		t.Fatalf("first retry ran slow: %s", s.Status)
	}
	retry2, err := e.exec.Retry(ctx, retry1.ID, nil, "test")
	if err != nil {
		t.Fatal(err)
	}
	e.runIdle()
	got := e.job(retry2.ID)
	if s := taskByName(got, "slow"); s.Status != state.JobSkipped || s.Message != reasonDeselected {
		t.Errorf("retry of a retry reran slow, which succeeded in the first job: %s %q", s.Status, s.Message)
	}
	if s := taskByName(got, "fail"); s.Status != state.JobError {
		t.Errorf("failed task was not retried: %s", s.Status)
	}
}

func TestRetrySelectionKeepsOutcomesOfTasksARetryDidNotSelect(t *testing.T) {
	task := func(name string, phase int, st state.JobStatus, msg string) state.Job {
		return state.Job{Task: name, PhaseIndex: phase, Status: st, Message: msg}
	}
	first := state.Job{Tasks: []state.Job{
		task("a", 0, state.JobError, ""), task("b", 0, state.JobError, ""),
		task("c", 1, state.JobSkipped, reasonPhaseFailed),
	}}
	// The retry ran only a (--tasks a), which succeeded; b keeps its error.
	retry := state.Job{Tasks: []state.Job{
		task("a", 0, state.JobSuccess, ""), task("b", 0, state.JobSkipped, reasonDeselected),
		task("c", 1, state.JobSkipped, reasonDeselected),
	}}
	if got := strings.Join(RetrySelection(retry, first), ","); got != "b,c" {
		t.Errorf("selection = %s, want b,c (b failed in the first job and never succeeded)", got)
	}
	// Without the lineage, a task a manual run skipped in a phase that
	// succeeded stays unselected.
	manual := state.Job{Tasks: []state.Job{
		task("a", 0, state.JobSuccess, ""), task("x", 0, state.JobSkipped, reasonDeselected),
		task("c", 1, state.JobError, ""),
	}}
	if got := strings.Join(RetrySelection(manual), ","); got != "c" {
		t.Errorf("selection = %s, want c", got)
	}
}

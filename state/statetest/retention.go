package statetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/baton-dev/baton/state"
)

// endJob runs a job and its tasks to success, ending at end.
func endJob(t *testing.T, s state.Store, j state.Job, end time.Time) {
	t.Helper()
	ctx := context.Background()
	for _, id := range append([]state.JobID{j.ID}, taskIDs(j)...) {
		if err := s.UpdateJob(ctx, id, []state.JobStatus{state.JobCreated}, state.JobUpdate{Status: state.JobProcessing, StartedAt: end.Add(-time.Minute)}); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range append(taskIDs(j), j.ID) {
		if err := s.UpdateJob(ctx, id, []state.JobStatus{state.JobProcessing}, state.JobUpdate{Status: state.JobSuccess, FinishedAt: end}); err != nil {
			t.Fatal(err)
		}
	}
}

func taskIDs(j state.Job) []state.JobID {
	var out []state.JobID
	for _, task := range j.Tasks {
		out = append(out, task.ID)
	}
	return out
}

func createJob(t *testing.T, s state.Store, nj state.NewJob, tasks int) state.Job {
	t.Helper()
	var ts []state.NewJob
	for i := range tasks {
		ts = append(ts, state.NewJob{Kind: state.KindTaskJob, Orchestration: nj.Orchestration, Phase: "p", TaskIndex: i, Task: string(rune('a' + i)), Configuration: "c", SerialKey: "configuration:c", Status: state.JobCreated, CreatedAt: nj.CreatedAt, Selected: true})
	}
	nj.Kind, nj.SerialKey, nj.Status, nj.Selected = state.KindOrchestrationJob, "orchestration:"+nj.Orchestration, state.JobCreated, true
	j, err := s.CreateJob(context.Background(), nj, ts)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

// testRetentionKeepsLastRunningAndRetriedJobs: retention deletes ended
// jobs with their tasks, nested runs and notifications, in batches; it
// keeps the last job of each orchestration, running jobs, and the original
// of a retry until the retry is gone.
func testRetentionKeepsLastRunningAndRetriedJobs(t *testing.T, s state.Store) {
	ctx := context.Background()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	a := createJob(t, s, state.NewJob{Orchestration: "o", CreatedAt: t0}, 2)
	endJob(t, s, a, t0)
	b := createJob(t, s, state.NewJob{Orchestration: "o", CreatedAt: t0, RetryOf: a.ID}, 1)
	endJob(t, s, b, t0.Add(30*time.Minute))
	c := createJob(t, s, state.NewJob{Orchestration: "o", CreatedAt: t0}, 1)
	endJob(t, s, c, t0.Add(time.Hour))
	nested := createJob(t, s, state.NewJob{Orchestration: "sub", CreatedAt: t0, ParentTaskID: c.Tasks[0].ID}, 1)
	endJob(t, s, nested, t0.Add(time.Hour))
	d := createJob(t, s, state.NewJob{Orchestration: "o", CreatedAt: t0}, 1)
	endJob(t, s, d, t0.Add(2*time.Hour))
	running := createJob(t, s, state.NewJob{Orchestration: "p", CreatedAt: t0}, 0)
	if err := s.UpdateJob(ctx, running.ID, []state.JobStatus{state.JobCreated}, state.JobUpdate{Status: state.JobProcessing, StartedAt: t0}); err != nil {
		t.Fatal(err)
	}
	later := createJob(t, s, state.NewJob{Orchestration: "p", CreatedAt: t0}, 0)
	if err := s.AddOutbox(ctx, state.OutboxEntry{JobID: a.ID, Channel: "ops", Target: "mailto:ops@example.com", Event: "error", Payload: []byte(`{}`), CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	cut := t0.Add(3 * time.Hour)

	if got, err := s.ExpiredJobs(ctx, cut, 1); err != nil || !slices.Equal(got, []state.JobID{b.ID}) {
		t.Fatalf("first expired job = %v (%v), want [%d]", got, err, b.ID)
	}
	got, err := s.ExpiredJobs(ctx, cut, 0)
	if err != nil || !slices.Equal(got, []state.JobID{b.ID, c.ID}) {
		t.Fatalf("expired = %v (%v), want the retry %d and %d: not the retried original, the last, the running or the nested job", got, err, b.ID, c.ID)
	}
	if got, err := s.ExpiredJobs(ctx, t0.Add(45*time.Minute), 0); err != nil || !slices.Equal(got, []state.JobID{b.ID}) {
		t.Fatalf("expired before t0+45m = %v (%v), want [%d]", got, err, b.ID)
	}
	if _, err := s.DeleteJobs(ctx, []state.JobID{b.ID}); err != nil {
		t.Fatal(err)
	}
	deleted, err := s.DeleteJobs(ctx, []state.JobID{c.ID})
	if err != nil {
		t.Fatal(err)
	}
	want := append(append([]state.JobID{c.ID}, taskIDs(c)...), nested.ID)
	want = append(want, taskIDs(nested)...)
	slices.Sort(want)
	if !slices.Equal(deleted, want) {
		t.Errorf("deleting %d removed %v, want the job, its task, the run its task started and that run's task %v", c.ID, deleted, want)
	}
	// With the retry gone, its original may go, notifications and all.
	if got, err := s.ExpiredJobs(ctx, cut, 0); err != nil || !slices.Equal(got, []state.JobID{a.ID}) {
		t.Fatalf("expired after the retry went = %v (%v), want [%d]", got, err, a.ID)
	}
	if _, err := s.DeleteJobs(ctx, []state.JobID{a.ID}); err != nil {
		t.Fatal(err)
	}
	if p, err := s.PendingOutbox(ctx, cut, 0); err != nil || len(p) != 0 {
		t.Errorf("notifications of a deleted job remain: %+v (%v)", p, err)
	}
	ended, err := s.JobsEnded(ctx, []state.JobID{a.ID, d.ID, d.Tasks[0].ID, running.ID, later.ID})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := ended[a.ID]; ok || !ended[d.ID].Equal(t0.Add(2*time.Hour)) || !ended[d.Tasks[0].ID].Equal(t0.Add(2*time.Hour)) {
		t.Errorf("ends = %v: want %d missing and %d ended at t0+2h", ended, a.ID, d.ID)
	}
	if at, ok := ended[running.ID]; !ok || !at.IsZero() {
		t.Errorf("a running job reads as ended at %v (%v)", at, ok)
	}
	if _, err := s.Job(ctx, d.ID); err != nil {
		t.Errorf("the last job went: %v", err)
	}
}

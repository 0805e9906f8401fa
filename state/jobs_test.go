package state

import (
	"context"
	"errors"
	"testing"
	"time"
)

func newJob(t *testing.T, s *Store, orch string, tasks int) Job {
	t.Helper()
	now := time.Now().UTC()
	var ts []NewJob
	for i := 0; i < tasks; i++ {
		ts = append(ts, NewJob{Kind: KindTaskJob, Orchestration: orch, Phase: "p", TaskIndex: i, Task: string(rune('a' + i)), Configuration: "c", SerialKey: "configuration:c", Status: JobCreated, CreatedAt: now, Selected: true})
	}
	j, err := s.CreateJob(context.Background(), NewJob{Kind: KindOrchestrationJob, Orchestration: orch, SerialKey: "orchestration:" + orch, Status: JobCreated, Trigger: "manual", CreatedAt: now, Selected: true}, ts)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

func TestCreateJobWithTasks(t *testing.T) {
	s := openTest(t)
	j := newJob(t, s, "o", 3)
	if j.Kind != KindOrchestrationJob || len(j.Tasks) != 3 || j.Tasks[2].Task != "c" || j.Tasks[0].ParentID != j.ID {
		t.Fatalf("job = %+v", j)
	}
}

func TestUpdateJobIsACompareAndSetWithItsSideEffects(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	j := newJob(t, s, "o", 1)
	task := j.Tasks[0]
	now := time.Now().UTC()
	if err := s.UpdateJob(ctx, task.ID, []JobStatus{JobCreated}, JobUpdate{Status: JobProcessing, StartedAt: now}); err != nil {
		t.Fatal(err)
	}
	err := s.UpdateJob(ctx, task.ID, []JobStatus{JobCreated}, JobUpdate{Status: JobProcessing})
	if !errors.Is(err, ErrStatusChanged) {
		t.Fatalf("second CAS from created = %v, want ErrStatusChanged", err)
	}
	code := 0
	msg := "done"
	err = s.UpdateJob(ctx, task.ID, []JobStatus{JobProcessing}, JobUpdate{
		Status: JobSuccess, FinishedAt: now, ExitCode: &code, Message: &msg,
		TableUpdates: []TableUpdate{{Table: "out", At: now, Source: "job", JobID: int64(task.ID)}},
		Outbox: []OutboxEntry{
			{JobID: j.ID, Channel: "ops", Target: "ops@example.com", Event: "success", Payload: []byte(`{}`), CreatedAt: now},
			{JobID: j.ID, Channel: "ops", Target: "ops@example.com", Event: "success", Payload: []byte(`{}`), CreatedAt: now},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := s.Job(ctx, task.ID)
	if got.Status != JobSuccess || got.ExitCode == nil || *got.ExitCode != 0 || got.Message != "done" {
		t.Errorf("task = %+v", got)
	}
	if at, _ := s.TableUpdatedAt(ctx, []string{"out"}); at["out"].IsZero() {
		t.Error("table update not recorded with the job's end")
	}
	pending, _ := s.PendingOutbox(ctx, now.Add(time.Second), 10)
	if len(pending) != 1 {
		t.Errorf("%d notifications queued, want 1 (duplicates ignored)", len(pending))
	}
	// A failed transition records nothing of its side effects.
	err = s.UpdateJob(ctx, task.ID, nil, JobUpdate{Status: JobError, TableUpdates: []TableUpdate{{Table: "never", At: now, Source: "job"}}})
	if !errors.Is(err, ErrStatusChanged) {
		t.Fatalf("update of an ended job = %v", err)
	}
	if at, _ := s.TableUpdatedAt(ctx, []string{"never"}); len(at) != 0 {
		t.Error("a refused update recorded its table update")
	}
}

func TestListJobsFiltersAndPages(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	var ids []JobID
	for i := 0; i < 5; i++ {
		ids = append(ids, newJob(t, s, []string{"a", "b"}[i%2], 1).ID)
	}
	page, err := s.ListJobs(ctx, JobFilter{Kind: KindOrchestrationJob, Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(page) != 2 || page[0].ID != ids[4] || page[1].ID != ids[3] || len(page[0].Tasks) != 1 {
		t.Fatalf("first page = %+v", page)
	}
	next, _ := s.ListJobs(ctx, JobFilter{Kind: KindOrchestrationJob, Limit: 2, BeforeID: page[1].ID})
	if len(next) != 2 || next[0].ID != ids[2] {
		t.Errorf("second page = %+v", next)
	}
	onlyA, _ := s.ListJobs(ctx, JobFilter{Kind: KindOrchestrationJob, Orchestration: "a", Statuses: []JobStatus{JobCreated}})
	if len(onlyA) != 3 {
		t.Errorf("jobs of a = %d, want 3", len(onlyA))
	}
	active, _ := s.ActiveJobs(ctx)
	if len(active) != 10 || active[0].ID != ids[0] {
		t.Errorf("active jobs = %d, want 10 oldest first", len(active))
	}
}

func TestRequestCancel(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	j := newJob(t, s, "o", 2)
	got, err := s.RequestCancel(ctx, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.CancelRequested || !got.Tasks[0].CancelRequested {
		t.Errorf("cancel not recorded: %+v", got)
	}
	if err := s.UpdateJob(ctx, j.ID, nil, JobUpdate{Status: JobCancelled, FinishedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RequestCancel(ctx, j.ID); err == nil {
		t.Error("cancel of an ended job succeeded")
	}
	if _, err := s.RequestCancel(ctx, 999); !errors.Is(err, ErrNotFound) {
		t.Errorf("cancel of a missing job = %v", err)
	}
}

func TestParseJobStatus(t *testing.T) {
	if s, err := ParseJobStatus("warning"); err != nil || s != JobWarning {
		t.Errorf("ParseJobStatus(warning) = %v %v", s, err)
	}
	if _, err := ParseJobStatus("failed"); err == nil {
		t.Error("unknown status accepted")
	}
	for _, s := range jobStatuses {
		if s.Terminal() == (s == JobCreated || s == JobWaiting || s == JobProcessing) {
			t.Errorf("%s.Terminal() = %v", s, s.Terminal())
		}
	}
}

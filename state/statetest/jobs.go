package statetest

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/baton-dev/baton/state"
)

func newJob(t *testing.T, s state.Store, orch string, tasks int) state.Job {
	t.Helper()
	now := time.Now().UTC()
	var ts []state.NewJob
	for i := 0; i < tasks; i++ {
		ts = append(ts, state.NewJob{Kind: state.KindTaskJob, Orchestration: orch, Phase: "p", TaskIndex: i, Task: string(rune('a' + i)), Configuration: "c", SerialKey: "configuration:c", Status: state.JobCreated, CreatedAt: now, Selected: true})
	}
	j, err := s.CreateJob(context.Background(), state.NewJob{Kind: state.KindOrchestrationJob, Orchestration: orch, SerialKey: "orchestration:" + orch, Status: state.JobCreated, Trigger: "manual", CreatedAt: now, Selected: true}, ts)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

func testCreateJobWithTasks(t *testing.T, s state.Store) {
	j := newJob(t, s, "o", 3)
	if j.Kind != state.KindOrchestrationJob || len(j.Tasks) != 3 || j.Tasks[2].Task != "c" || j.Tasks[0].ParentID != j.ID {
		t.Fatalf("job = %+v", j)
	}
}

func testUpdateJobIsACompareAndSetWithItsSideEffects(t *testing.T, s state.Store) {
	ctx := context.Background()
	j := newJob(t, s, "o", 1)
	task := j.Tasks[0]
	now := time.Now().UTC()
	if err := s.UpdateJob(ctx, task.ID, []state.JobStatus{state.JobCreated}, state.JobUpdate{Status: state.JobProcessing, StartedAt: now}); err != nil {
		t.Fatal(err)
	}
	err := s.UpdateJob(ctx, task.ID, []state.JobStatus{state.JobCreated}, state.JobUpdate{Status: state.JobProcessing})
	if !errors.Is(err, state.ErrStatusChanged) {
		t.Fatalf("second CAS from created = %v, want ErrStatusChanged", err)
	}
	code := 0
	msg := "done"
	err = s.UpdateJob(ctx, task.ID, []state.JobStatus{state.JobProcessing}, state.JobUpdate{
		Status: state.JobSuccess, FinishedAt: now, ExitCode: &code, Message: &msg,
		TableUpdates: []state.TableUpdate{{Table: "out", At: now, Source: "job", JobID: int64(task.ID)}},
		Outbox: []state.OutboxEntry{
			{JobID: j.ID, Channel: "ops", Target: "ops@example.com", Event: "success", Payload: []byte(`{}`), CreatedAt: now},
			{JobID: j.ID, Channel: "ops", Target: "ops@example.com", Event: "success", Payload: []byte(`{}`), CreatedAt: now},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := s.Job(ctx, task.ID)
	if got.Status != state.JobSuccess || got.ExitCode == nil || *got.ExitCode != 0 || got.Message != "done" {
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
	err = s.UpdateJob(ctx, task.ID, nil, state.JobUpdate{Status: state.JobError, TableUpdates: []state.TableUpdate{{Table: "never", At: now, Source: "job"}}})
	if !errors.Is(err, state.ErrStatusChanged) {
		t.Fatalf("update of an ended job = %v", err)
	}
	if at, _ := s.TableUpdatedAt(ctx, []string{"never"}); len(at) != 0 {
		t.Error("a refused update recorded its table update")
	}
}

func testListJobsFiltersAndPages(t *testing.T, s state.Store) {
	ctx := context.Background()
	var ids []state.JobID
	for i := 0; i < 5; i++ {
		ids = append(ids, newJob(t, s, []string{"a", "b"}[i%2], 1).ID)
	}
	page, err := s.ListJobs(ctx, state.JobFilter{Kind: state.KindOrchestrationJob, Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(page) != 2 || page[0].ID != ids[4] || page[1].ID != ids[3] || len(page[0].Tasks) != 1 {
		t.Fatalf("first page = %+v", page)
	}
	next, _ := s.ListJobs(ctx, state.JobFilter{Kind: state.KindOrchestrationJob, Limit: 2, BeforeID: page[1].ID})
	if len(next) != 2 || next[0].ID != ids[2] {
		t.Errorf("second page = %+v", next)
	}
	onlyA, _ := s.ListJobs(ctx, state.JobFilter{Kind: state.KindOrchestrationJob, Orchestration: "a", Statuses: []state.JobStatus{state.JobCreated}})
	if len(onlyA) != 3 {
		t.Errorf("jobs of a = %d, want 3", len(onlyA))
	}
	active, _ := s.ActiveJobs(ctx)
	if len(active) != 10 || active[0].ID != ids[0] {
		t.Errorf("active jobs = %d, want 10 oldest first", len(active))
	}
}

func testRequestCancel(t *testing.T, s state.Store) {
	ctx := context.Background()
	j := newJob(t, s, "o", 2)
	got, err := s.RequestCancel(ctx, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.CancelRequested || !got.Tasks[0].CancelRequested {
		t.Errorf("cancel not recorded: %+v", got)
	}
	if err := s.UpdateJob(ctx, j.ID, nil, state.JobUpdate{Status: state.JobCancelled, FinishedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RequestCancel(ctx, j.ID); !errors.Is(err, state.ErrJobEnded) {
		t.Errorf("cancel of an ended job = %v, want ErrJobEnded", err)
	}
	if _, err := s.RequestCancel(ctx, 999); !errors.Is(err, state.ErrNotFound) {
		t.Errorf("cancel of a missing job = %v", err)
	}
}

// testCreateJobsIsAllOrNone: the jobs due at one instant and their fires
// are recorded together; one bad job records none of them.
func testCreateJobsIsAllOrNone(t *testing.T, s state.Store) {
	ctx := context.Background()
	now := time.Now().UTC()
	good := state.NewJobSet{
		Orchestration: state.NewJob{Kind: state.KindOrchestrationJob, Orchestration: "a", SerialKey: "orchestration:a", Status: state.JobCreated, CreatedAt: now},
		Fires:         []state.ScheduleFire{{Orchestration: "a", Key: "0", At: now}},
	}
	bad := state.NewJobSet{Orchestration: state.NewJob{Kind: "bogus", Orchestration: "b", SerialKey: "orchestration:b", Status: state.JobCreated, CreatedAt: now}}
	if _, err := s.CreateJobs(ctx, []state.NewJobSet{good, bad}); err == nil {
		t.Fatal("a job of an unknown kind was recorded")
	}
	jobs, _ := s.ListJobs(ctx, state.JobFilter{})
	fires, _ := s.LastFires(ctx)
	if len(jobs) != 0 || len(fires) != 0 {
		t.Errorf("a failed CreateJobs left %d jobs and %d fires", len(jobs), len(fires))
	}
	created, err := s.CreateJobs(ctx, []state.NewJobSet{good, good})
	if err != nil || len(created) != 2 || created[1].ID != created[0].ID+1 {
		t.Fatalf("CreateJobs = %+v, %v", created, err)
	}
	if fires, _ := s.LastFires(ctx); !fires[[2]string{"a", "0"}].Equal(now) {
		t.Errorf("fire not recorded with its job: %v", fires)
	}
}

// testCreateJobsReturnsTheJobsAsStored: the jobs CreateJobs returns (the
// dispatcher runs them as they are) are what reading them back gives.
func testCreateJobsReturnsTheJobsAsStored(t *testing.T, s state.Store) {
	ctx := context.Background()
	earlier := newJob(t, s, "o", 1)
	now := time.Date(2026, 3, 29, 1, 30, 0, 123456789, time.FixedZone("CET", 3600))
	orch := state.NewJob{Kind: state.KindOrchestrationJob, Orchestration: "o", SerialKey: "orchestration:o", Status: state.JobCreated,
		Trigger: "retry", TriggeredBy: "token t1", NotifyTo: "ops@example.com", Revision: "abc123", RetryOf: earlier.ID,
		Spec: json.RawMessage(`{"on_overlap":"wait"}`), Selected: true, CreatedAt: now}
	tasks := []state.NewJob{
		{Kind: state.KindTaskJob, Orchestration: "o", Phase: "p1", Task: "a", Configuration: "c", SerialKey: "configuration:c",
			Status: state.JobCreated, Trigger: "retry", Revision: "abc123", Spec: json.RawMessage(`{"argv":["true"]}`), Selected: true, CreatedAt: now},
		{Kind: state.KindTaskJob, Orchestration: "o", Phase: "p2", PhaseIndex: 1, Task: "b", TaskIndex: 0, SerialKey: "orchestration:x",
			Status: state.JobSkipped, Message: "skipped: not selected for this run", Trigger: "retry", CreatedAt: now},
	}
	created, err := s.CreateJobs(ctx, []state.NewJobSet{{Orchestration: orch, Tasks: tasks}, {Orchestration: orch}})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range created {
		stored, err := s.Job(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(c, stored) {
			t.Errorf("CreateJobs returned\n%+v\nreading it back gives\n%+v", c, stored)
		}
	}
}

// testUpdateJobsIsAllOrNone: one refused transition of a batch leaves every
// job of the batch as it was.
func testUpdateJobsIsAllOrNone(t *testing.T, s state.Store) {
	ctx := context.Background()
	j := newJob(t, s, "o", 2)
	err := s.UpdateJobs(ctx, []state.JobTransition{
		{ID: j.Tasks[0].ID, From: []state.JobStatus{state.JobCreated}, Update: state.JobUpdate{Status: state.JobWaiting}},
		{ID: j.Tasks[1].ID, From: []state.JobStatus{state.JobProcessing}, Update: state.JobUpdate{Status: state.JobSuccess}},
	})
	if !errors.Is(err, state.ErrStatusChanged) {
		t.Fatalf("batch with a stale transition = %v, want ErrStatusChanged", err)
	}
	if got, _ := s.Job(ctx, j.Tasks[0].ID); got.Status != state.JobCreated {
		t.Errorf("first transition of a failed batch applied: %s", got.Status)
	}
	if err := s.UpdateJob(ctx, 999, nil, state.JobUpdate{Status: state.JobError}); !errors.Is(err, state.ErrNotFound) {
		t.Errorf("update of a missing job = %v, want ErrNotFound", err)
	}
}

func testChildJobIsTheOrchestrationATaskStarted(t *testing.T, s state.Store) {
	ctx := context.Background()
	parent := newJob(t, s, "outer", 1)
	task := parent.Tasks[0]
	if _, ok, err := s.ChildJob(ctx, task.ID); ok || err != nil {
		t.Fatalf("child before one was started: %v %v", ok, err)
	}
	child, err := s.CreateJob(ctx, state.NewJob{Kind: state.KindOrchestrationJob, ParentTaskID: task.ID, Orchestration: "inner",
		SerialKey: "orchestration:inner", Status: state.JobCreated, CreatedAt: time.Now()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, ok, err := s.ChildJob(ctx, task.ID)
	if err != nil || !ok || got.ID != child.ID || got.ParentTaskID != task.ID {
		t.Errorf("ChildJob = %+v %v %v, want job %d", got, ok, err, child.ID)
	}
}

func testLastSuccessfulDurationsCountsOnlySuccessfulRuns(t *testing.T, s state.Store) {
	ctx := context.Background()
	t0 := time.Date(2026, 11, 25, 6, 0, 0, 0, time.UTC)
	for i, st := range []state.JobStatus{state.JobSuccess, state.JobError, state.JobSuccess, state.JobSuccess} {
		j := newJob(t, s, "o", 0)
		u := state.JobUpdate{Status: st, StartedAt: t0, FinishedAt: t0.Add(time.Duration(i+1) * time.Minute)}
		if err := s.UpdateJob(ctx, j.ID, nil, u); err != nil {
			t.Fatal(err)
		}
	}
	newJob(t, s, "other", 0)
	// A success without an end time (written by an older baton) has no
	// duration; it must not make the whole read fail.
	if err := s.UpdateJob(ctx, newJob(t, s, "o", 0).ID, nil, state.JobUpdate{Status: state.JobSuccess, StartedAt: t0}); err != nil {
		t.Fatal(err)
	}
	got, err := s.LastSuccessfulDurations(ctx, "o", 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0] != 4*time.Minute || got[1] != 3*time.Minute {
		t.Errorf("durations = %v, want [4m 3m] (newest first, errors left out)", got)
	}
}

// testJobJSONShape pins the stable fields of the job JSON: times in
// RFC 3339 UTC, unset times left out, internal fields never shown.
func testJobJSONShape(t *testing.T, s state.Store) {
	ctx := context.Background()
	j := newJob(t, s, "o", 1)
	code := 1
	started := time.Date(2026, 11, 25, 6, 0, 0, 0, time.UTC)
	if err := s.UpdateJob(ctx, j.Tasks[0].ID, nil, state.JobUpdate{Status: state.JobError, StartedAt: started, FinishedAt: started.Add(time.Second), ExitCode: &code}); err != nil {
		t.Fatal(err)
	}
	j, _ = s.Job(ctx, j.ID)
	b, err := json.Marshal(j)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"id", "orchestration", "status", "trigger", "created_at", "message", "tasks"} {
		if _, ok := got[k]; !ok {
			t.Errorf("job JSON lacks %q: %s", k, b)
		}
	}
	for _, k := range []string{"started_at", "finished_at", "retry_of", "exit_code", "spec", "pid", "serial_key", "SerialKey", "Spec"} {
		if _, ok := got[k]; ok {
			t.Errorf("job JSON has %q: %s", k, b)
		}
	}
	task := got["tasks"].([]any)[0].(map[string]any)
	if task["started_at"] != "2026-11-25T06:00:00Z" || task["exit_code"] != float64(1) || task["configuration"] != "c" || task["phase"] != "p" {
		t.Errorf("task JSON = %v", task)
	}
}

func testListJobsFiltersByTriggerAndRetryOf(t *testing.T, s state.Store) {
	ctx := context.Background()
	now := time.Now().UTC()
	first := newJob(t, s, "a", 1)
	retry, err := s.CreateJob(ctx, state.NewJob{Kind: state.KindOrchestrationJob, Orchestration: "a", SerialKey: "orchestration:a",
		Status: state.JobCreated, Trigger: "retry", RetryOf: first.ID, CreatedAt: now, Selected: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.ListJobs(ctx, state.JobFilter{Kind: state.KindOrchestrationJob, Trigger: "retry"})
	if err != nil || len(got) != 1 || got[0].ID != retry.ID {
		t.Errorf("jobs triggered by retry = %+v, %v", got, err)
	}
	got, err = s.ListJobs(ctx, state.JobFilter{Kind: state.KindOrchestrationJob, RetryOf: first.ID})
	if err != nil || len(got) != 1 || got[0].ID != retry.ID {
		t.Errorf("retries of %d = %+v, %v", first.ID, got, err)
	}
}

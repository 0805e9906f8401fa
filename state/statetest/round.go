package statetest

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/baton-dev/baton/state"
)

// roundSet is a job of orchestration o with one task, under reserved ids.
func roundSet(o string, ids []state.JobID, at time.Time) state.NewJobSet {
	return state.NewJobSet{
		Orchestration: state.NewJob{ID: ids[0], Kind: state.KindOrchestrationJob, Orchestration: o, SerialKey: "orchestration:" + o,
			Status: state.JobCreated, Trigger: "schedule", CreatedAt: at, Selected: true},
		Tasks: []state.NewJob{{ID: ids[1], Kind: state.KindTaskJob, Orchestration: o, Phase: "p", Task: "t", Configuration: "c",
			SerialKey: "configuration:c", Status: state.JobCreated, Trigger: "schedule", CreatedAt: at, Selected: true}},
		Fires: []state.ScheduleFire{{Orchestration: o, Key: "0 * * * * @ UTC", At: at}},
	}
}

// Reserved ids are given to no other job and come after every id given
// before: jobs recorded under them keep the order of creation.
func testReservedJobIDsAreNeverGivenAgain(t *testing.T, s state.Store) {
	ctx := context.Background()
	first, err := s.ReserveJobIDs(ctx, 1)
	if err != nil || len(first) != 1 || first[0] <= 0 {
		t.Fatalf("ReserveJobIDs(1) of a state without jobs = %v, %v", first, err)
	}
	before := newJob(t, s, "o", 0)
	if before.ID <= first[0] {
		t.Fatalf("first job got id %d, not above the reserved %d", before.ID, first[0])
	}
	ids, err := s.ReserveJobIDs(ctx, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 3 || ids[0] <= before.ID || !slices.IsSorted(ids) || ids[0] == ids[1] || ids[1] == ids[2] {
		t.Fatalf("ReserveJobIDs(3) after job %d = %v, want three increasing ids above it", before.ID, ids)
	}
	after := newJob(t, s, "o", 0)
	if after.ID <= ids[2] {
		t.Errorf("job created after the reservation got id %d, not above the reserved %v", after.ID, ids)
	}
	at := time.Now().UTC()
	if err := s.RecordRound(ctx, []state.NewJobSet{roundSet("r", ids[:2], at)}, nil); err != nil {
		t.Fatal(err)
	}
	j, err := s.Job(ctx, ids[0])
	if err != nil || j.Orchestration != "r" || len(j.Tasks) != 1 || j.Tasks[0].ID != ids[1] || j.Tasks[0].ParentID != ids[0] {
		t.Errorf("job recorded under reserved ids = %+v, %v", j, err)
	}
	// CreateJobs too records a job under the id set aside for it.
	created, err := s.CreateJobs(ctx, []state.NewJobSet{{Orchestration: state.NewJob{ID: ids[2], Kind: state.KindOrchestrationJob,
		Orchestration: "q", SerialKey: "orchestration:q", Status: state.JobCreated, CreatedAt: at}}})
	if err != nil || len(created) != 1 || created[0].ID != ids[2] {
		t.Fatalf("CreateJobs under reserved id %d = %+v, %v", ids[2], created, err)
	}
	if got, err := s.Job(ctx, ids[2]); err != nil || got.Orchestration != "q" {
		t.Errorf("job created under reserved id %d = %+v, %v", ids[2], got, err)
	}
}

// A round stores new jobs with their fires and their start in one
// transaction: when a transition in it fails, neither the jobs, nor their
// fires, nor any transition is stored.
func testRecordRoundStoresJobsWithTheirStartAllOrNone(t *testing.T, s state.Store) {
	ctx := context.Background()
	other := newJob(t, s, "other", 0)
	ids, err := s.ReserveJobIDs(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC)
	start := at.Add(time.Millisecond)
	logPath := "/jobs/t.log"
	set := roundSet("r", ids, at)
	starts := []state.JobTransition{
		{ID: ids[0], From: state.TransitionFrom(state.KindOrchestrationJob, state.JobProcessing), Update: state.JobUpdate{Status: state.JobProcessing, StartedAt: start, Message: new("")}},
		{ID: ids[1], From: state.TransitionFrom(state.KindTaskJob, state.JobProcessing), Update: state.JobUpdate{Status: state.JobProcessing, StartedAt: start, LogPath: &logPath}},
	}
	stale := state.JobTransition{ID: other.ID, From: []state.JobStatus{state.JobProcessing}, Update: state.JobUpdate{Status: state.JobSuccess}}
	err = s.RecordRound(ctx, []state.NewJobSet{set}, append(slices.Clone(starts), stale))
	if !errors.Is(err, state.ErrStatusChanged) {
		t.Fatalf("round with a stale transition = %v, want ErrStatusChanged", err)
	}
	if _, err := s.Job(ctx, ids[0]); !errors.Is(err, state.ErrNotFound) {
		t.Errorf("job of a failed round = %v, want ErrNotFound: neither the job nor its start is stored", err)
	}
	if fires, err := s.LastFires(ctx); err != nil || len(fires) != 0 {
		t.Errorf("fires after a failed round = %v, %v; want none", fires, err)
	}

	// The same round without the stale transition, and the task ending in
	// it too: each transition applies to what the one before left.
	end := state.JobTransition{ID: ids[1], From: []state.JobStatus{state.JobProcessing}, Update: state.JobUpdate{Status: state.JobSuccess, FinishedAt: start.Add(time.Second), ExitCode: new(0)}}
	if err := s.RecordRound(ctx, []state.NewJobSet{set}, append(slices.Clone(starts), end)); err != nil {
		t.Fatal(err)
	}
	j, err := s.Job(ctx, ids[0])
	if err != nil {
		t.Fatal(err)
	}
	if j.Status != state.JobProcessing || !j.StartedAt.Equal(start) || j.Trigger != "schedule" || len(j.Tasks) != 1 {
		t.Errorf("orchestration job = %s started %v trigger %q tasks %d, want processing since %v", j.Status, j.StartedAt, j.Trigger, len(j.Tasks), start)
	}
	task := j.Tasks[0]
	if task.Status != state.JobSuccess || !task.StartedAt.Equal(start) || task.LogPath != logPath || task.ExitCode == nil || *task.ExitCode != 0 {
		t.Errorf("task job = %s started %v log %q exit %v, want success, started %v, log %q", task.Status, task.StartedAt, task.LogPath, task.ExitCode, start, logPath)
	}
	fires, err := s.LastFires(ctx)
	if err != nil || !fires[[2]string{"r", "0 * * * * @ UTC"}].Equal(at) {
		t.Errorf("fires after the round = %v, %v; want the job's fire at %v", fires, err, at)
	}
	if got, _ := s.Job(ctx, other.ID); got.Status != state.JobCreated {
		t.Errorf("job outside the rounds is %s, want created", got.Status)
	}
}

package statetest

import (
	"context"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/baton-dev/baton/state"
)

// waitMark is the transition of a task that must wait, as a round of a wide
// phase records it for each of its waiting tasks.
func waitMark(id state.JobID, msg string) state.JobTransition {
	return state.JobTransition{ID: id, From: state.TransitionFrom(state.KindTaskJob, state.JobWaiting),
		Update: state.JobUpdate{Status: state.JobWaiting, Message: &msg}}
}

// testAlikeTransitionsAreAppliedAsEachAlone: a batch whose transitions are
// alike (the waiting marks of a wide phase, which a backend may write in
// one statement) sets each job as the transitions one by one would, in
// order with the others of the batch, and leaves every other column alone.
func testAlikeTransitionsAreAppliedAsEachAlone(t *testing.T, s state.Store) {
	ctx := context.Background()
	j := newJob(t, s, "o", 9)
	start := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	logPath := "/logs/a"
	batch := []state.JobTransition{{ID: j.Tasks[0].ID, From: []state.JobStatus{state.JobCreated, state.JobWaiting},
		Update: state.JobUpdate{Status: state.JobProcessing, StartedAt: start, LogPath: &logPath, Message: new(string)}}}
	for _, tj := range j.Tasks[1:8] {
		batch = append(batch, waitMark(tj.ID, "waiting for a free slot: 1 task processes are running"))
	}
	// The last one waits for another reason: a run ends where the reason changes.
	batch = append(batch, waitMark(j.Tasks[8].ID, "waiting for job 1 to end"))
	if err := s.UpdateJobs(ctx, batch); err != nil {
		t.Fatal(err)
	}
	got, err := s.Job(ctx, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	if tj := got.Tasks[0]; tj.Status != state.JobProcessing || !tj.StartedAt.Equal(start) || tj.LogPath != logPath {
		t.Errorf("task 0 = %s started %v log %q, want processing started %v log %q", tj.Status, tj.StartedAt, tj.LogPath, start, logPath)
	}
	for i, tj := range got.Tasks[1:] {
		want := *batch[i+1].Update.Message
		if tj.Status != state.JobWaiting || tj.Message != want || !tj.StartedAt.IsZero() || tj.LogPath != "" || tj.ExitCode != nil {
			t.Errorf("task %d = %s %q started %v log %q exit %v, want waiting %q and nothing else set", i+1, tj.Status, tj.Message, tj.StartedAt, tj.LogPath, tj.ExitCode, want)
		}
	}
	// Waiting may follow waiting with a new reason, all in one batch again.
	var again []state.JobTransition
	for _, tj := range j.Tasks[1:] {
		again = append(again, waitMark(tj.ID, "waiting for a free slot: 2 task processes are running"))
	}
	if err := s.UpdateJobs(ctx, again); err != nil {
		t.Fatal(err)
	}
	if got, err = s.Job(ctx, j.ID); err != nil {
		t.Fatal(err)
	}
	for i, tj := range got.Tasks[1:] {
		if tj.Message != "waiting for a free slot: 2 task processes are running" {
			t.Errorf("task %d after the second batch: %q", i+1, tj.Message)
		}
	}
}

// testAlikeTransitionsAreAllOrNone: when one job of a run of alike
// transitions is no longer in a status it may come from, or is missing,
// the batch fails as that job's transition alone would, naming it, and
// no job of the batch changes.
func testAlikeTransitionsAreAllOrNone(t *testing.T, s state.Store) {
	ctx := context.Background()
	j := newJob(t, s, "o", 8)
	ended := j.Tasks[5].ID
	if err := s.UpdateJob(ctx, ended, nil, state.JobUpdate{Status: state.JobCancelled, Message: new(string)}); err != nil {
		t.Fatal(err)
	}
	var batch []state.JobTransition
	for _, tj := range j.Tasks {
		batch = append(batch, waitMark(tj.ID, "waiting for a free slot"))
	}
	err := s.UpdateJobs(ctx, batch)
	if !errors.Is(err, state.ErrStatusChanged) || !strings.Contains(err.Error(), "job "+itoa(ended)+" is cancelled") {
		t.Fatalf("alike batch with an ended job = %v, want ErrStatusChanged naming job %d as cancelled", err, ended)
	}
	got, err := s.Job(ctx, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	for i, tj := range got.Tasks {
		if tj.ID != ended && (tj.Status != state.JobCreated || tj.Message != "") {
			t.Errorf("task %d of a failed batch = %s %q, want created as before", i, tj.Status, tj.Message)
		}
	}
	missing := append(batch[:4:4], waitMark(j.Tasks[7].ID+1000, "waiting for a free slot"))
	if err := s.UpdateJobs(ctx, missing); !errors.Is(err, state.ErrNotFound) {
		t.Errorf("alike batch with a missing job = %v, want ErrNotFound", err)
	}
	if got, _ := s.Job(ctx, j.Tasks[0].ID); got.Status != state.JobCreated {
		t.Errorf("first task of a failed batch = %s, want created", got.Status)
	}
}

func itoa(id state.JobID) string { return strconv.FormatInt(int64(id), 10) }

// testActiveJobStatusesAreTheActiveJobsInShort: the short list of active
// jobs holds the jobs ActiveJobs holds, in its order, with their id, kind,
// parent, status and cancel request as ActiveJobs gives them.
func testActiveJobStatusesAreTheActiveJobsInShort(t *testing.T, s state.Store) {
	ctx := context.Background()
	ended := newJob(t, s, "ended", 1)
	if err := s.UpdateJobs(ctx, []state.JobTransition{
		{ID: ended.Tasks[0].ID, Update: state.JobUpdate{Status: state.JobSkipped, Message: new(string)}},
		{ID: ended.ID, Update: state.JobUpdate{Status: state.JobSkipped, Message: new(string)}},
	}); err != nil {
		t.Fatal(err)
	}
	j := newJob(t, s, "o", 3)
	if err := s.UpdateJob(ctx, j.Tasks[0].ID, nil, state.JobUpdate{Status: state.JobWaiting, Message: new(string)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RequestCancel(ctx, j.Tasks[1].ID); err != nil {
		t.Fatal(err)
	}
	full, err := s.ActiveJobs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	short, err := s.ActiveJobStatuses(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(full) != 4 || len(short) != len(full) {
		t.Fatalf("ActiveJobStatuses lists %d jobs, ActiveJobs %d; want the 4 jobs of the job that did not end", len(short), len(full))
	}
	for i, f := range full {
		want := state.Job{ID: f.ID, Kind: f.Kind, ParentID: f.ParentID, Status: f.Status, CancelRequested: f.CancelRequested}
		if !reflect.DeepEqual(short[i], want) {
			t.Errorf("active job %d: %+v, want %+v", i, short[i], want)
		}
	}
	if short[1].Status != state.JobWaiting || !short[2].CancelRequested || short[1].ParentID != j.ID {
		t.Errorf("the short list lost what it is for: %+v", short)
	}
}

package main

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/baton-dev/baton/state"
)

// endingStore holds one job that is processing until ended is set.
type endingStore struct {
	state.Store
	ended atomic.Bool
	reads atomic.Int32
}

func (s *endingStore) Job(_ context.Context, id state.JobID) (state.Job, error) {
	s.reads.Add(1)
	j := state.Job{ID: id, Kind: state.KindOrchestrationJob, Status: state.JobProcessing}
	if s.ended.Load() {
		j.Status = state.JobSuccess
	}
	return j, nil
}

// startFollow follows job 7, queued as processing, against st, and
// returns once the follower took its first look (it wrote the header).
func startFollow(t *testing.T, st state.Store, run *localExecutor) <-chan state.Job {
	t.Helper()
	header := make(chan struct{})
	w := &signalWriter{want: "job 7:", seen: header}
	got := make(chan state.Job, 1)
	queued := state.Job{ID: 7, Kind: state.KindOrchestrationJob, Status: state.JobProcessing}
	go func() {
		job, err := follow(context.Background(), st, nil, queued, newProgress(w), run, time.Hour)
		if err != nil {
			t.Error(err)
		}
		got <- job
	}()
	<-header
	return got
}

// TestFollowLooksAtItsJobAsSoonAsTheLocalExecutorRanTheQueueEmpty: when
// this process's executor has run every job, the follower reads its job at
// once; it does not sit out its poll interval (up to a second for a big
// job, which `baton run` would add to every run).
func TestFollowLooksAtItsJobAsSoonAsTheLocalExecutorRanTheQueueEmpty(t *testing.T) {
	st := &endingStore{}
	run := newLocalExecutor()
	got := startFollow(t, st, run)
	// The follower has looked once and waits for its (hour-long) poll.
	st.ended.Store(true)
	run.idle <- struct{}{}
	select {
	case job := <-got:
		if job.Status != state.JobSuccess {
			t.Fatalf("follow returned %s, want success", job.Status)
		}
	case <-time.After(time.Minute):
		t.Fatal("the follower did not look at its job when the executor went idle")
	}
}

// TestFollowTakesTheJobTheLocalExecutorEndedWithoutReadingIt: the first
// look is at the job as queued, and the last at the job as the executor of
// this process ended it: a follower of a job run here reads no job (a
// 1000-task job costs as much to read as 20 of its tasks to run).
func TestFollowTakesTheJobTheLocalExecutorEndedWithoutReadingIt(t *testing.T) {
	st := &endingStore{}
	run := newLocalExecutor()
	got := startFollow(t, st, run)
	run.keep([]state.Job{{ID: 7, Kind: state.KindOrchestrationJob, Status: state.JobWarning, Message: "as ended here"}})
	run.idle <- struct{}{}
	select {
	case job := <-got:
		if job.Status != state.JobWarning || job.Message != "as ended here" {
			t.Fatalf("follow returned %s %q, want the job as the executor ended it", job.Status, job.Message)
		}
	case <-time.After(time.Minute):
		t.Fatal("the follower did not take its job when the executor went idle")
	}
	if n := st.reads.Load(); n != 0 {
		t.Errorf("the follower read its job %d times, want none", n)
	}
}

// countingWriter counts writes and keeps what they wrote.
type countingWriter struct {
	writes int
	text   strings.Builder
}

func (w *countingWriter) Write(p []byte) (int, error) {
	w.writes++
	return w.text.Write(p)
}

// TestProgressWritesEachUpdateAtOnce: the lines of one look at a job go
// out in one write (the 1000 lines of a wide job that ended cost one
// system call, not 1000), and a look that saw no change writes nothing.
func TestProgressWritesEachUpdateAtOnce(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	job := state.Job{ID: 9, Orchestration: "o", Trigger: "manual", Revision: "abc", Status: state.JobSuccess}
	for i, name := range []string{"a", "b", "c"} {
		job.Tasks = append(job.Tasks, state.Job{ID: state.JobID(10 + i), Task: name, Phase: "p", Status: state.JobSuccess, StartedAt: at, FinishedAt: at.Add(time.Second)})
	}
	w := &countingWriter{}
	p := newProgress(w)
	p.update(job)
	want := "job 9: o (manual, revision abc)\n  phase p\n" +
		"    a                              success     1s\n" +
		"    b                              success     1s\n" +
		"    c                              success     1s\n"
	if w.writes != 1 || w.text.String() != want {
		t.Errorf("update wrote %d times:\n%q\nwant once:\n%q", w.writes, w.text.String(), want)
	}
	p.update(job)
	if w.writes != 1 {
		t.Errorf("an update without changes wrote %d more times", w.writes-1)
	}
}

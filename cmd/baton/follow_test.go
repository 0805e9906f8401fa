package main

import (
	"context"
	"io"
	"sync/atomic"
	"testing"
	"time"

	"github.com/baton-dev/baton/internal/waitfor"
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

// TestFollowLooksAtItsJobAsSoonAsTheLocalExecutorRanTheQueueEmpty: when
// this process's executor has run every job, the follower reads its job at
// once; it does not sit out its poll interval (up to a second for a big
// job, which `baton run` would add to every run).
func TestFollowLooksAtItsJobAsSoonAsTheLocalExecutorRanTheQueueEmpty(t *testing.T) {
	st := &endingStore{}
	run := &localExecutor{done: make(chan struct{}), idle: make(chan struct{}, 1)}
	got := make(chan state.Job, 1)
	go func() {
		job, err := follow(context.Background(), st, nil, 7, newProgress(io.Discard), run, time.Hour)
		if err != nil {
			t.Error(err)
		}
		got <- job
	}()
	// The follower has looked once and waits for its (hour-long) poll.
	waitfor.Cond(t, "the follower's first look", func() bool { return st.reads.Load() > 0 })
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

package ui

import (
	"context"
	"strconv"
	"time"

	"github.com/baton-dev/baton/clock"
	"github.com/baton-dev/baton/state"
)

func itoa(id state.JobID) string { return strconv.FormatInt(int64(id), 10) }

func newFakeClock() *clock.Fake {
	return clock.NewFake(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
}

func mustJobs(t interface {
	Helper()
	Fatal(...any)
}, r *rig) []state.Job {
	t.Helper()
	jobs, err := r.store.ListJobs(context.Background(), state.JobFilter{Kind: state.KindOrchestrationJob})
	if err != nil {
		t.Fatal(err)
	}
	return jobs
}

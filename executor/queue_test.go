package executor

import (
	"slices"
	"testing"

	"github.com/baton-dev/baton/state"
)

// Jobs wait for their turn in the order of their ids, the order in which a
// restarted executor reads the queue, whatever order they reached this one
// in.
func TestQueuedJobsWaitInTheOrderOfTheirIDs(t *testing.T) {
	d := newDispatcher(New(Config{}))
	for _, id := range []state.JobID{7, 3, 9, 5, 4} {
		if err := d.add(state.Job{ID: id, Kind: state.KindOrchestrationJob, Status: state.JobCreated, Spec: []byte("{}")}); err != nil {
			t.Fatal(err)
		}
	}
	var got []state.JobID
	for _, r := range d.pending {
		got = append(got, r.job.ID)
	}
	if want := []state.JobID{3, 4, 5, 7, 9}; !slices.Equal(got, want) {
		t.Errorf("queue = %v, want %v", got, want)
	}
}

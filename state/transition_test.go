package state

import "testing"

// TestTerminalStatusesLeadNowhere: an ended job never changes again, and
// nothing returns to created.
func TestTerminalStatusesLeadNowhere(t *testing.T) {
	for _, kind := range []JobKind{KindOrchestrationJob, KindTaskJob} {
		for _, from := range jobStatuses {
			for _, to := range jobStatuses {
				if !CanTransition(kind, from, to) {
					continue
				}
				if from.Terminal() {
					t.Errorf("%s job may leave terminal %s for %s", kind, from, to)
				}
				if to == JobCreated {
					t.Errorf("%s job may return to created from %s", kind, from)
				}
			}
		}
	}
}

// TestEveryStatusIsReachable: each status but created has a way in, for
// both kinds, so no status of the model is dead.
func TestEveryStatusIsReachable(t *testing.T) {
	for _, kind := range []JobKind{KindOrchestrationJob, KindTaskJob} {
		for _, to := range jobStatuses {
			if got := len(TransitionFrom(kind, to)); (got == 0) != (to == JobCreated) {
				t.Errorf("%s job: %d ways into %s", kind, got, to)
			}
		}
	}
}

func TestTransitionRules(t *testing.T) {
	for _, tc := range []struct {
		kind     JobKind
		from, to JobStatus
		want     bool
	}{
		{KindTaskJob, JobProcessing, JobSuccess, true},
		{KindTaskJob, JobWaiting, JobError, false},      // a task that never started is skipped
		{KindTaskJob, JobProcessing, JobSkipped, false}, // a started task cannot be skipped
		{KindTaskJob, JobCreated, JobSkipped, true},
		{KindOrchestrationJob, JobCreated, JobError, true}, // fails before its first task
		{KindOrchestrationJob, JobProcessing, JobSkipped, false},
		{KindOrchestrationJob, JobWaiting, JobProcessing, true},
		{KindOrchestrationJob, JobProcessing, JobWaiting, false},
	} {
		if got := CanTransition(tc.kind, tc.from, tc.to); got != tc.want {
			t.Errorf("CanTransition(%s, %s, %s) = %v, want %v", tc.kind, tc.from, tc.to, got, tc.want)
		}
	}
}

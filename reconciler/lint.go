package reconciler

import (
	"context"
	"fmt"
	"time"

	"github.com/baton-dev/baton/finding"
	"github.com/baton-dev/baton/review"
	"github.com/baton-dev/baton/spec"
	"github.com/baton-dev/baton/state"
)

// historyJobs is how many recent successful jobs the overlap check reads.
const historyJobs = 20

// review runs the review checks of the head against what it replaces.
// Their errors (a schedule that never fires, a trigger cycle) make the
// revision invalid, as validate reports them.
func (r *Reconciler) review(ctx context.Context, head *spec.Spec, before []spec.Object) (finding.List, error) {
	base, err := spec.FromObjects(before)
	if err != nil {
		return nil, fmt.Errorf("read the base of the plan: %w", err)
	}
	if len(before) == 0 {
		base = nil // nothing applied: everything is new
	}
	in := review.Input{Head: head, Base: base, Now: r.Clock.Now()}
	if r.Store != nil {
		in.History = &storeHistory{st: r.Store}
	}
	return review.Run(ctx, in), nil
}

// storeHistory reads job durations from the state. A state without a
// single successful job (the first apply) is recognised by one query,
// instead of one per orchestration of the revision.
type storeHistory struct {
	st      state.Store
	checked bool
	none    bool
}

func (h *storeHistory) SuccessfulDurations(ctx context.Context, orchestration string) ([]time.Duration, error) {
	if !h.checked {
		jobs, err := h.st.ListJobs(ctx, state.JobFilter{Kind: state.KindOrchestrationJob, Statuses: []state.JobStatus{state.JobSuccess}, Limit: 1})
		if err != nil {
			return nil, err
		}
		h.checked, h.none = true, len(jobs) == 0
	}
	if h.none {
		return nil, nil
	}
	return h.st.LastSuccessfulDurations(ctx, orchestration, historyJobs)
}

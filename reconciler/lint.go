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
		in.History = storeHistory{r.Store}
	}
	return review.Run(ctx, in), nil
}

// storeHistory reads job durations from the state.
type storeHistory struct{ st state.Store }

func (h storeHistory) SuccessfulDurations(ctx context.Context, orchestration string) ([]time.Duration, error) {
	return h.st.LastSuccessfulDurations(ctx, orchestration, historyJobs)
}

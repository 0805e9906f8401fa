package reconciler

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/baton-dev/baton/finding"
	"github.com/baton-dev/baton/spec"
)

// massDeleteWindow is how far back the mass-delete guard looks: a revision
// that leaves fewer than half of the orchestrations applied within it is
// refused, however many commits the deletions were spread over.
const massDeleteWindow = time.Hour

// A guard looks at a whole revision before it is applied. It returns nil
// when the revision passes; otherwise a finding that refuses it (an error)
// or, when opts allow it, a warning that says what is being accepted.
type guard func(ctx context.Context, r *Reconciler, p *Plan, opts ApplyOptions) (*finding.Finding, error)

// guards are apply's checks, in the order they are reported. plan runs the
// same list, so that it predicts what apply will do.
var guards = []struct {
	code string
	// refuses is what errors.Is finds in the error of a refused apply.
	refuses error
	check   guard
}{
	{"force-push", ErrHistoryRewritten, checkForcePush},
	{"mass-delete", ErrMassDelete, checkMassDelete},
}

// runGuards adds the guards' findings to the plan and returns the refusal
// of the first one that refuses.
func (r *Reconciler) runGuards(ctx context.Context, p *Plan, opts ApplyOptions) error {
	var refusal error
	for _, g := range guards {
		f, err := g.check(ctx, r, p, opts)
		if err != nil {
			return fmt.Errorf("check %s: %w", g.code, err)
		}
		if f == nil {
			continue
		}
		f.Code = g.code
		p.Diagnostics = append(p.Diagnostics, *f)
		if f.Severity == finding.Error && refusal == nil {
			refusal = fmt.Errorf("%w: %s; %s", g.refuses, f.Message, f.Hint)
		}
	}
	p.Diagnostics.Sort()
	return refusal
}

// checkForcePush refuses a branch whose history was rewritten past the
// applied commit: a force-push to a production branch deserves a human's yes.
func checkForcePush(ctx context.Context, r *Reconciler, p *Plan, opts ApplyOptions) (*finding.Finding, error) {
	hist, ok := r.Source.(interface {
		Descends(ctx context.Context, ancestor, ref string) (bool, error)
	})
	if !ok || p.Base == nil || p.againstRevision {
		return nil, nil // two revisions under review: neither is applied
	}
	ok, err := hist.Descends(ctx, p.Base.Ref, p.Revision.Ref)
	if err != nil || ok {
		return nil, err
	}
	f := &finding.Finding{
		Severity: finding.Error,
		Message:  fmt.Sprintf("the branch was force-pushed: applied commit %s is not an ancestor of %s", ShortRef(p.Base.Ref), ShortRef(p.Revision.Ref)),
		Hint:     "review the plan and apply with --allow-force-push to accept it",
	}
	if opts.AllowRewrite {
		f.Severity, f.Hint = finding.Warning, "accepted with --allow-force-push"
	}
	return f, nil
}

// checkMassDelete refuses a revision that deletes more than half of the
// orchestrations (and at least two), counted against every orchestration
// applied within the last massDeleteWindow, so that deleting one per
// commit is caught too.
func checkMassDelete(ctx context.Context, r *Reconciler, p *Plan, opts ApplyOptions) (*finding.Finding, error) {
	recent := map[string]bool{}
	created := map[string]bool{}
	for _, c := range p.Changes {
		if c.Kind == spec.KindOrchestration {
			if c.Action == ActionCreate {
				created[c.Name] = true
			} else {
				recent[c.Name] = true
			}
		}
	}
	for _, o := range p.objects {
		if o.Kind == spec.KindOrchestration && !created[o.Name] {
			recent[o.Name] = true
		}
	}
	if r.Store != nil && !p.againstRevision {
		names, err := r.Store.OrchestrationsSince(ctx, r.Clock.Now().Add(-massDeleteWindow).UTC())
		if err != nil {
			return nil, err
		}
		for _, n := range names {
			recent[n] = true
		}
	}
	kept := map[string]bool{}
	for _, o := range p.objects {
		if o.Kind == spec.KindOrchestration {
			kept[o.Name] = true
		}
	}
	gone := 0
	for n := range recent {
		if !kept[n] {
			gone++
		}
	}
	if gone < 2 || gone*2 <= len(recent) {
		return nil, nil
	}
	msg := fmt.Sprintf("this revision deletes %d of %d orchestrations", gone, len(recent))
	if !p.againstRevision {
		msg += " (counting those applied within the last hour)"
	}
	f := &finding.Finding{
		Severity: finding.Error,
		Message:  msg,
		Hint:     "if that is intended, apply with --allow-mass-delete",
	}
	if opts.AllowMassDelete {
		f.Severity, f.Hint = finding.Warning, "accepted with --allow-mass-delete"
	}
	return f, nil
}

// Refused reports whether err means the revision was refused: it is
// invalid, holds no files, or a guard stopped it. Nothing of it was applied.
func Refused(err error) bool {
	return errors.Is(err, ErrInvalidRevision) || errors.Is(err, ErrNoFiles) || errors.Is(err, ErrMassDelete) || errors.Is(err, ErrHistoryRewritten)
}

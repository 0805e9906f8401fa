// Package reconciler turns a source revision into applied state: fetch the
// source, parse and validate it, compare it with the state, apply it whole or
// not at all, and record the outcome. A failed step leaves the last good
// revision in force and says why.
package reconciler

import (
	"context"
	"errors"
	"fmt"

	"github.com/baton-dev/baton/clock"
	"github.com/baton-dev/baton/hcl"
	"github.com/baton-dev/baton/spec"
	"github.com/baton-dev/baton/state"
)

// ErrInvalidRevision means the revision has errors and nothing of it was
// applied; the plan's diagnostics say where.
var ErrInvalidRevision = errors.New("the revision has errors; nothing was applied and the last good revision stays in force")

// ErrMassDelete means a revision would delete most orchestrations.
var ErrMassDelete = errors.New("refusing to delete most orchestrations")

// ErrHistoryRewritten means the branch no longer contains the applied commit.
var ErrHistoryRewritten = errors.New("the branch was force-pushed")

// Reconciler applies revisions of one source to one state.
type Reconciler struct {
	Source Source
	Store  *state.Store
	Clock  clock.Clock
}

// ApplyOptions relax the safety checks of Apply.
type ApplyOptions struct {
	// AllowMassDelete lets a revision delete more than half of the
	// orchestrations (and at least two).
	AllowMassDelete bool
	// AllowRewrite accepts a branch whose history no longer contains the
	// applied commit.
	AllowRewrite bool
}

// Result is the outcome of Apply.
type Result struct {
	Plan *Plan
	// Applied is false when the revision was already in force.
	Applied  bool
	Revision state.Revision
}

// Plan fetches the source and compares its current revision with the
// applied state. An invalid revision returns the plan (with diagnostics) and
// ErrInvalidRevision.
func (r *Reconciler) Plan(ctx context.Context) (*Plan, error) {
	if plan, err := r.planUnchanged(ctx); plan != nil || err != nil {
		return plan, err
	}
	snap, err := r.fetch(ctx)
	if err != nil {
		return nil, err
	}
	applied, err := r.Store.AppliedObjects(ctx)
	if err != nil {
		return nil, fmt.Errorf("read applied state: %w", err)
	}
	plan, err := r.planSnapshot(snap, applied)
	if err != nil {
		return plan, err
	}
	if cur, err := r.Store.CurrentRevision(ctx); err == nil {
		base := Revision{Ref: cur.Ref, Author: cur.Author, Message: cur.Message, CommittedAt: cur.CommittedAt}
		plan.Base = &base
	} else if !errors.Is(err, state.ErrNoRevision) {
		return nil, fmt.Errorf("read applied revision: %w", err)
	}
	return plan, nil
}

// PlanRevisions compares two revisions of a Git source without touching the
// state: the pull-request review. An empty head means the current revision.
func (r *Reconciler) PlanRevisions(ctx context.Context, base, head string) (*Plan, error) {
	hist, ok := r.Source.(History)
	if !ok {
		return nil, fmt.Errorf("--base needs a Git source, but %s is a directory", r.Source)
	}
	baseSnap, err := hist.At(ctx, base)
	if err != nil {
		return nil, fmt.Errorf("read base revision: %w", err)
	}
	baseSpec, diags := hcl.Parse(baseSnap.Files)
	if diags.HasErrors() {
		return &Plan{FormatVersion: PlanFormatVersion, Source: r.Source.String(), Revision: baseSnap.Revision, Diagnostics: diags},
			fmt.Errorf("base revision %s: %w", shortRef(baseSnap.Revision.Ref), ErrInvalidRevision)
	}
	baseObjs, err := baseSpec.Objects()
	if err != nil {
		return nil, err
	}
	var headSnap Snapshot
	if head == "" {
		headSnap, err = hist.Fetch(ctx)
	} else {
		headSnap, err = hist.At(ctx, head)
	}
	if err != nil {
		return nil, fmt.Errorf("read head revision: %w", err)
	}
	plan, err := r.planSnapshot(headSnap, baseObjs)
	if plan != nil {
		plan.Base = &baseSnap.Revision
	}
	return plan, err
}

// Apply applies the source's current revision in one transaction, or
// nothing of it.
func (r *Reconciler) Apply(ctx context.Context, opts ApplyOptions) (*Result, error) {
	plan, err := r.Plan(ctx)
	if err != nil {
		return &Result{Plan: plan}, err
	}
	res := &Result{Plan: plan}
	if err := r.checkLineage(ctx, plan, opts); err != nil {
		return res, err
	}
	if err := checkMassDelete(plan, opts); err != nil {
		return res, err
	}
	cur, err := r.Store.CurrentRevision(ctx)
	if err == nil && cur.Ref == plan.Revision.Ref && !plan.HasChanges() {
		res.Revision = cur
		return res, nil
	}
	rev, err := r.Store.ApplyRevision(ctx, state.Revision{
		Ref:         plan.Revision.Ref,
		Source:      r.Source.String(),
		Author:      plan.Revision.Author,
		Message:     plan.Revision.Message,
		CommittedAt: plan.Revision.CommittedAt,
		AppliedAt:   r.Clock.Now().UTC(),
	}, plan.objects)
	if err != nil {
		return res, fmt.Errorf("apply revision %s: %w", shortRef(plan.Revision.Ref), err)
	}
	res.Applied, res.Revision = true, rev
	return res, nil
}

// planUnchanged answers the common case of a poll cheaply: when the source
// still points at the applied commit, the plan is empty without reading or
// parsing a file. It returns nil when the full plan is needed.
func (r *Reconciler) planUnchanged(ctx context.Context) (*Plan, error) {
	hs, ok := r.Source.(interface {
		Head(ctx context.Context) (Revision, error)
	})
	if !ok {
		return nil, nil
	}
	cur, err := r.Store.CurrentRevision(ctx)
	if err != nil {
		return nil, nil // nothing applied (or unreadable): take the full path
	}
	rev, err := hs.Head(ctx)
	if recErr := r.Store.RecordFetch(ctx, r.Clock.Now().UTC(), rev.Ref, err); recErr != nil {
		return nil, errors.Join(err, fmt.Errorf("record fetch: %w", recErr))
	}
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w (the last applied revision stays in force)", r.Source, err)
	}
	if rev.Ref != cur.Ref {
		return nil, nil
	}
	base := Revision{Ref: cur.Ref, Author: cur.Author, Message: cur.Message, CommittedAt: cur.CommittedAt}
	return &Plan{FormatVersion: PlanFormatVersion, Source: r.Source.String(), Revision: rev, Base: &base,
		Changes: []Change{}, Diagnostics: hcl.Diagnostics{}}, nil
}

// fetch reads the source and records the outcome, so that the state says
// since when the source is stale.
func (r *Reconciler) fetch(ctx context.Context) (Snapshot, error) {
	snap, err := r.Source.Fetch(ctx)
	now := r.Clock.Now().UTC()
	if recErr := r.Store.RecordFetch(ctx, now, snap.Revision.Ref, err); recErr != nil {
		return Snapshot{}, errors.Join(err, fmt.Errorf("record fetch: %w", recErr))
	}
	if err != nil {
		return Snapshot{}, fmt.Errorf("fetch %s: %w (the last applied revision stays in force)", r.Source, err)
	}
	return snap, nil
}

func (r *Reconciler) planSnapshot(snap Snapshot, before []spec.Object) (*Plan, error) {
	plan := &Plan{FormatVersion: PlanFormatVersion, Source: r.Source.String(), Revision: snap.Revision}
	desired, diags := hcl.Parse(snap.Files)
	plan.Diagnostics = diags
	if plan.Diagnostics == nil {
		plan.Diagnostics = hcl.Diagnostics{}
	}
	if diags.HasErrors() {
		return plan, ErrInvalidRevision
	}
	objs, err := desired.Objects()
	if err != nil {
		return plan, fmt.Errorf("encode revision %s: %w", shortRef(snap.Revision.Ref), err)
	}
	plan.objects = objs
	plan.Changes, err = newPlan(before, objs, r.Clock.Now())
	if err != nil {
		return plan, err
	}
	return plan, nil
}

// checkLineage refuses a branch whose history was rewritten past the applied
// commit: a force-push to a production branch deserves a human's yes.
func (r *Reconciler) checkLineage(ctx context.Context, plan *Plan, opts ApplyOptions) error {
	hist, ok := r.Source.(interface {
		Descends(ctx context.Context, ancestor, ref string) (bool, error)
	})
	if !ok || plan.Base == nil {
		return nil
	}
	ok, err := hist.Descends(ctx, plan.Base.Ref, plan.Revision.Ref)
	if err != nil {
		return fmt.Errorf("check history of %s: %w", r.Source, err)
	}
	if ok {
		return nil
	}
	msg := fmt.Sprintf("applied commit %s is not an ancestor of %s", shortRef(plan.Base.Ref), shortRef(plan.Revision.Ref))
	if opts.AllowRewrite {
		plan.Warnings = append(plan.Warnings, "the branch was force-pushed: "+msg)
		return nil
	}
	return fmt.Errorf("%w: %s; review the plan and apply with --allow-force-push to accept it", ErrHistoryRewritten, msg)
}

func checkMassDelete(plan *Plan, opts ApplyOptions) error {
	if opts.AllowMassDelete {
		return nil
	}
	var before, deleted int
	for _, c := range plan.Changes {
		if c.Kind == spec.KindOrchestration && c.Action == ActionDelete {
			deleted++
		}
	}
	after := 0
	for _, o := range plan.objects {
		if o.Kind == spec.KindOrchestration {
			after++
		}
	}
	for _, c := range plan.Changes {
		if c.Kind == spec.KindOrchestration && c.Action == ActionCreate {
			after--
		}
	}
	before = after + deleted
	if deleted >= 2 && deleted*2 > before {
		return fmt.Errorf("%w: this revision deletes %d of %d orchestrations; if that is intended, apply with --allow-mass-delete", ErrMassDelete, deleted, before)
	}
	return nil
}

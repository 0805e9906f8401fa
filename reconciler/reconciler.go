// Package reconciler turns a source revision into applied state: fetch the
// source, parse and validate it, compare it with the state, apply it whole or
// not at all, and record the outcome. A failed step leaves the last good
// revision in force and says why.
package reconciler

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/baton-dev/baton/clock"
	"github.com/baton-dev/baton/finding"
	"github.com/baton-dev/baton/hcl"
	"github.com/baton-dev/baton/redact"
	"github.com/baton-dev/baton/spec"
	"github.com/baton-dev/baton/state"
)

// ErrInvalidRevision means the revision has errors and nothing of it was
// applied; the plan's diagnostics say where.
var ErrInvalidRevision = errors.New("the revision has errors; nothing was applied and the last good revision stays in force")

// ErrSourceUnavailable means the source could not be read (the remote is
// down, the branch is gone, credentials are refused): nothing was applied.
var ErrSourceUnavailable = errors.New("the source could not be fetched")

func fetchError(src Source, err error) error {
	if errors.Is(err, ErrNoFiles) {
		return fmt.Errorf("fetch %s: %w (the last applied revision stays in force)", src, err)
	}
	return fmt.Errorf("fetch %s: %w: %w (the last applied revision stays in force)", src, ErrSourceUnavailable, err)
}

// ErrMassDelete means a revision would delete most orchestrations.
var ErrMassDelete = errors.New("refusing to delete most orchestrations")

// ErrHistoryRewritten means the branch no longer contains the applied commit.
var ErrHistoryRewritten = errors.New("the branch was force-pushed")

// Reconciler applies revisions of one source to one state.
type Reconciler struct {
	Source Source
	Store  state.Store
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
	// Repeated is true when the revision was refused before for the same
	// reason: it was recorded then, and need not be reported again.
	Repeated bool
}

// Plan fetches the source and compares its current revision with the
// applied state. It runs apply's guards with opts, so that it predicts what
// apply does: an invalid revision returns the plan (with diagnostics) and
// ErrInvalidRevision, a refused one the plan and the guard's error.
func (r *Reconciler) Plan(ctx context.Context, opts ApplyOptions) (*Plan, error) {
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
	plan, err := r.planSnapshot(ctx, snap, applied)
	if err != nil {
		return plan, err
	}
	if cur, err := r.Store.CurrentRevision(ctx); err == nil {
		base := Revision{Ref: cur.Ref, Author: cur.Author, Message: cur.Message, CommittedAt: cur.CommittedAt}
		plan.Base = &base
	} else if !errors.Is(err, state.ErrNoRevision) {
		return nil, fmt.Errorf("read applied revision: %w", err)
	}
	return plan, r.runGuards(ctx, plan, opts)
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
		return &Plan{FormatVersion: PlanFormatVersion, Source: redact.URL(r.Source.String()), Revision: baseSnap.Revision, Diagnostics: diags},
			fmt.Errorf("base revision %s: %w", ShortRef(baseSnap.Revision.Ref), ErrInvalidRevision)
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
	plan, err := r.planSnapshot(ctx, headSnap, baseObjs)
	if plan != nil {
		plan.Base = &baseSnap.Revision
		plan.againstRevision = true
	}
	if err != nil {
		return plan, err
	}
	return plan, r.runGuards(ctx, plan, ApplyOptions{})
}

// Apply applies the source's current revision in one transaction, or
// nothing of it. The revision it tried, and why it was refused, are
// recorded beside the source status.
func (r *Reconciler) Apply(ctx context.Context, opts ApplyOptions) (*Result, error) {
	plan, err := r.Plan(ctx, opts)
	res := &Result{Plan: plan}
	if err != nil {
		if plan != nil && Refused(err) {
			res.Repeated, err = r.recordRefusal(ctx, plan, err)
		}
		return res, err
	}
	cur, err := r.Store.CurrentRevision(ctx)
	if err == nil && cur.Ref == plan.Revision.Ref && !plan.HasChanges() {
		res.Revision = cur
		return res, r.recordAttempt(ctx, plan.Revision.Ref, "")
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
		return res, fmt.Errorf("apply revision %s: %w", ShortRef(plan.Revision.Ref), err)
	}
	res.Applied, res.Revision = true, rev
	return res, r.recordAttempt(ctx, rev.Ref, "")
}

// recordRefusal records a refused revision once: repeated is true when the
// same revision was already refused for the same reason (a poll that found
// nothing new), and the caller need not say it again.
func (r *Reconciler) recordRefusal(ctx context.Context, plan *Plan, refusal error) (repeated bool, err error) {
	reason := refusal.Error()
	st, err := r.Store.SourceStatus(ctx)
	if err != nil {
		return false, errors.Join(refusal, err)
	}
	if st.AttemptRef == plan.Revision.Ref && st.RefusedReason == reason {
		return true, refusal
	}
	if err := r.recordAttempt(ctx, plan.Revision.Ref, reason); err != nil {
		return false, errors.Join(refusal, err)
	}
	return false, refusal
}

func (r *Reconciler) recordAttempt(ctx context.Context, ref, refused string) error {
	st, err := r.Store.SourceStatus(ctx)
	if err == nil && st.AttemptRef == ref && st.RefusedReason == refused {
		return nil // nothing new: polls of an applied head write nothing
	}
	if err := r.Store.RecordAttempt(ctx, r.Clock.Now().UTC(), ref, refused); err != nil {
		return fmt.Errorf("record attempted revision %s: %w", ShortRef(ref), err)
	}
	return nil
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
		return nil, fetchError(r.Source, err)
	}
	if rev.Ref != cur.Ref {
		return nil, nil
	}
	base := Revision{Ref: cur.Ref, Author: cur.Author, Message: cur.Message, CommittedAt: cur.CommittedAt}
	return &Plan{FormatVersion: PlanFormatVersion, Source: redact.URL(r.Source.String()), Revision: rev, Base: &base,
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
		return Snapshot{}, fetchError(r.Source, err)
	}
	return snap, nil
}

type reviewResult struct {
	lints finding.List
	err   error
}

func (r *Reconciler) planSnapshot(ctx context.Context, snap Snapshot, before []spec.Object) (*Plan, error) {
	plan := &Plan{FormatVersion: PlanFormatVersion, Source: redact.URL(r.Source.String()), Revision: snap.Revision}
	desired, diags := hcl.Parse(snap.Files)
	plan.Diagnostics = diags
	if plan.Diagnostics == nil {
		plan.Diagnostics = hcl.Diagnostics{}
	}
	if diags.HasErrors() {
		return plan, ErrInvalidRevision
	}
	// The review checks only read the spec: they run on another CPU while
	// it is encoded and compared. They get their own copy of before, whose
	// objects newPlan fills in as it decodes them.
	reviewed := make(chan reviewResult, 1)
	go func(before []spec.Object) {
		lints, err := r.review(ctx, desired, before)
		reviewed <- reviewResult{lints, err}
	}(slices.Clone(before))
	objs, err := desired.Objects()
	if err != nil {
		<-reviewed
		return plan, fmt.Errorf("encode revision %s: %w", ShortRef(snap.Revision.Ref), err)
	}
	plan.objects = objs
	plan.Changes, err = newPlan(before, objs, r.Clock.Now())
	rv := <-reviewed
	if err != nil {
		return plan, err
	}
	lints, err := rv.lints, rv.err
	if err != nil {
		return plan, err
	}
	plan.Diagnostics = append(plan.Diagnostics, lints...)
	plan.Diagnostics.Sort()
	if lints.HasErrors() {
		return plan, ErrInvalidRevision
	}
	return plan, nil
}

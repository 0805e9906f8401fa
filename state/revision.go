package state

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/baton-dev/baton/spec"
)

// ErrNoRevision means nothing was applied yet.
var ErrNoRevision = errors.New("no revision is applied yet")

// Revision is one applied revision of the source.
type Revision struct {
	ID          int64     `json:"id"`
	Ref         string    `json:"ref"`
	Source      string    `json:"source"`
	Author      string    `json:"author,omitempty"`
	Message     string    `json:"message,omitempty"`
	CommittedAt time.Time `json:"committed_at,omitzero"`
	AppliedAt   time.Time `json:"applied_at"`
}

// SourceStatus is the outcome of the last fetches of the source.
type SourceStatus struct {
	LastFetchAt   time.Time `json:"last_fetch_at,omitzero"`
	LastSuccessAt time.Time `json:"last_success_at,omitzero"`
	// StaleSince is when fetching started to fail; zero while it works.
	StaleSince time.Time `json:"stale_since,omitzero"`
	Ref        string    `json:"ref,omitempty"`
	LastError  string    `json:"last_error,omitempty"`
	// AttemptRef is the last revision apply tried, at AttemptAt;
	// RefusedReason says why it was refused (invalid, or a guard such as a
	// mass delete), and is empty when it was applied.
	AttemptRef    string    `json:"last_attempt_ref,omitempty"`
	AttemptAt     time.Time `json:"last_attempt_at,omitzero"`
	RefusedReason string    `json:"refused_reason,omitempty"`
}

// RevisionStore holds the applied revisions, their objects and the
// outcome of fetching the source.
type RevisionStore interface {
	// CurrentRevision is the revision in force; ErrNoRevision before the
	// first apply.
	CurrentRevision(ctx context.Context) (Revision, error)
	// Revisions lists applied revisions, newest first; limit <= 0 lists all.
	Revisions(ctx context.Context, limit int) ([]Revision, error)
	// AppliedObjects returns the live objects sorted by SortObjects.
	AppliedObjects(ctx context.Context) ([]spec.Object, error)
	// AppliedObject returns one live object; ErrNotFound if there is none.
	AppliedObject(ctx context.Context, kind spec.Kind, name string) (spec.Object, error)
	// ObjectRevision is the revision that made the live version of an
	// object, the last one that changed it; ErrNotFound if it is not live.
	ObjectRevision(ctx context.Context, kind spec.Kind, name string) (Revision, error)
	// ApplyRevision records rev and makes objects the live set, in one
	// transaction: unchanged objects stay, changed and removed ones are
	// kept as history. It returns rev with its ID.
	ApplyRevision(ctx context.Context, rev Revision, objects []spec.Object) (Revision, error)
	// RecordFetch records the outcome of one fetch.
	RecordFetch(ctx context.Context, at time.Time, ref string, fetchErr error) error
	// SourceStatus reads the fetch outcome; zero values when never fetched.
	SourceStatus(ctx context.Context) (SourceStatus, error)
	// RecordAttempt records the revision apply last tried and why it was
	// refused ("" when it was applied), beside the source status.
	RecordAttempt(ctx context.Context, at time.Time, ref, refusedReason string) error
	// OrchestrationsSince names the orchestrations that were applied at
	// any moment since since: those live now and those deleted by a
	// revision applied after it.
	OrchestrationsSince(ctx context.Context, since time.Time) ([]string, error)
}

// AppliedNames names the live objects of kind, in name order.
func AppliedNames(ctx context.Context, st interface {
	AppliedObjects(ctx context.Context) ([]spec.Object, error)
}, kind spec.Kind) ([]string, error) {
	objs, err := st.AppliedObjects(ctx)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, o := range objs {
		if o.Kind == kind {
			names = append(names, o.Name)
		}
	}
	return names, nil
}

// SortObjects puts objects in kind order, then by name: the order
// AppliedObjects returns.
func SortObjects(objs []spec.Object) {
	slices.SortFunc(objs, func(a, b spec.Object) int {
		if ka, kb := slices.Index(spec.Kinds, a.Kind), slices.Index(spec.Kinds, b.Kind); ka != kb {
			return ka - kb
		}
		switch {
		case a.Name < b.Name:
			return -1
		case a.Name > b.Name:
			return 1
		}
		return 0
	})
}

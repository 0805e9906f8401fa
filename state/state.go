// Package state is baton's run state as a backend sees it: the domain types
// (jobs, revisions, tables, tokens, notifications) and the interfaces a
// storage backend implements. The executor, reconciler, server and notify
// speak only these; one package per database (state/sqlite) implements
// them, and state/statetest is the suite every backend passes.
package state

import (
	"context"
	"errors"
)

// ErrNotFound means the job, object or token does not exist.
var ErrNotFound = errors.New("not found")

// Store is everything baton keeps: a backend implements all of it. Users
// that need less take the narrower interface of their seam.
type Store interface {
	JobStore
	RevisionStore
	TableStore
	FireStore
	TokenStore
	OutboxStore
	RetentionStore
	ExecutorStore
	NodeStore
	SuspensionStore
	// SchemaVersion is the version of the backend's schema.
	SchemaVersion(ctx context.Context) (int, error)
	// Close releases the backend's connections.
	Close() error
}

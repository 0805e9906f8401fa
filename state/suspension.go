package state

import (
	"context"
	"time"
)

// Suspension pauses an orchestration's schedules and event triggers
// without a commit: an operator's escape hatch. Manual runs still work.
type Suspension struct {
	Orchestration string `json:"orchestration"`
	// By is who suspended it, as a manual run records its user.
	By string `json:"by"`
	// Reason is why, as the operator said it (may be empty).
	Reason string    `json:"reason,omitempty"`
	At     time.Time `json:"at"`
}

// SuspensionStore keeps which orchestrations are suspended.
type SuspensionStore interface {
	// Suspend suspends an orchestration, replacing an earlier suspension
	// of it (its by, reason and time).
	Suspend(ctx context.Context, s Suspension) error
	// Resume lifts the suspension of name; it returns ErrNotFound when
	// name is not suspended.
	Resume(ctx context.Context, name string) error
	// Suspensions lists the suspended orchestrations by name.
	Suspensions(ctx context.Context) ([]Suspension, error)
}

// Suspended indexes suspensions by orchestration.
func Suspended(list []Suspension) map[string]Suspension {
	m := make(map[string]Suspension, len(list))
	for _, s := range list {
		m[s.Orchestration] = s
	}
	return m
}

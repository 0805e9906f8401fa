package executor

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/baton-dev/baton/spec"
	"github.com/baton-dev/baton/state"
)

// Suspend suspends the applied orchestration name: its schedules and
// event triggers stop firing until Resume; manual runs still work. It is
// recorded with who, why and now. Suspending a suspended orchestration
// replaces the record. An unknown name is refused with the closest one.
func (e *Executor) Suspend(ctx context.Context, name, by, reason string) (state.Suspension, error) {
	s, _, err := e.applied(ctx)
	if err != nil {
		return state.Suspension{}, err
	}
	if !slices.ContainsFunc(s.Orchestrations, func(o *spec.Orchestration) bool { return o.Name == name }) {
		return state.Suspension{}, unknownOrchestration(s, name)
	}
	sp := state.Suspension{Orchestration: name, By: by, Reason: reason, At: e.clock.Now().UTC()}
	if err := e.store.Suspend(ctx, sp); err != nil {
		return state.Suspension{}, err
	}
	return sp, nil
}

// Resume lifts the suspension of name: its schedules fire again from
// their next instant (those passed while suspended are not made up) and
// its trigger counts the table updates made meanwhile.
func (e *Executor) Resume(ctx context.Context, name string) error {
	err := e.store.Resume(ctx, name)
	if !errors.Is(err, state.ErrNotFound) {
		return err
	}
	if s, _, aerr := e.applied(ctx); aerr == nil && !slices.ContainsFunc(s.Orchestrations, func(o *spec.Orchestration) bool { return o.Name == name }) {
		return unknownOrchestration(s, name)
	}
	return fmt.Errorf("orchestration %q is not suspended; baton suspend %s pauses it", name, name)
}

// Suspension returns the suspension of name; ok is false when it is not
// suspended.
func (e *Executor) Suspension(ctx context.Context, name string) (state.Suspension, bool, error) {
	list, err := e.store.Suspensions(ctx)
	if err != nil {
		return state.Suspension{}, false, fmt.Errorf("read suspended orchestrations: %w", err)
	}
	sp, ok := state.Suspended(list)[name]
	return sp, ok, nil
}

// Package health says whether a running baton is ready: its source can be
// fetched, its executor runs, and its state takes writes. /healthz stays
// plain liveness; /readyz, `baton revisions` and the web UI's banner report
// the problems found here, each with a reason and since when.
package health

import (
	"context"
	"fmt"
	"time"

	"github.com/baton-dev/baton/clock"
	"github.com/baton-dev/baton/redact"
	"github.com/baton-dev/baton/state"
)

// Checks, by name.
const (
	CheckSource   = "source"
	CheckExecutor = "executor"
	CheckState    = "state"
)

// Problem is one reason baton is not ready.
type Problem struct {
	Check  string    `json:"check"`
	Reason string    `json:"reason"`
	Since  time.Time `json:"since,omitzero"`
}

// Executor is what readiness needs to know of the executor.
type Executor interface {
	// Running is true while the executor's dispatcher runs in this process.
	Running() bool
}

// worker is an executor that runs the tasks handed to its node.
type worker interface {
	// Working is true while this node's worker runs.
	Working() bool
}

// stateWriter is an executor that knows whether the state takes writes.
type stateWriter interface {
	// StateWritable is nil while transitions are stored, else the fault.
	StateWritable() error
}

// Checker evaluates readiness.
type Checker struct {
	Store state.RevisionStore
	// Executor is nil where no executor runs (the CLI); its checks are
	// then skipped.
	Executor Executor
	Clock    clock.Clock
	// StaleAfter is how long fetching the source may fail before baton is
	// not ready; 0 means at the first failed fetch.
	StaleAfter time.Duration
}

// Problems lists why baton is not ready; none means ready.
func (c *Checker) Problems(ctx context.Context) []Problem {
	var out []Problem
	if st, err := c.Store.SourceStatus(ctx); err != nil {
		out = append(out, Problem{Check: CheckState, Reason: fmt.Sprintf("read the source status: %v", err)})
	} else if p, bad := SourceProblem(st, c.Clock.Now(), c.StaleAfter); bad {
		out = append(out, p)
	}
	if c.Executor == nil {
		return out
	}
	if w, ok := c.Executor.(worker); ok && w.Working() {
		// A node of several that stands by: it runs the tasks handed to
		// it while another node leads.
	} else if !c.Executor.Running() {
		out = append(out, Problem{Check: CheckExecutor, Reason: "the executor is not running; no job starts"})
	}
	if sw, ok := c.Executor.(stateWriter); ok {
		if err := sw.StateWritable(); err != nil {
			out = append(out, Problem{Check: CheckState, Reason: err.Error()})
		}
	}
	return out
}

// SourceProblem says whether a source that fails since st.StaleSince has
// failed for longer than staleAfter at now.
func SourceProblem(st state.SourceStatus, now time.Time, staleAfter time.Duration) (Problem, bool) {
	if st.StaleSince.IsZero() || now.Sub(st.StaleSince) < staleAfter {
		return Problem{}, false
	}
	reason := "fetching the source fails"
	if st.LastError != "" {
		reason += ": " + redact.Text(st.LastError) // /readyz needs no token
	}
	reason += "; the last applied revision keeps running"
	return Problem{Check: CheckSource, Reason: reason, Since: st.StaleSince}, true
}

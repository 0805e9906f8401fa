package executor

import (
	"time"

	"github.com/baton-dev/baton/state"
)

// Observer is told what the executor does as it happens, for metrics. Its
// methods are called from the dispatcher's goroutine (and from FireDue)
// and must not block.
type Observer interface {
	// JobChanged is called once a transition of j was stored; from is
	// the status j had before it.
	JobChanged(j state.Job, from state.JobStatus)
	// ScheduleFired is called when a schedule due at due created j.
	ScheduleFired(j state.Job, due time.Time)
}

// observed is a stored transition the observer has yet to hear of.
type observed struct {
	job  state.Job
	from state.JobStatus
}

// tellObserver reports the transitions of the flushed batch.
func (d *dispatcher) tellObserver() {
	if o := d.e.cfg.Observer; o != nil {
		for _, ob := range d.observed {
			o.JobChanged(ob.job, ob.from)
		}
	}
	d.observed = d.observed[:0]
}

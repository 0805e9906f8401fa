package executor

import "github.com/baton-dev/baton/state"

// readyLine remembers what the waiting tasks of the ready line were told,
// so that a round after one task ended need not look at every task of a
// wide phase again. With no slot free, the reason a task waits changes only
// when the line changes, when the holder of its configuration changes, or
// when the count of running processes or the limit does; every one of those
// moves gen or is compared.
type readyLine struct {
	// keys counts the tasks in line per serial key, recounted by every
	// pass that looks at the whole line.
	keys map[string]int
	// gen moves when a task joins or leaves the line other than by
	// starting, and when the holder of a key that tasks in line wait for
	// changes.
	gen uint64
	// moved is set when gen moved during a pass for another reason than
	// a task that started (a run that ended, a phase that began).
	moved bool
	// What the last pass that looked at every task saw.
	marked                   bool
	markedGen                uint64
	markedProcs, markedLimit int
}

// changed says that tasks joined or left the line.
func (l *readyLine) changed() { l.gen, l.moved = l.gen+1, true }

// begin starts a pass over the line and says whether it must look at every
// task; then it recounts the keys.
func (l *readyLine) begin(d *dispatcher) (full bool) {
	l.moved = false
	if l.marked && l.gen == l.markedGen && d.limit == l.markedLimit && d.cl == nil && !d.draining {
		return false
	}
	if l.keys == nil {
		l.keys = map[string]int{}
	}
	clear(l.keys)
	for _, t := range d.ready {
		if t.spec.Orchestration == "" {
			l.keys[t.job.SerialKey]++
		}
	}
	return true
}

// settled says whether the rest of the line waits for the reasons it was
// given: no slot is free, as many processes run as when they were given,
// and nothing they wait on changed since.
func (l *readyLine) settled(d *dispatcher) bool {
	return l.marked && d.procs >= d.limit && d.procs == l.markedProcs && l.gen == l.markedGen
}

// left notes that a task of key started; the others of its key in line
// now wait for it.
func (l *readyLine) left(key string) {
	if l.keys[key]--; l.keys[key] > 0 {
		l.gen++
	}
}

// lookedAtAll notes that a pass looked at every task in line: unless the
// line moved under it, each task has its current reason now.
func (l *readyLine) lookedAtAll(d *dispatcher) {
	l.marked, l.markedGen, l.markedProcs, l.markedLimit = !l.moved, l.gen, d.procs, d.limit
}

// holderChanged notes that key is taken or freed.
func (l *readyLine) holderChanged(key string) {
	if l.keys[key] > 0 {
		l.gen, l.moved = l.gen+1, true
	}
}

// setBusy makes id the holder of key.
func (d *dispatcher) setBusy(key string, id state.JobID) {
	d.busy[key] = id
	d.line.holderChanged(key)
}

// freeBusy frees key.
func (d *dispatcher) freeBusy(key string) {
	delete(d.busy, key)
	d.line.holderChanged(key)
}

// afterSchedule, when set (by tests), sees the dispatcher after every
// round's scheduling.
var afterSchedule func(*dispatcher)

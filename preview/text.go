package preview

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/baton-dev/baton/terminal"
)

// WriteText prints the orchestration for people; every value from the
// files is escaped for the terminal.
func (o Orchestration) WriteText(w io.Writer) {
	p := printer{w: w}
	p.line("orchestration %s (revision %s)", o.Name, short(o.Revision))
	if o.Description != "" {
		p.line("  %s", o.Description)
	}
	p.line("  on_overlap: %s", o.OnOverlap)
	if sp := o.Suspended; sp != nil {
		p.line("  suspended by %s at %s: schedules and trigger do not fire (baton resume %s)", sp.By, sp.At.Format(time.RFC3339), o.Name)
		if sp.Reason != "" {
			p.line("    reason: %s", sp.Reason)
		}
	}
	p.line("")
	if len(o.Schedules) == 0 {
		p.line("schedule: none")
	}
	for _, s := range o.Schedules {
		p.line("schedule %q in %s: %s (%s)", s.Cron, s.Timezone, s.Words, s.Kind)
		loc, err := time.LoadLocation(s.Timezone)
		if err != nil {
			loc = time.UTC
		}
		for _, at := range s.Next {
			p.line("  next: %s  (%s)", at.In(loc).Format("Mon 2006-01-02 15:04 MST"), at.UTC().Format(time.RFC3339))
		}
	}
	if t := o.Trigger; t != nil {
		p.trigger(t)
	} else {
		p.line("trigger: none")
	}
	p.line("notification thresholds: long_running %s, waiting_too_long %s", o.LongRunning, o.WaitingTooLong)
	for _, n := range o.Notify {
		events := make([]string, len(n.On))
		for i, e := range n.On {
			events[i] = string(e)
		}
		p.line("notify %s on %s", strings.Join(n.To, ", "), strings.Join(events, ", "))
	}
	p.line("")
	p.phases(o.Phases)
}

// WriteText prints what the run would do.
func (r Run) WriteText(w io.Writer) {
	p := printer{w: w}
	runs := 0
	for _, ph := range r.Phases {
		for _, t := range ph.Tasks {
			if t.Run {
				runs++
			}
		}
	}
	p.line("dry run of %s (revision %s): %d task(s) would run; nothing was queued", r.Orchestration, short(r.Revision), runs)
	p.line("")
	p.phases(r.Phases)
}

type printer struct{ w io.Writer }

func (p printer) line(format string, args ...any) {
	fmt.Fprintln(p.w, terminal.Escape(fmt.Sprintf(format, args...)))
}

func (p printer) trigger(t *Trigger) {
	p.line("trigger on %s", strings.Join(t.Tables, ", "))
	if t.Cooldown != "" {
		p.line("  cooldown: %s", t.Cooldown)
	}
	st := t.Status
	if !st.LastExecution.IsZero() {
		p.line("  last execution: %s", st.LastExecution.Format(time.RFC3339))
	}
	p.line("  updates count after: %s", st.CountsAfter.Format(time.RFC3339))
	for _, table := range t.Tables {
		at, ok := st.Updated[table]
		switch {
		case !ok:
			p.line("  %s: never updated", table)
		case at.After(st.CountsAfter):
			p.line("  %s: updated %s (counts)", table, at.Format(time.RFC3339))
		default:
			p.line("  %s: updated %s (before, does not count)", table, at.Format(time.RFC3339))
		}
	}
	switch {
	case st.Pending:
		p.line("  status: a job is queued; it reads the updates when it starts")
	case st.Satisfied:
		p.line("  status: satisfied; the next reconcile runs it")
	default:
		p.line("  status: waiting for %s", strings.Join(st.Waiting, ", "))
	}
}

func (p printer) phases(phases []Phase) {
	for _, ph := range phases {
		p.line("phase %s", ph.Name)
		for _, t := range ph.Tasks {
			what := "configuration " + t.Configuration
			if t.Orchestration != "" {
				what = "orchestration " + t.Orchestration
			}
			flags := ""
			if t.ContinueOnFailure {
				flags += ", continue_on_failure"
			}
			if t.Run {
				p.line("  task %s: %s%s", t.Name, what, flags)
			} else {
				p.line("  task %s: %s%s — %s", t.Name, what, flags, t.Reason)
			}
			if len(t.Command) > 0 {
				p.line("    command: %s", quoteArgs(t.Command))
			}
			if t.Timeout != "" {
				p.line("    timeout: %s", t.Timeout)
			}
			if len(t.Parameters) > 0 {
				b, _ := json.Marshal(t.Parameters)
				p.line("    parameters: %s", b)
			}
			if len(t.Env) > 0 {
				p.line("    env: %s", strings.Join(t.Env, ", "))
			}
			if len(t.Outputs) > 0 {
				p.line("    outputs: %s", strings.Join(t.Outputs, ", "))
			}
		}
	}
}

func short(rev string) string {
	if len(rev) > 12 {
		return rev[:12]
	}
	return rev
}

// quoteArgs shows an argv as its JSON list, so spaces stay visible.
func quoteArgs(argv []string) string {
	b, _ := json.Marshal(argv)
	return string(b)
}

// Package review checks a revision for what a reviewer of a schedule
// change needs to know before it runs: DST gaps and overlaps, time-zone
// shifts, cron's day rule, schedules that never fire, tasks that read what
// their own phase writes, trigger cycles and triggers nothing satisfies,
// and intervals shorter than the jobs take. Each check is one small
// function in Checks; validate and every plan format show their findings.
package review

import (
	"bytes"
	"context"
	"time"

	"github.com/baton-dev/baton/finding"
	"github.com/baton-dev/baton/spec"
)

// Input is what the checks look at.
type Input struct {
	// Head is the revision under review, parsed from files (with positions).
	Head *spec.Spec
	// Base is what it replaces (the applied state or the pull request's
	// base); nil when there is none. With a base, warnings are about the
	// orchestrations the change touches; errors are always reported.
	Base *spec.Spec
	// Now is where look-ahead windows start.
	Now time.Time
	// History gives durations of past jobs; nil without a state.
	History History

	// Objects of Head and Base by name, made on first use: checks look
	// names up per task, and a search per task is quadratic in a revision
	// of thousands of orchestrations.
	headIndex, baseIndex *index
}

type index struct {
	configurations map[string]*spec.Configuration
	orchestrations map[string]*spec.Orchestration
}

func (in *Input) index(s *spec.Spec) *index {
	slot := &in.headIndex
	if s != in.Head {
		slot = &in.baseIndex
	}
	if *slot == nil {
		x := &index{
			configurations: make(map[string]*spec.Configuration, len(s.Configurations)),
			orchestrations: make(map[string]*spec.Orchestration, len(s.Orchestrations)),
		}
		// The first of duplicate names wins, as a search from the start
		// found it.
		for _, c := range s.Configurations {
			if _, ok := x.configurations[c.Name]; !ok {
				x.configurations[c.Name] = c
			}
		}
		for _, o := range s.Orchestrations {
			if _, ok := x.orchestrations[o.Name]; !ok {
				x.orchestrations[o.Name] = o
			}
		}
		*slot = x
	}
	return *slot
}

// configuration finds a configuration of s, Head or Base, by name.
func (in *Input) configuration(s *spec.Spec, name string) *spec.Configuration {
	return in.index(s).configurations[name]
}

// orchestration finds an orchestration of s, Head or Base, by name.
func (in *Input) orchestration(s *spec.Spec, name string) *spec.Orchestration {
	return in.index(s).orchestrations[name]
}

// History reads how long an orchestration's recent successful jobs took.
type History interface {
	SuccessfulDurations(ctx context.Context, orchestration string) ([]time.Duration, error)
}

// Check is one named rule.
type Check struct {
	// Code is the findings' code: stable, for filtering.
	Code string
	Run  func(ctx context.Context, in *Input) finding.List
}

// Checks are every review check, in the order they are reported.
var Checks = []Check{
	{"never-fires", neverFires},
	{"dst-change", dstChange},
	{"timezone-shift", timezoneShift},
	{"days-ored", daysORed},
	{"same-phase-dependency", samePhaseDependency},
	{"trigger-cycle", triggerCycle},
	{"trigger-table-unknown", triggerTableUnknown},
	{"overlap-history", overlapHistory},
}

// Run runs every check and returns their findings, sorted by position.
func Run(ctx context.Context, in Input) finding.List {
	var out finding.List
	for _, c := range Checks {
		for _, f := range c.Run(ctx, &in) {
			if f.Code == "" {
				f.Code = c.Code
			}
			out = append(out, f)
		}
	}
	out.Sort()
	return out
}

// touched reports whether a warning about orchestration o is news to a
// reviewer: there is no base, or the change adds or alters o, one of the
// configurations its tasks run, or the project's default time zone.
func (in *Input) touched(o *spec.Orchestration) bool {
	if in.Base == nil {
		return true
	}
	b := in.orchestration(in.Base, o.Name)
	if b == nil || !same(b, o) || projectZone(in.Base) != projectZone(in.Head) {
		return true
	}
	for _, ph := range o.Phases {
		for _, t := range ph.Tasks {
			hc := in.configuration(in.Head, t.Configuration)
			bc := in.configuration(in.Base, t.Configuration)
			if (hc == nil) != (bc == nil) || (hc != nil && !same(hc, bc)) {
				return true
			}
		}
	}
	return false
}

func same(a, b any) bool {
	ja, errA := spec.CanonicalJSON(a)
	jb, errB := spec.CanonicalJSON(b)
	return errA == nil && errB == nil && bytes.Equal(ja, jb)
}

func projectZone(s *spec.Spec) string {
	if s == nil || s.Project == nil {
		return ""
	}
	return s.Project.Timezone
}

func warn(pos spec.Pos, hint, msg string) finding.Finding {
	return finding.Finding{Severity: finding.Warning, Pos: pos, Message: msg, Hint: hint}
}

func fail(pos spec.Pos, hint, msg string) finding.Finding {
	return finding.Finding{Severity: finding.Error, Pos: pos, Message: msg, Hint: hint}
}

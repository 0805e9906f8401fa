package reconciler

import (
	"fmt"
	"time"

	"github.com/baton-dev/baton/finding"
	"github.com/baton-dev/baton/internal/parallel"
	"github.com/baton-dev/baton/schedule"
	"github.com/baton-dev/baton/spec"
)

// PlanFormatVersion is the version of the JSON plan; fields are only added.
const PlanFormatVersion = "1"

// previewFires is how many next fire times a schedule change shows.
const previewFires = 5

// Plan is what applying a revision would change. Text, Markdown and JSON
// are all rendered from this one value.
type Plan struct {
	FormatVersion string    `json:"format_version"`
	Source        string    `json:"source"`
	Revision      Revision  `json:"revision"`
	Base          *Revision `json:"base,omitempty"`
	Changes       []Change  `json:"changes"`
	// Diagnostics are every finding about the revision: the language's,
	// the review checks' and apply's guards'.
	Diagnostics finding.List `json:"diagnostics"`

	objects []spec.Object
	// againstRevision is set when the base is another revision rather than
	// the applied state (pull-request review).
	againstRevision bool
}

// Counts returns how many objects the plan creates, updates and deletes.
func (p *Plan) Counts() (create, update, del int) {
	for _, c := range p.Changes {
		switch c.Action {
		case ActionCreate:
			create++
		case ActionUpdate:
			update++
		case ActionDelete:
			del++
		}
	}
	return create, update, del
}

// Orchestrations names the orchestrations of the revision the plan
// compares: after it is applied, the applied ones.
func (p *Plan) Orchestrations() []string {
	var names []string
	for _, o := range p.objects {
		if o.Kind == spec.KindOrchestration {
			names = append(names, o.Name)
		}
	}
	return names
}

// HasChanges reports whether applying the plan changes anything.
func (p *Plan) HasChanges() bool { return len(p.Changes) > 0 }

// ScheduleChange shows when a changed schedule fires, before and after.
type ScheduleChange struct {
	Index  int           `json:"index"`
	Before *ScheduleView `json:"before,omitempty"`
	After  *ScheduleView `json:"after,omitempty"`
}

// ScheduleView is one schedule with its next fire times (UTC).
type ScheduleView struct {
	Cron     string      `json:"cron"`
	Timezone string      `json:"timezone"`
	Next     []time.Time `json:"next"`
	Error    string      `json:"error,omitempty"`
}

// newPlan diffs before against after and previews schedule changes.
func newPlan(before, after []spec.Object, now time.Time) ([]Change, error) {
	changes, err := Diff(before, after)
	if err != nil {
		return nil, err
	}
	beforeZone, afterZone := projectZone(before), projectZone(after)
	// Each change has objects of its own: their previews (a cron parse and
	// a walk to the next fires, per schedule) are made on all CPUs.
	parallel.Each(len(changes), func(i int) {
		c := &changes[i]
		if c.Kind != spec.KindOrchestration {
			return
		}
		b, a := orchestrationOf(c.before), orchestrationOf(c.after)
		c.Schedules = scheduleChanges(b, a, beforeZone, afterZone, now)
	})
	// A change of the project's zone moves every schedule that relies on it.
	if beforeZone != afterZone {
		for _, o := range after {
			if o.Kind != spec.KindOrchestration || hasChange(changes, o.Kind, o.Name) {
				continue
			}
			orch := orchestrationOf(&o)
			for _, bo := range before {
				if bo.Kind == o.Kind && bo.Name == o.Name {
					if sc := scheduleChanges(orchestrationOf(&bo), orch, beforeZone, afterZone, now); len(sc) > 0 {
						changes = append(changes, Change{Kind: o.Kind, Name: o.Name, Action: ActionUpdate, Schedules: sc,
							Fields: []FieldChange{{Path: "schedule (project timezone)", Before: mustJSON(beforeZone), After: mustJSON(afterZone)}}})
					}
				}
			}
		}
	}
	return changes, nil
}

func hasChange(changes []Change, kind spec.Kind, name string) bool {
	for _, c := range changes {
		if c.Kind == kind && c.Name == name {
			return true
		}
	}
	return false
}

func mustJSON(v any) []byte {
	b, err := spec.CanonicalJSON(v)
	if err != nil {
		panic(fmt.Sprintf("encode %T: %v", v, err)) // strings and numbers always encode
	}
	return b
}

func projectZone(objs []spec.Object) string {
	for _, o := range objs {
		if o.Kind == spec.KindProject {
			if v, err := valueOf(&o); err == nil {
				return v.(*spec.Project).Timezone
			}
		}
	}
	return ""
}

func valueOf(o *spec.Object) (any, error) {
	if o.Value != nil {
		return o.Value, nil
	}
	v, err := spec.Decode(o.Kind, o.JSON)
	if err != nil {
		return nil, err
	}
	o.Value = v
	return v, nil
}

func orchestrationOf(o *spec.Object) *spec.Orchestration {
	if o == nil {
		return nil
	}
	v, err := valueOf(o)
	if err != nil {
		return nil
	}
	orch, _ := v.(*spec.Orchestration)
	return orch
}

// scheduleChanges compares schedules by position and previews those whose
// expression or effective zone changed.
func scheduleChanges(b, a *spec.Orchestration, bZone, aZone string, now time.Time) []ScheduleChange {
	var bs, as []spec.Schedule
	if b != nil {
		bs = b.Schedules
	}
	if a != nil {
		as = a.Schedules
	}
	var out []ScheduleChange
	for i := range max(len(bs), len(as)) {
		var before, after *ScheduleView
		if i < len(bs) {
			before = viewSchedule(bs[i], bZone, now)
		}
		if i < len(as) {
			after = viewSchedule(as[i], aZone, now)
		}
		if before != nil && after != nil && before.Cron == after.Cron && before.Timezone == after.Timezone {
			continue
		}
		out = append(out, ScheduleChange{Index: i, Before: before, After: after})
	}
	return out
}

func viewSchedule(s spec.Schedule, projectZone string, now time.Time) *ScheduleView {
	v := &ScheduleView{Cron: s.Cron, Timezone: s.Zone(projectZone)}
	sched, err := schedule.Parse(s.Cron, v.Timezone)
	if err != nil {
		v.Error = err.Error()
		return v
	}
	v.Next = schedule.NextN(sched, now, previewFires)
	return v
}

package reconciler

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/baton-dev/baton/spec"
	"github.com/baton-dev/baton/terminal"
)

// WriteJSON writes the plan in its stable JSON form (format_version 1:
// fields are added, never renamed).
func (p *Plan) WriteJSON(w io.Writer) error {
	out := *p
	if out.Changes == nil {
		out.Changes = []Change{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(&out)
}

// WriteText writes the plan for a terminal, in the manner of Terraform:
// `+ create`, `~ update` with field-level before -> after, `- delete`.
func (p *Plan) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Source:   %s\n", p.Source)
	fmt.Fprintf(&b, "Revision: %s\n", describeRevision(p.Revision))
	if p.Base != nil {
		fmt.Fprintf(&b, "Compared with: %s\n", describeRevision(*p.Base))
	}
	b.WriteString("\n")
	if len(p.Diagnostics) > 0 {
		p.Diagnostics.WriteText(&b)
		b.WriteString("\n")
	}
	c, u, d := p.Counts()
	switch {
	case p.Diagnostics.HasErrors():
		if p.HasChanges() {
			writeChanges(&b, p.Changes)
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "Refused: %d error(s) above; apply would change nothing until they are fixed.\n", p.Diagnostics.Errors())
	case !p.HasChanges():
		b.WriteString("No changes. The applied state matches this revision.\n")
	default:
		writeChanges(&b, p.Changes)
		fmt.Fprintf(&b, "\nPlan: %d to create, %d to update, %d to delete.\n", c, u, d)
	}
	// Commit messages, authors and values come from the repository: they
	// reach a terminal with their control characters escaped.
	_, err := io.WriteString(w, terminal.EscapeLines(b.String()))
	return err
}

func writeChanges(b *strings.Builder, changes []Change) {
	for _, c := range changes {
		switch c.Action {
		case ActionCreate:
			fmt.Fprintf(b, "+ %s %q\n", c.Kind, c.Name)
		case ActionDelete:
			fmt.Fprintf(b, "- %s %q\n", c.Kind, c.Name)
		default:
			fmt.Fprintf(b, "~ %s %q\n", c.Kind, c.Name)
			for _, f := range c.Fields {
				writeField(b, f)
			}
		}
		for _, s := range c.Schedules {
			writeSchedule(b, s)
		}
	}
}

func writeField(b *strings.Builder, f FieldChange) {
	switch {
	case isNull(f.Before):
		fmt.Fprintf(b, "    + %s = %s\n", f.Path, f.After)
	case isNull(f.After):
		fmt.Fprintf(b, "    - %s = %s\n", f.Path, f.Before)
	default:
		fmt.Fprintf(b, "    ~ %s: %s -> %s\n", f.Path, f.Before, f.After)
	}
}

func isNull(raw json.RawMessage) bool { return len(raw) == 0 || string(raw) == "null" }

func writeSchedule(b *strings.Builder, s ScheduleChange) {
	fmt.Fprintf(b, "    schedule[%d] next fires:\n", s.Index)
	if s.Before != nil {
		fmt.Fprintf(b, "      before: %s\n", describeFires(s.Before))
	}
	if s.After != nil {
		fmt.Fprintf(b, "      after:  %s\n", describeFires(s.After))
	}
}

// describeFires shows fire times in the schedule's zone and in UTC.
func describeFires(v *ScheduleView) string {
	head := fmt.Sprintf("%q in %s", v.Cron, v.Timezone)
	if v.Error != "" {
		return head + ": " + v.Error
	}
	if len(v.Next) == 0 {
		return head + ": never fires"
	}
	loc, err := spec.LoadLocation(v.Timezone)
	if err != nil {
		loc = time.UTC
	}
	parts := make([]string, len(v.Next))
	for i, t := range v.Next {
		parts[i] = fmt.Sprintf("%s (%s UTC)", t.In(loc).Format("Mon 2006-01-02 15:04 MST"), t.UTC().Format("15:04"))
	}
	return head + ": " + strings.Join(parts, ", ")
}

func describeRevision(r Revision) string {
	s := ShortRef(r.Ref)
	if r.Message != "" {
		first, _, _ := strings.Cut(r.Message, "\n")
		s += fmt.Sprintf(" %q", first)
	}
	if r.Author != "" {
		s += " by " + r.Author
	}
	return s
}

// ShortRef abbreviates a commit hash for people to read.
func ShortRef(ref string) string {
	if len(ref) == 40 {
		return ref[:12]
	}
	return ref
}

package review

import (
	"context"
	"fmt"
	"slices"

	"github.com/baton-dev/baton/finding"
	"github.com/baton-dev/baton/spec"
)

// samePhaseDependency: a task reads (inputs) a table that another task of
// the same phase writes (outputs). Tasks of a phase run in parallel, so it
// may read the table before, while or after it is written.
func samePhaseDependency(_ context.Context, in *Input) finding.List {
	var out finding.List
	for _, o := range in.Head.Orchestrations {
		if !in.touched(o) {
			continue
		}
		for _, ph := range o.Phases {
			for _, reader := range ph.Tasks {
				rc := in.configuration(in.Head, reader.Configuration)
				if rc == nil || !reader.Enabled {
					continue
				}
				for _, writer := range ph.Tasks {
					wc := in.configuration(in.Head, writer.Configuration)
					if wc == nil || writer.Name == reader.Name || !writer.Enabled {
						continue
					}
					for _, table := range rc.Inputs {
						if slices.Contains(wc.Outputs, table) {
							out = append(out, warn(reader.FieldPos("configuration"),
								fmt.Sprintf("move task %q to a phase after %q", reader.Name, ph.Name),
								fmt.Sprintf("orchestration %q phase %q: task %q reads %q, which task %q of the same phase writes; tasks of a phase run in parallel",
									o.Name, ph.Name, reader.Name, table, writer.Name)))
						}
					}
				}
			}
		}
	}
	return out
}

// triggerCycle: orchestrations whose runs satisfy each other's triggers
// in a ring would run forever; an error naming the ring.
func triggerCycle(_ context.Context, in *Input) finding.List {
	var out finding.List
	for _, c := range in.Head.TriggerCycles() {
		out = append(out, fail(c.Pos,
			"remove one of these tables from a trigger or from a configuration's outputs",
			"event triggers run orchestrations in a cycle: "+c.String()))
	}
	return out
}

// triggerTableUnknown: a trigger on a table that no configuration writes,
// no table block watches or declares; only `baton tables touch` or the API
// could ever update it, which is most often a typo.
func triggerTableUnknown(_ context.Context, in *Input) finding.List {
	known := map[string]bool{}
	for _, t := range in.Head.Tables {
		known[t.ID] = true
	}
	for _, c := range in.Head.Configurations {
		for _, t := range c.Outputs {
			known[t] = true
		}
	}
	var ids []string
	for id := range known {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	var out finding.List
	for _, o := range in.Head.Orchestrations {
		if o.Trigger == nil || !in.touched(o) {
			continue
		}
		for _, id := range o.Trigger.Tables {
			if known[id] {
				continue
			}
			hint := "add a table block for it (with watch for a file), or list it in a configuration's outputs"
			if s := spec.Suggest(id, ids); s != "" {
				hint = fmt.Sprintf("did you mean %q?", s)
			}
			out = append(out, warn(o.Trigger.FieldPos("tables"), hint,
				fmt.Sprintf("orchestration %q: trigger table %q is not written by any configuration, watched or declared; only `baton tables touch` or the API can update it", o.Name, id)))
		}
	}
	return out
}

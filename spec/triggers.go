package spec

import (
	"slices"
	"sort"
)

// TriggerCycle is a ring of orchestrations each of whose runs can satisfy
// the next one's event trigger, back to the first: once started, it would
// run forever, paced only by the cool-downs.
type TriggerCycle struct {
	// Orchestrations names the ring in order, the first repeated at the end.
	Orchestrations []string
	// Pos is the trigger of the first orchestration.
	Pos Pos
}

// Outputs returns the tables a run of the orchestration name can update:
// the outputs of the configurations of its enabled tasks, and of the
// orchestrations it runs as tasks.
func (s *Spec) Outputs(name string) []string {
	orchs := map[string]*Orchestration{}
	for _, o := range s.Orchestrations {
		orchs[o.Name] = o
	}
	configs := map[string]*Configuration{}
	for _, c := range s.Configurations {
		configs[c.Name] = c
	}
	set := map[string]bool{}
	seen := map[string]bool{}
	var walk func(string)
	walk = func(name string) {
		o := orchs[name]
		if o == nil || seen[name] {
			return
		}
		seen[name] = true
		for _, ph := range o.Phases {
			for _, t := range ph.Tasks {
				if !t.Enabled {
					continue
				}
				if c := configs[t.Configuration]; c != nil {
					for _, out := range c.Outputs {
						set[out] = true
					}
				}
				walk(t.Orchestration)
			}
		}
	}
	walk(name)
	out := make([]string, 0, len(set))
	for t := range set {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// TriggerCycles finds orchestrations whose outputs can, directly or through
// other triggered orchestrations, satisfy their own trigger. An edge runs
// from A to B when a run of A updates one of the tables of B's trigger.
// Each ring is reported once, starting at its alphabetically first member.
func (s *Spec) TriggerCycles() []TriggerCycle {
	triggered := map[string]*Orchestration{}
	var names []string
	for _, o := range s.Orchestrations {
		names = append(names, o.Name)
		if o.Trigger != nil {
			triggered[o.Name] = o
		}
	}
	sort.Strings(names)
	next := map[string][]string{}
	for _, a := range names {
		outs := s.Outputs(a)
		for _, b := range names {
			if t := triggered[b]; t != nil && slices.ContainsFunc(t.Trigger.Tables, func(id string) bool { return slices.Contains(outs, id) }) {
				next[a] = append(next[a], b)
			}
		}
	}
	var cycles []TriggerCycle
	reported := map[string]bool{}
	const (
		unvisited = iota
		onPath
		done
	)
	mark := map[string]int{}
	var path []string
	var visit func(string)
	visit = func(a string) {
		mark[a] = onPath
		path = append(path, a)
		for _, b := range next[a] {
			switch mark[b] {
			case onPath:
				ring := slices.Clone(path[slices.Index(path, b):])
				key := canonicalCycle(append(slices.Clone(ring), b))
				if reported[key] {
					continue
				}
				reported[key] = true
				first := slices.Index(ring, slices.Min(ring))
				ring = append(ring[first:], ring[:first]...)
				cycles = append(cycles, TriggerCycle{Orchestrations: append(ring, ring[0]), Pos: triggered[ring[0]].Trigger.Pos})
			case unvisited:
				visit(b)
			}
		}
		path = path[:len(path)-1]
		mark[a] = done
	}
	for _, n := range names {
		if mark[n] == unvisited {
			visit(n)
		}
	}
	return cycles
}

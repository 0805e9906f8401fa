package spec

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// TriggerCycle is a ring of orchestrations each of whose runs can satisfy
// the next one's event trigger, back to the first: once started, it would
// run forever, paced only by the cool-downs.
type TriggerCycle struct {
	// Orchestrations names the ring in order, the first repeated at the end.
	Orchestrations []string
	// Links are the steps of the ring with the tables that make them:
	// Links[i] leads from Orchestrations[i] to Orchestrations[i+1].
	Links []TriggerLink
	// Pos is the trigger of the first orchestration.
	Pos Pos
}

// TriggerLink says that a run of From updates Tables, which are in the
// trigger of To.
type TriggerLink struct {
	From   string
	Tables []string
	To     string
}

// String names every orchestration and table of the ring.
func (c TriggerCycle) String() string {
	parts := make([]string, len(c.Links))
	for i, l := range c.Links {
		parts[i] = fmt.Sprintf("%s updates %s, which triggers %s", l.From, strings.Join(l.Tables, ", "), l.To)
	}
	return strings.Join(c.Orchestrations, " -> ") + " (" + strings.Join(parts, "; ") + ")"
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
// As a trigger waits for every one of its tables, only orchestrations
// whose trigger tables all come from the group can keep one another
// running; an orchestration that also waits for a table from outside runs
// once per outside update, which is no loop. Each ring is reported once,
// starting at its alphabetically first member.
func (s *Spec) TriggerCycles() []TriggerCycle {
	triggered := map[string]*Orchestration{}
	outputs := map[string][]string{}
	var names []string
	for _, o := range s.Orchestrations {
		if o.Trigger != nil && len(o.Trigger.Tables) > 0 {
			triggered[o.Name] = o
			names = append(names, o.Name)
			outputs[o.Name] = s.Outputs(o.Name)
		}
	}
	sort.Strings(names)
	names = selfSustaining(names, triggered, outputs)
	next := map[string][]string{}
	link := map[[2]string][]string{}
	for _, a := range names {
		for _, b := range names {
			for _, id := range triggered[b].Trigger.Tables {
				if slices.Contains(outputs[a], id) && !slices.Contains(link[[2]string{a, b}], id) {
					link[[2]string{a, b}] = append(link[[2]string{a, b}], id)
				}
			}
			if len(link[[2]string{a, b}]) > 0 {
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
				ring = append(ring, ring[0])
				c := TriggerCycle{Orchestrations: ring, Pos: triggered[ring[0]].Trigger.Pos}
				for i := 0; i+1 < len(ring); i++ {
					tables := slices.Sorted(slices.Values(link[[2]string{ring[i], ring[i+1]}]))
					c.Links = append(c.Links, TriggerLink{From: ring[i], Tables: tables, To: ring[i+1]})
				}
				cycles = append(cycles, c)
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

// selfSustaining keeps the triggered orchestrations whose trigger tables
// are all updated by the ones kept: the greatest group that can run on
// its own outputs alone.
func selfSustaining(names []string, triggered map[string]*Orchestration, outputs map[string][]string) []string {
	kept := slices.Clone(names)
	for {
		produced := map[string]bool{}
		for _, n := range kept {
			for _, t := range outputs[n] {
				produced[t] = true
			}
		}
		next := slices.DeleteFunc(slices.Clone(kept), func(n string) bool {
			return slices.ContainsFunc(triggered[n].Trigger.Tables, func(t string) bool { return !produced[t] })
		})
		if len(next) == len(kept) {
			return kept
		}
		kept = next
	}
}

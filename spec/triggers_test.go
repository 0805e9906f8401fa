package spec

import (
	"strings"
	"testing"
)

// loopSpec builds orchestrations from "name: trigger tables > output tables"
// lines; a trailing "(off)" makes the task inactive.
func loopSpec(lines ...string) *Spec {
	s := &Spec{}
	for _, line := range lines {
		name, rest, _ := strings.Cut(line, ":")
		trig, outs, _ := strings.Cut(rest, ">")
		enabled := !strings.Contains(outs, "(off)")
		outs = strings.ReplaceAll(outs, "(off)", "")
		o := &Orchestration{Name: name}
		if tables := strings.Fields(trig); len(tables) > 0 {
			o.Trigger = &Trigger{Tables: tables}
		}
		c := &Configuration{Name: "c-" + name, Outputs: strings.Fields(outs)}
		s.Configurations = append(s.Configurations, c)
		o.Phases = []Phase{{Name: "p", Tasks: []Task{{Name: "t", Configuration: c.Name, Enabled: enabled}}}}
		s.Orchestrations = append(s.Orchestrations, o)
	}
	return s
}

func TestTriggerCyclesNameEveryOrchestrationAndTable(t *testing.T) {
	for _, tc := range []struct {
		name  string
		lines []string
		want  []string
	}{
		{"its own output", []string{"a: t1 > t1"}, []string{"a -> a (a updates t1, which triggers a)"}},
		{"through another", []string{"a: t2 > t1 x", "b: t1 x > t2"},
			[]string{"a -> b -> a (a updates t1, x, which triggers b; b updates t2, which triggers a)"}},
		{"a chain of three", []string{"a: t3 > t1", "b: t1 > t2", "c: t2 > t3", "d: > t9"},
			[]string{"a -> b -> c -> a (a updates t1, which triggers b; b updates t2, which triggers c; c updates t3, which triggers a)"}},
		// The trigger also waits for a table from outside: it runs once per
		// outside update, which is no loop.
		{"a table from outside", []string{"a: t1 ext > t1"}, nil},
		{"a table from outside, through another", []string{"a: t2 > t1", "b: t1 ext > t2"}, nil},
		{"an inactive task updates nothing", []string{"a: t1 > t1 (off)"}, nil},
		{"no way back", []string{"a: t0 > t1", "b: t1 > t2"}, nil},
		// b waits for x from a and y from c; a and c wait for b's z: the
		// three keep one another running.
		{"only together", []string{"a: z > x", "b: x y > z", "c: z > y"}, []string{
			"a -> b -> a (a updates x, which triggers b; b updates z, which triggers a)",
			"b -> c -> b (b updates z, which triggers c; c updates y, which triggers b)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, c := range loopSpec(tc.lines...).TriggerCycles() {
				got = append(got, c.String())
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("cycles:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

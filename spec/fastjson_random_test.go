package spec

import (
	"encoding/json"
	"math/rand/v2"
	"testing"
	"time"
)

// randomSpec makes random configurations and orchestrations: every field
// set or left empty, nil and empty lists, awkward strings, parameters of
// every JSON shape nested.
type randomSpec struct{ r *rand.Rand }

func (g randomSpec) str() string {
	if g.r.IntN(4) == 0 {
		return ""
	}
	return awkward[g.r.IntN(len(awkward))]
}

func (g randomSpec) strs() []string {
	switch g.r.IntN(4) {
	case 0:
		return nil
	case 1:
		return []string{}
	}
	out := make([]string, g.r.IntN(4))
	for i := range out {
		out[i] = g.str()
	}
	return out
}

func (g randomSpec) duration() Duration {
	return Duration([]time.Duration{0, time.Nanosecond, time.Second, 90 * time.Minute, 36 * time.Hour}[g.r.IntN(5)])
}

func (g randomSpec) value(depth int) any {
	k := g.r.IntN(7)
	if depth > 3 && k >= 5 {
		k = 0
	}
	switch k {
	case 0:
		return g.str()
	case 1:
		return json.Number([]string{"0", "-0", "1.5", "-12e-7", "123456789012345678901234567890", "1E+400"}[g.r.IntN(6)])
	case 2:
		return g.r.IntN(2) == 0
	case 3:
		return nil
	case 4:
		return g.params(depth + 1)
	case 5:
		if g.r.IntN(5) == 0 {
			return []any(nil)
		}
		out := make([]any, g.r.IntN(4))
		for i := range out {
			out[i] = g.value(depth + 1)
		}
		return out
	}
	return g.params(depth + 1)
}

func (g randomSpec) params(depth int) map[string]any {
	switch g.r.IntN(5) {
	case 0:
		return nil
	case 1:
		return map[string]any{}
	}
	m := map[string]any{}
	for n := g.r.IntN(5); n > 0; n-- {
		m[g.str()] = g.value(depth)
	}
	return m
}

func (g randomSpec) configuration() *Configuration {
	c := &Configuration{Name: g.str(), Component: g.str(), Command: g.strs(), Timeout: g.duration(),
		Parameters: g.params(0), Inputs: g.strs(), Outputs: g.strs()}
	if g.r.IntN(3) > 0 {
		c.Env = map[string]Env{}
		for n := g.r.IntN(4); n > 0; n-- {
			c.Env[g.str()] = Env{Value: g.str(), FromEnv: g.str()}
		}
	}
	return c
}

func (g randomSpec) orchestration() *Orchestration {
	o := &Orchestration{Name: g.str(), Description: g.str(), OnOverlap: OnOverlap(g.str()), WaitingTooLong: g.duration()}
	for n := g.r.IntN(3); n > 0; n-- {
		o.Schedules = append(o.Schedules, Schedule{Cron: g.str(), Timezone: g.str()})
	}
	if g.r.IntN(2) == 0 {
		o.Trigger = &Trigger{Tables: g.strs(), Cooldown: g.duration()}
	}
	for n := g.r.IntN(3); n > 0; n-- {
		var on []Event
		for _, s := range g.strs() {
			on = append(on, Event(s))
		}
		o.Notify = append(o.Notify, Notify{On: on, To: g.strs()})
	}
	switch g.r.IntN(3) {
	case 0:
		o.LongRunning = Threshold{Duration: g.duration()}
	case 1:
		o.LongRunning = Threshold{Percent: []float64{0, 1, 150, 33.3}[g.r.IntN(4)]}
	}
	if g.r.IntN(5) > 0 {
		o.Phases = []Phase{}
	}
	for n := g.r.IntN(3); n > 0; n-- {
		ph := Phase{Name: g.str()}
		for m := g.r.IntN(3); m > 0; m-- {
			ph.Tasks = append(ph.Tasks, Task{Name: g.str(), Configuration: g.str(), Orchestration: g.str(),
				Enabled: g.r.IntN(2) == 0, ContinueOnFailure: g.r.IntN(2) == 0, Parameters: g.params(0)})
		}
		o.Phases = append(o.Phases, ph)
	}
	return o
}

// TestFastEncodingIsTheCanonicalJSONOfRandomObjects compares the fast
// encoding with encoding/json on random configurations and orchestrations.
func TestFastEncodingIsTheCanonicalJSONOfRandomObjects(t *testing.T) {
	g := randomSpec{r: rand.New(rand.NewPCG(3, 5))}
	for i := 0; i < 2000; i++ {
		sameAsCanonical(t, "random configuration", g.configuration(), false)
		sameAsCanonical(t, "random orchestration", g.orchestration(), false)
		if t.Failed() {
			return
		}
	}
}

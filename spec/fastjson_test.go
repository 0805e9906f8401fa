package spec

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// awkward strings: every escape encoding/json makes, invalid UTF-8, the
// JavaScript line separators, HTML characters (not escaped), non-ASCII.
var awkward = []string{"", "plain", `q"uo\te`, "\b\f\n\r\t\x00\x01\x1f\x7f", "<a href='x'>&amp;</a>", "\u2028\u2029", "caf\u00e9 \u65e5\u672c \U0001F600",
	"bad\xff\xfeutf8", "\xe2\x82", "trunc\xf0\x9f\x98", "µs"}

// sameAsCanonical checks the fast encoding of v; declined is whether it may
// leave v to encoding/json (values of types parameters never get from HCL).
func sameAsCanonical(t *testing.T, what string, v any, declined bool) {
	t.Helper()
	want, err := CanonicalJSON(v)
	got, ok := encodeFast(v)
	if err != nil {
		if ok {
			t.Errorf("%s: encoding/json fails (%v), the fast encoder wrote %s", what, err, got)
		}
		return
	}
	if !ok {
		if !declined {
			t.Errorf("%s: the fast encoder declined what encoding/json writes as %s", what, want)
		}
		return
	}
	if string(got) != string(want) {
		t.Errorf("%s:\nfast      %s\ncanonical %s", what, got, want)
	}
}

// TestFastEncodingIsTheCanonicalJSON: configurations and orchestrations
// are encoded without reflection; the bytes (and so the hashes the state
// keeps) must be exactly encoding/json's.
func TestFastEncodingIsTheCanonicalJSON(t *testing.T) {
	for _, s := range awkward {
		sameAsCanonical(t, "configuration "+s, &Configuration{Name: s, Component: s, Command: []string{s, ""}, Inputs: []string{s},
			Parameters: map[string]any{s: s, "n": json.Number("1.5e-3"), "z": nil, "l": []any{s, true, false, nil, []any{}, map[string]any{}}},
			Env:        map[string]Env{s: {Value: s}, "B": {FromEnv: s}, "E": {}}}, false)
		sameAsCanonical(t, "orchestration "+s, &Orchestration{Name: s, Description: s, OnOverlap: OnOverlap(s),
			Schedules: []Schedule{{Cron: s, Timezone: s}, {Cron: s}},
			Trigger:   &Trigger{Tables: []string{s}, Cooldown: Duration(time.Microsecond)},
			Notify:    []Notify{{On: []Event{Event(s)}, To: []string{s}}, {}},
			Phases:    []Phase{{Name: s, Tasks: []Task{{Name: s, Configuration: s, Orchestration: s, Enabled: true, Parameters: map[string]any{s: json.Number("-0")}}}}, {Name: s}}}, false)
	}
	for name, v := range map[string]any{
		"empty configuration":   &Configuration{},
		"empty orchestration":   &Orchestration{},
		"empty lists":           &Configuration{Command: []string{}, Inputs: []string{}, Parameters: map[string]any{}, Env: map[string]Env{}},
		"nil in lists":          &Orchestration{Trigger: &Trigger{}, Phases: []Phase{}},
		"durations":             &Configuration{Timeout: Duration(90 * time.Minute)},
		"threshold duration":    &Orchestration{LongRunning: Threshold{Duration: Duration(time.Hour)}, WaitingTooLong: Duration(time.Second)},
		"threshold percent":     &Orchestration{LongRunning: Threshold{Percent: 150}},
		"nested nil":            &Configuration{Parameters: map[string]any{"m": map[string]any(nil), "l": []any(nil)}},
		"task with no settings": &Orchestration{Phases: []Phase{{Tasks: []Task{{}}}}},
	} {
		sameAsCanonical(t, name, v, false)
	}
	for name, v := range map[string]any{
		"empty number":         &Configuration{Parameters: map[string]any{"n": json.Number("")}},
		"invalid number":       &Configuration{Parameters: map[string]any{"n": json.Number("01")}},
		"float parameter":      &Configuration{Parameters: map[string]any{"f": 1.5}},
		"int task parameter":   &Orchestration{Phases: []Phase{{Tasks: []Task{{Parameters: map[string]any{"i": 1}}}}}},
		"string map parameter": &Configuration{Parameters: map[string]any{"m": map[string]string{"a": "b"}}},
		"component":            &Component{Name: "c", Command: []string{"x"}},
	} {
		sameAsCanonical(t, name, v, true)
	}
	for _, n := range []string{"0", "-0", "1", "-12", "0.5", "1e3", "1E+3", "2.5e-10", "123456789012345678901234567890", "01", "1.", ".5", "+1", "1e", "-", "--1", "0x10", "1_000", "NaN"} {
		sameAsCanonical(t, "number "+n, &Configuration{Parameters: map[string]any{"n": json.Number(n)}}, !json.Valid([]byte(n)))
	}
}

// TestFastStringEncodingMatchesEverywhere compares the string encoding on
// random bytes and random runes.
func TestFastStringEncodingMatchesEverywhere(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 20000; i++ {
		buf := make([]byte, r.IntN(12))
		for j := range buf {
			buf[j] = byte(r.IntN(256))
		}
		if i%2 == 1 {
			buf = []byte(string([]rune{rune(r.IntN(0x110000)), rune(r.IntN(0x3000)), rune(r.IntN(0x80))}))
		}
		s := string(buf)
		want, _ := CanonicalJSON(s)
		if got := appendJSONString(nil, s); string(got) != string(want) {
			t.Fatalf("%q: fast %s, canonical %s", s, got, want)
		}
	}
}

// TestObjectsAreSortedWhateverTheSpecOrder: Objects skips its sort when the
// spec is in order already, and sorts when it is not.
func TestObjectsAreSortedWhateverTheSpecOrder(t *testing.T) {
	s := &Spec{
		Orchestrations: []*Orchestration{{Name: "b"}, {Name: "a"}},
		Configurations: []*Configuration{{Name: "z"}, {Name: "y"}},
		Project:        &Project{},
	}
	objs, err := s.Objects()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range objs {
		got = append(got, string(o.Kind)+":"+o.Name)
	}
	want := []string{"project:project", "configuration:y", "configuration:z", "orchestration:a", "orchestration:b"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("objects in order %v, want %v", got, want)
	}
}

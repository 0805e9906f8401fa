package spec

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestMergeParametersDeepMergesObjectsAndReplacesOtherValues(t *testing.T) {
	base := map[string]any{
		"account": "123",
		"since":   "-2 days",
		"report":  map[string]any{"currency": "EUR", "metrics": []any{"clicks"}},
		"list":    []any{1, 2},
	}
	over := map[string]any{
		"since":  "-7 days",
		"report": map[string]any{"currency": "CZK"},
		"list":   []any{3},
	}
	got := MergeParameters(base, over)
	b, _ := CanonicalJSON(got)
	want := `{"account":"123","list":[3],"report":{"currency":"CZK","metrics":["clicks"]},"since":"-7 days"}`
	if string(b) != want {
		t.Errorf("merged = %s, want %s", b, want)
	}
	if base["since"] != "-2 days" || base["report"].(map[string]any)["currency"] != "EUR" {
		t.Errorf("MergeParameters modified its base: %v", base)
	}
}

func TestResolveEnvReportsEveryMissingVariable(t *testing.T) {
	params := map[string]any{
		"token": EnvRef("TOKEN"),
		"nested": map[string]any{
			"a": EnvRef("MISSING_A"),
			"l": []any{EnvRef("MISSING_B"), "plain"},
		},
	}
	env := map[string]string{"TOKEN": "s3cret"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	if _, err := ResolveEnv(params, lookup); err == nil || !strings.Contains(err.Error(), "MISSING_A") || !strings.Contains(err.Error(), "MISSING_B") {
		t.Fatalf("error = %v, want both missing variables named", err)
	}
	env["MISSING_A"], env["MISSING_B"] = "a", "b"
	got, err := ResolveEnv(params, lookup)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(got)
	if want := `{"nested":{"a":"a","l":["b","plain"]},"token":"s3cret"}`; string(b) != want {
		t.Errorf("resolved = %s, want %s", b, want)
	}
	if refs := EnvRefs(params); strings.Join(refs, ",") != "MISSING_A,MISSING_B,TOKEN" {
		t.Errorf("EnvRefs = %v", refs)
	}
}

func TestParseDuration(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
		err  bool
	}{
		{"90s", 90 * time.Second, false},
		{"1h30m", 90 * time.Minute, false},
		{"2d", 48 * time.Hour, false},
		{"-5m", 0, true},
		{"5 minutes", 0, true},
		{"d", 0, true},
	} {
		got, err := ParseDuration(tc.in)
		if (err != nil) != tc.err || got.Std() != tc.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v, error %v", tc.in, got, err, tc.want, tc.err)
		}
	}
}

func TestObjectsRoundTripThroughJSON(t *testing.T) {
	s := &Spec{
		Configurations: []*Configuration{{Name: "c", Command: []string{"true"}, Parameters: map[string]any{"n": json.Number("1.5")}}},
		Orchestrations: []*Orchestration{{Name: "o", Phases: []Phase{{Name: "p", Tasks: []Task{{Name: "t", Configuration: "c", Enabled: true}}}}}},
	}
	s.Normalize()
	objs, err := s.Objects()
	if err != nil {
		t.Fatal(err)
	}
	back, err := FromObjects(objs)
	if err != nil {
		t.Fatal(err)
	}
	again, err := back.Objects()
	if err != nil {
		t.Fatal(err)
	}
	for i := range objs {
		if objs[i].Hash != again[i].Hash {
			t.Errorf("%s %s: hash changed through JSON: %s vs %s", objs[i].Kind, objs[i].Name, objs[i].JSON, again[i].JSON)
		}
	}
	if back.Orchestrations[0].OnOverlap != OverlapQueue {
		t.Errorf("on_overlap default not set: %q", back.Orchestrations[0].OnOverlap)
	}
}

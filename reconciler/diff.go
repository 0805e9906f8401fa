package reconciler

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"

	"github.com/baton-dev/baton/spec"
)

// Action is what applying a plan does to one object.
type Action string

const (
	ActionCreate Action = "create"
	ActionUpdate Action = "update"
	ActionDelete Action = "delete"
)

// FieldChange is one changed value inside an updated object. Path reads like
// the HCL: `schedule[0].cron`, `phase["extract"].task["adform"].enabled`.
type FieldChange struct {
	Path   string          `json:"path"`
	Before json.RawMessage `json:"before"`
	After  json.RawMessage `json:"after"`
}

// Change is the difference of one object between two states.
type Change struct {
	Kind   spec.Kind     `json:"kind"`
	Name   string        `json:"name"`
	Action Action        `json:"action"`
	Fields []FieldChange `json:"fields,omitempty"`
	// Schedules shows the next fire times of changed schedules.
	Schedules []ScheduleChange `json:"schedules,omitempty"`

	before, after *spec.Object
}

// Diff compares two sets of objects (each sorted as spec.Objects sorts) and
// returns the changes that turn before into after, in kind and name order.
func Diff(before, after []spec.Object) ([]Change, error) {
	type key struct {
		kind spec.Kind
		name string
	}
	old := make(map[key]*spec.Object, len(before))
	for i := range before {
		old[key{before[i].Kind, before[i].Name}] = &before[i]
	}
	var changes []Change
	seen := make(map[key]bool, len(after))
	for i := range after {
		a := &after[i]
		k := key{a.Kind, a.Name}
		seen[k] = true
		b, ok := old[k]
		switch {
		case !ok:
			changes = append(changes, Change{Kind: a.Kind, Name: a.Name, Action: ActionCreate, after: a})
		case b.Hash != a.Hash:
			fields, err := diffJSON(b.JSON, a.JSON)
			if err != nil {
				return nil, fmt.Errorf("compare %s %q: %w", a.Kind, a.Name, err)
			}
			changes = append(changes, Change{Kind: a.Kind, Name: a.Name, Action: ActionUpdate, Fields: fields, before: b, after: a})
		}
	}
	for i := range before {
		b := &before[i]
		if !seen[key{b.Kind, b.Name}] {
			changes = append(changes, Change{Kind: b.Kind, Name: b.Name, Action: ActionDelete, before: b})
		}
	}
	sort.SliceStable(changes, func(i, j int) bool {
		ki, kj := kindIndex(changes[i].Kind), kindIndex(changes[j].Kind)
		if ki != kj {
			return ki < kj
		}
		return changes[i].Name < changes[j].Name
	})
	return changes, nil
}

func kindIndex(k spec.Kind) int {
	for i, kk := range spec.Kinds {
		if kk == k {
			return i
		}
	}
	return len(spec.Kinds)
}

// diffJSON lists the leaf values that differ between two JSON documents.
func diffJSON(before, after []byte) ([]FieldChange, error) {
	var b, a any
	if err := decodeJSON(before, &b); err != nil {
		return nil, err
	}
	if err := decodeJSON(after, &a); err != nil {
		return nil, err
	}
	var out []FieldChange
	diffValue("", b, a, &out)
	return out, nil
}

func decodeJSON(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	return dec.Decode(v)
}

func diffValue(path string, b, a any, out *[]FieldChange) {
	bm, bIsMap := b.(map[string]any)
	am, aIsMap := a.(map[string]any)
	if bIsMap && aIsMap {
		keys := map[string]bool{}
		for k := range bm {
			keys[k] = true
		}
		for k := range am {
			keys[k] = true
		}
		sorted := make([]string, 0, len(keys))
		for k := range keys {
			sorted = append(sorted, k)
		}
		sort.Strings(sorted)
		for _, k := range sorted {
			diffValue(joinPath(path, k), bm[k], am[k], out)
		}
		return
	}
	bl, bIsList := b.([]any)
	al, aIsList := a.([]any)
	if bIsList && aIsList {
		if diffNamedList(path, bl, al, out) {
			return
		}
		if len(bl) == len(al) {
			for i := range bl {
				diffValue(fmt.Sprintf("%s[%d]", path, i), bl[i], al[i], out)
			}
			return
		}
	}
	bj, _ := spec.CanonicalJSON(b)
	aj, _ := spec.CanonicalJSON(a)
	if !bytes.Equal(bj, aj) {
		*out = append(*out, FieldChange{Path: path, Before: bj, After: aj})
	}
}

// diffNamedList matches the elements of lists of named objects (phases,
// tasks) by name, so that inserting a task shows as one added task rather
// than every later task changed.
func diffNamedList(path string, b, a []any, out *[]FieldChange) bool {
	bn, ok := namesOf(b)
	if !ok {
		return false
	}
	an, ok := namesOf(a)
	if !ok {
		return false
	}
	for i, name := range an {
		elem := fmt.Sprintf("%s[%s]", path, strconv.Quote(name))
		if j, found := indexOf(bn, name); found {
			diffValue(elem, b[j], a[i], out)
		} else {
			diffValue(elem, nil, a[i], out)
		}
	}
	for j, name := range bn {
		if _, found := indexOf(an, name); !found {
			diffValue(fmt.Sprintf("%s[%s]", path, strconv.Quote(name)), b[j], nil, out)
		}
	}
	if !sameOrder(bn, an) {
		bj, _ := spec.CanonicalJSON(bn)
		aj, _ := spec.CanonicalJSON(an)
		*out = append(*out, FieldChange{Path: path + "[*].name (order)", Before: bj, After: aj})
	}
	return true
}

func namesOf(list []any) ([]string, bool) {
	names := make([]string, len(list))
	seen := map[string]bool{}
	for i, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			return nil, false
		}
		n, ok := m["name"].(string)
		if !ok || seen[n] {
			return nil, false
		}
		seen[n] = true
		names[i] = n
	}
	return names, len(list) > 0
}

func indexOf(list []string, s string) (int, bool) {
	for i, e := range list {
		if e == s {
			return i, true
		}
	}
	return -1, false
}

// sameOrder reports whether the names both lists share appear in the same
// relative order.
func sameOrder(b, a []string) bool {
	var bc, ac []string
	for _, n := range b {
		if _, ok := indexOf(a, n); ok {
			bc = append(bc, n)
		}
	}
	for _, n := range a {
		if _, ok := indexOf(b, n); ok {
			ac = append(ac, n)
		}
	}
	for i := range bc {
		if bc[i] != ac[i] {
			return false
		}
	}
	return true
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

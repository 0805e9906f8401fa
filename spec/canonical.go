package spec

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"sort"

	"github.com/baton-dev/baton/internal/parallel"
)

// Kind names a type of object in plans and in the state.
type Kind string

const (
	KindProject       Kind = "project"
	KindComponent     Kind = "component"
	KindConfiguration Kind = "configuration"
	KindTable         Kind = "table"
	KindNotification  Kind = "notification"
	KindOrchestration Kind = "orchestration"
)

// Kinds lists every kind in the order plans show them.
var Kinds = []Kind{KindProject, KindComponent, KindConfiguration, KindTable, KindNotification, KindOrchestration}

// ProjectName is the name of the single project object.
const ProjectName = "project"

// Object is one named object of a spec in canonical form.
type Object struct {
	Kind Kind
	Name string
	// JSON is the canonical encoding: same meaning, same bytes, whatever the
	// formatting, attribute order or file split of the source.
	JSON json.RawMessage
	// Hash is the hex SHA-256 of JSON.
	Hash string
	// Value is the typed object (*Component, *Orchestration, ...).
	Value any
}

// Objects returns every object of s in canonical form, sorted by kind order
// and name. s should be normalized (Normalize) first.
func (s *Spec) Objects() ([]Object, error) {
	out := make([]Object, 0, 1+len(s.Components)+len(s.Configurations)+len(s.Tables)+len(s.Notifications)+len(s.Orchestrations))
	add := func(kind Kind, name string, v any) {
		out = append(out, Object{Kind: kind, Name: name, Value: v})
	}
	if s.Project != nil {
		add(KindProject, ProjectName, s.Project)
	}
	for _, c := range s.Components {
		add(KindComponent, c.Name, c)
	}
	for _, c := range s.Configurations {
		add(KindConfiguration, c.Name, c)
	}
	for _, t := range s.Tables {
		add(KindTable, t.ID, t)
	}
	for _, n := range s.Notifications {
		add(KindNotification, n.Name, n)
	}
	for _, o := range s.Orchestrations {
		add(KindOrchestration, o.Name, o)
	}
	if err := encodeAll(out); err != nil {
		return nil, err
	}
	less := func(i, j int) bool {
		ki, kj := slices.Index(Kinds, out[i].Kind), slices.Index(Kinds, out[j].Kind)
		if ki != kj {
			return ki < kj
		}
		return out[i].Name < out[j].Name
	}
	// A normalized spec gives them in this order already: one pass says so.
	if !sort.SliceIsSorted(out, less) {
		sort.SliceStable(out, less)
	}
	return out, nil
}

// encodeAll fills in the canonical JSON and hash of every object, on all
// CPUs: objects encode independently, and a big revision has tens of
// thousands of them. The first error in object order is returned.
func encodeAll(objs []Object) error {
	errs := make([]error, len(objs))
	parallel.Each(len(objs), func(i int) {
		o := &objs[i]
		b, ok := encodeFast(o.Value)
		if !ok {
			var err error
			if b, err = CanonicalJSON(o.Value); err != nil {
				errs[i] = fmt.Errorf("encode %s %q: %w", o.Kind, o.Name, err)
				return
			}
		}
		sum := sha256.Sum256(b)
		o.JSON, o.Hash = b, hex.EncodeToString(sum[:])
	})
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// CanonicalJSON encodes v with sorted object keys and no insignificant space
// or HTML escaping, so equal values always give equal bytes.
func CanonicalJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// Decode reads an object's canonical JSON back into its typed value.
func Decode(kind Kind, b []byte) (any, error) {
	var v any
	switch kind {
	case KindProject:
		v = &Project{}
	case KindComponent:
		v = &Component{}
	case KindConfiguration:
		v = &Configuration{}
	case KindTable:
		v = &Table{}
	case KindNotification:
		v = &Notification{}
	case KindOrchestration:
		v = &Orchestration{}
	default:
		return nil, fmt.Errorf("unknown object kind %q", kind)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return nil, fmt.Errorf("decode %s: %w", kind, err)
	}
	return v, nil
}

// FromObjects rebuilds a spec from objects, the inverse of Objects.
func FromObjects(objs []Object) (*Spec, error) {
	s := &Spec{}
	for _, o := range objs {
		v := o.Value
		if v == nil {
			var err error
			if v, err = Decode(o.Kind, o.JSON); err != nil {
				return nil, fmt.Errorf("%s %q: %w", o.Kind, o.Name, err)
			}
		}
		switch x := v.(type) {
		case *Project:
			s.Project = x
		case *Component:
			s.Components = append(s.Components, x)
		case *Configuration:
			s.Configurations = append(s.Configurations, x)
		case *Table:
			s.Tables = append(s.Tables, x)
		case *Notification:
			s.Notifications = append(s.Notifications, x)
		case *Orchestration:
			s.Orchestrations = append(s.Orchestrations, x)
		default:
			return nil, fmt.Errorf("object %s %q has unexpected type %T", o.Kind, o.Name, v)
		}
	}
	return s, nil
}

// Normalize puts s into the form whose encoding is canonical: objects sorted
// by name, set-like lists (tables, e-mail addresses, events) sorted and
// de-duplicated, and defaults filled in. Order-carrying lists (commands,
// phases, tasks, schedules) keep their order.
func (s *Spec) Normalize() {
	byName := func(a, b string) int {
		if a < b {
			return -1
		}
		if a > b {
			return 1
		}
		return 0
	}
	slices.SortStableFunc(s.Components, func(a, b *Component) int { return byName(a.Name, b.Name) })
	slices.SortStableFunc(s.Configurations, func(a, b *Configuration) int { return byName(a.Name, b.Name) })
	slices.SortStableFunc(s.Tables, func(a, b *Table) int { return byName(a.ID, b.ID) })
	slices.SortStableFunc(s.Notifications, func(a, b *Notification) int { return byName(a.Name, b.Name) })
	slices.SortStableFunc(s.Orchestrations, func(a, b *Orchestration) int { return byName(a.Name, b.Name) })
	for _, c := range s.Configurations {
		c.Inputs = sortedSet(c.Inputs)
		c.Outputs = sortedSet(c.Outputs)
	}
	for _, n := range s.Notifications {
		n.Email = sortedSet(n.Email)
	}
	for _, o := range s.Orchestrations {
		if o.OnOverlap == "" {
			o.OnOverlap = OverlapQueue
		}
		if o.Trigger != nil {
			o.Trigger.Tables = sortedSet(o.Trigger.Tables)
		}
		for i := range o.Notify {
			o.Notify[i].On = sortedSet(o.Notify[i].On)
			o.Notify[i].To = sortedSet(o.Notify[i].To)
		}
	}
}

func sortedSet[T ~string](in []T) []T {
	if len(in) == 0 {
		return nil
	}
	out := slices.Clone(in)
	slices.Sort(out)
	return slices.Compact(out)
}

package spec

import (
	"fmt"
	"maps"
	"sort"
	"strings"
)

// envRefKey marks an env("NAME") reference inside parameters: the object
// {"$env": "NAME"} stands for the executor's variable NAME, resolved only when
// a task starts. Keeping the reference keeps secrets out of the state.
const envRefKey = "$env"

// EnvRef returns the parameter value that stands for env(name).
func EnvRef(name string) map[string]any { return map[string]any{envRefKey: name} }

// AsEnvRef reports whether v is an env reference, and its variable name.
func AsEnvRef(v any) (string, bool) {
	m, ok := v.(map[string]any)
	if !ok || len(m) != 1 {
		return "", false
	}
	name, ok := m[envRefKey].(string)
	return name, ok
}

// MergeParameters deep-merges over onto base: objects merge key by key, any
// other value of over replaces base's. Neither argument is modified.
func MergeParameters(base, over map[string]any) map[string]any {
	out := maps.Clone(base)
	if out == nil {
		out = make(map[string]any, len(over))
	}
	for k, ov := range over {
		bm, bok := out[k].(map[string]any)
		om, ook := ov.(map[string]any)
		_, bRef := AsEnvRef(out[k])
		_, oRef := AsEnvRef(ov)
		if bok && ook && !bRef && !oRef {
			out[k] = MergeParameters(bm, om)
			continue
		}
		out[k] = ov
	}
	return out
}

// ResolveEnv returns a copy of v with every env reference replaced by its
// value from lookup. All missing variables are reported together.
func ResolveEnv(v any, lookup func(string) (string, bool)) (any, error) {
	var missing []string
	out := resolve(v, lookup, &missing)
	if len(missing) > 0 {
		sort.Strings(missing)
		return nil, fmt.Errorf("environment variable %s is not set; export it in the environment of the baton process", strings.Join(missing, ", "))
	}
	return out, nil
}

func resolve(v any, lookup func(string) (string, bool), missing *[]string) any {
	if name, ok := AsEnvRef(v); ok {
		val, found := lookup(name)
		if !found {
			*missing = append(*missing, name)
		}
		return val
	}
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = resolve(e, lookup, missing)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = resolve(e, lookup, missing)
		}
		return out
	default:
		return v
	}
}

// EnvRefs lists the variable names referenced anywhere in v, sorted.
func EnvRefs(v any) []string {
	seen := map[string]bool{}
	var walk func(any)
	walk = func(v any) {
		if name, ok := AsEnvRef(v); ok {
			seen[name] = true
			return
		}
		switch x := v.(type) {
		case map[string]any:
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	out := make([]string, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

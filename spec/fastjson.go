package spec

import (
	"encoding/json"
	"slices"
	"strings"
	"unicode/utf8"
)

// A big revision has thousands of configurations and orchestrations, and
// encoding them through reflection was most of what Objects cost. The
// functions below write the very bytes CanonicalJSON writes for those two
// kinds (fields in declaration order, omitempty, sorted map keys, no HTML
// escaping); for a value they do not know (a parameter of another Go type)
// they report false and CanonicalJSON encodes the object.

// encodeFast is the canonical JSON of a configuration or an orchestration.
func encodeFast(v any) ([]byte, bool) {
	switch x := v.(type) {
	case *Configuration:
		return appendConfiguration(make([]byte, 0, 512), x)
	case *Orchestration:
		return appendOrchestration(make([]byte, 0, 1024), x)
	}
	return nil, false
}

// jsonObject writes the fields of one JSON object; the first one opens it.
type jsonObject struct {
	b     []byte
	empty bool
}

func newObject(b []byte) *jsonObject { return &jsonObject{b: append(b, '{'), empty: true} }

func (o *jsonObject) key(name string) {
	if !o.empty {
		o.b = append(o.b, ',')
	}
	o.empty = false
	o.b = append(append(append(o.b, '"'), name...), '"', ':')
}

func (o *jsonObject) str(name, s string) {
	o.key(name)
	o.b = appendJSONString(o.b, s)
}

func (o *jsonObject) strOmit(name, s string) {
	if s != "" {
		o.str(name, s)
	}
}

func (o *jsonObject) boolean(name string, v bool) {
	o.key(name)
	if v {
		o.b = append(o.b, "true"...)
	} else {
		o.b = append(o.b, "false"...)
	}
}

// strings writes a list (null when nil, as encoding/json does).
func (o *jsonObject) strings(name string, list []string) {
	o.key(name)
	o.b = appendStrings(o.b, list)
}

func (o *jsonObject) stringsOmit(name string, list []string) {
	if len(list) > 0 {
		o.strings(name, list)
	}
}

func (o *jsonObject) duration(name string, d Duration) {
	if d == 0 {
		return // omitempty
	}
	o.key(name)
	b, _ := d.MarshalJSON() // a string: always encodes
	o.b = append(o.b, b...)
}

func (o *jsonObject) parameters(name string, m map[string]any) bool {
	if len(m) == 0 {
		return true // omitempty
	}
	o.key(name)
	var ok bool
	o.b, ok = appendAny(o.b, m)
	return ok
}

func (o *jsonObject) close() []byte { return append(o.b, '}') }

// appendArray writes items as a JSON array (null when nil), each by f,
// which reports false for a value only encoding/json can write.
func appendArray[T any](b []byte, items []T, f func([]byte, *T) ([]byte, bool)) ([]byte, bool) {
	if items == nil {
		return append(b, "null"...), true
	}
	b = append(b, '[')
	for i := range items {
		if i > 0 {
			b = append(b, ',')
		}
		var ok bool
		if b, ok = f(b, &items[i]); !ok {
			return nil, false
		}
	}
	return append(b, ']'), true
}

func appendStrings[T ~string](b []byte, list []T) []byte {
	b, _ = appendArray(b, list, func(b []byte, s *T) ([]byte, bool) { return appendJSONString(b, string(*s)), true })
	return b
}

func appendConfiguration(b []byte, c *Configuration) ([]byte, bool) {
	o := newObject(b)
	o.str("name", c.Name)
	o.strOmit("component", c.Component)
	o.stringsOmit("command", c.Command)
	o.duration("timeout", c.Timeout)
	if !o.parameters("parameters", c.Parameters) {
		return nil, false
	}
	o.stringsOmit("inputs", c.Inputs)
	o.stringsOmit("outputs", c.Outputs)
	if len(c.Env) > 0 {
		o.key("env")
		names := make([]string, 0, len(c.Env))
		for k := range c.Env {
			names = append(names, k)
		}
		slices.Sort(names)
		o.b = append(o.b, '{')
		for i, k := range names {
			if i > 0 {
				o.b = append(o.b, ',')
			}
			o.b = append(appendJSONString(o.b, k), ':')
			e := newObject(o.b)
			e.strOmit("value", c.Env[k].Value)
			e.strOmit("from_env", c.Env[k].FromEnv)
			o.b = e.close()
		}
		o.b = append(o.b, '}')
	}
	return o.close(), true
}

func appendOrchestration(b []byte, x *Orchestration) ([]byte, bool) {
	o := newObject(b)
	o.str("name", x.Name)
	o.strOmit("description", x.Description)
	o.str("on_overlap", string(x.OnOverlap))
	if len(x.Schedules) > 0 {
		o.key("schedule")
		o.b, _ = appendArray(o.b, x.Schedules, func(b []byte, s *Schedule) ([]byte, bool) {
			so := newObject(b)
			so.str("cron", s.Cron)
			so.strOmit("timezone", s.Timezone)
			return so.close(), true
		})
	}
	if t := x.Trigger; t != nil {
		o.key("trigger")
		to := newObject(o.b)
		to.strings("tables", t.Tables)
		to.duration("cooldown", t.Cooldown)
		o.b = to.close()
	}
	if len(x.Notify) > 0 {
		o.key("notify")
		o.b, _ = appendArray(o.b, x.Notify, func(b []byte, n *Notify) ([]byte, bool) {
			no := newObject(b)
			no.key("on")
			no.b = appendStrings(no.b, n.On)
			no.strings("to", n.To)
			return no.close(), true
		})
	}
	if !x.LongRunning.IsZero() {
		o.key("long_running")
		lr, err := x.LongRunning.MarshalJSON()
		if err != nil {
			return nil, false
		}
		o.b = append(o.b, lr...)
	}
	o.duration("waiting_too_long", x.WaitingTooLong)
	o.key("phase")
	var ok bool
	o.b, ok = appendArray(o.b, x.Phases, func(b []byte, ph *Phase) ([]byte, bool) {
		po := newObject(b)
		po.str("name", ph.Name)
		po.key("task")
		var ok bool
		po.b, ok = appendArray(po.b, ph.Tasks, appendTask)
		return po.close(), ok
	})
	if !ok {
		return nil, false
	}
	return o.close(), true
}

func appendTask(b []byte, t *Task) ([]byte, bool) {
	o := newObject(b)
	o.str("name", t.Name)
	o.strOmit("configuration", t.Configuration)
	o.strOmit("orchestration", t.Orchestration)
	o.boolean("enabled", t.Enabled)
	o.boolean("continue_on_failure", t.ContinueOnFailure)
	if !o.parameters("parameters", t.Parameters) {
		return nil, false
	}
	return o.close(), true
}

// appendAny writes the JSON-like values of parameters: strings,
// json.Number, bools, nil, lists and objects of them.
func appendAny(b []byte, v any) ([]byte, bool) {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...), true
	case string:
		return appendJSONString(b, x), true
	case json.Number:
		if !validNumber(string(x)) {
			return nil, false // encoding/json says why
		}
		return append(b, x...), true
	case bool:
		if x {
			return append(b, "true"...), true
		}
		return append(b, "false"...), true
	case []any:
		return appendArray(b, x, func(b []byte, el *any) ([]byte, bool) { return appendAny(b, *el) })
	case map[string]any:
		if x == nil {
			return append(b, "null"...), true
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(appendJSONString(b, k), ':')
			var ok bool
			if b, ok = appendAny(b, x[k]); !ok {
				return nil, false
			}
		}
		return append(b, '}'), true
	}
	return nil, false
}

// validNumber reports whether s is a JSON number literal.
func validNumber(s string) bool {
	s = strings.TrimPrefix(s, "-")
	digits := func() bool {
		n := 0
		for n < len(s) && s[n] >= '0' && s[n] <= '9' {
			n++
		}
		s = s[n:]
		return n > 0
	}
	if strings.HasPrefix(s, "0") {
		s = s[1:]
	} else if !digits() {
		return false
	}
	if strings.HasPrefix(s, ".") {
		s = s[1:]
		if !digits() {
			return false
		}
	}
	if len(s) > 0 && (s[0] == 'e' || s[0] == 'E') {
		s = s[1:]
		if len(s) > 0 && (s[0] == '+' || s[0] == '-') {
			s = s[1:]
		}
		if !digits() {
			return false
		}
	}
	return s == ""
}

const hexDigits = "0123456789abcdef"

// appendJSONString quotes s as encoding/json does without HTML escaping:
// \", \\, \b, \f, \n, \r, \t, \u00XX for other control bytes, \ufffd for
// each byte of invalid UTF-8, and \u2028 and \u2029 escaped.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	return append(append(b, s[start:]...), '"')
}

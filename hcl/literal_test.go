package hcl

import (
	"encoding/json"
	"reflect"
	"testing"

	hclv2 "github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// literalCases are attribute values the fast path reads (literal) or must
// leave to the evaluation (not literal).
var literalCases = []struct {
	src     string
	literal bool
}{
	{`"plain"`, true},
	{`""`, true},
	{`"esc\"aped\n\u00e9 $${not} %%{not}"`, true},
	{`"e\u0301"`, true}, // NFC-normalized like the evaluation does
	{"<<EOT\nline one\n  line two\nEOT\n", true},
	{"<<-EOT\n    flush\n      indented\n    EOT\n", true},
	{`"${"a"}b"`, false},
	{`"a${1}"`, false},
	{`true`, true},
	{`false`, true},
	{`null`, true},
	{`0`, true},
	{`100`, true},
	{`0.25`, true},
	{`1e3`, true},
	{`12345678901234567890123`, true},
	{`0.1000000000000000000000000001`, true},
	{`-1`, false},
	{`1 + 1`, false},
	{`[]`, true},
	{`["a", "b", "c"]`, true},
	{`[1, "a", true, null, [2], {x = 1}]`, true},
	{`["a", env("X")]`, false},
	{`{}`, true},
	{`{ a = 1, "b.c" = "d", e = { f = [1, 2, 3] }, g = null }`, true},
	{`{ a = 1, a = 2 }`, true},
	{"{ e\u0301 = 1 }", true},                     // a bare name is NFC-normalized too
	{"{ \u00e9 = 1, e\u0301 = 2 }", true},         // so these are one key
	{"{ \"\u00e9\" = 1, \"e\u0301\" = 2 }", true}, // and these
	{"{ a = \"\\u00e9\\t\\\\\" }", true},
	{"{ a = [null, \"x\", []], \"\" = {} }", true},
	{`{ a = 1.5e-7, b = 0.0, c = 1E400 }`, true},
	{"{ a = <<EOT\nx ${1}\nEOT\n}", false},
	{`{ null = 1 }`, false},
	{`{ "$env" = "X" }`, false},
	{`{ a = { "$env" = "X" } }`, false},
	{`{ a.b = 1 }`, false},
	{`{ (a) = 1 }`, false},
	{`{ true = 1 }`, false},
	{`{ a = env("X") }`, false},
	{`{ "${"k"}" = 1 }`, false},
	{`env("X")`, false},
	{`x`, false},
	{`[for s in ["a"] : s]`, false},
}

func literalExpr(t *testing.T, src string) hclsyntax.Expression {
	t.Helper()
	f, diags := hclsyntax.ParseConfig([]byte("v = "+src+"\n"), "t.hcl", hclv2.InitialPos)
	if diags.HasErrors() {
		t.Fatalf("%s: %v", src, diags)
	}
	return f.Body.(*hclsyntax.Body).Attributes["v"].Expr
}

// evaluated is what the decoder makes of e through cty; ok is false where
// the evaluation fails or the value has another type.
func evaluated(e hclsyntax.Expression, want string) (any, bool) {
	v, diags := e.Value(evalContext)
	if diags.HasErrors() || !v.IsWhollyKnown() {
		return nil, false
	}
	switch want {
	case "string":
		if v.IsNull() || v.Type() != cty.String {
			return nil, false
		}
		return v.AsString(), true
	case "bool":
		if v.IsNull() || v.Type() != cty.Bool {
			return nil, false
		}
		return v.True(), true
	case "strings":
		if v.IsNull() || !v.Type().IsTupleType() {
			return nil, false
		}
		out := make([]string, 0, v.LengthInt())
		for it := v.ElementIterator(); it.Next(); {
			_, el := it.Element()
			if el.IsNull() || el.Type() != cty.String {
				return nil, false
			}
			out = append(out, el.AsString())
		}
		return out, true
	case "object":
		if v.IsNull() || !v.Type().IsObjectType() || isEnvRef(v) {
			return nil, false
		}
		m, _ := toGo(v).(map[string]any)
		return m, true
	}
	return toGo(v), true
}

// TestLiteralFastPathMatchesEvaluation checks that reading literals from the
// syntax tree gives what the evaluation gives, and that it declines what it
// cannot read (so that the evaluation reports it).
func TestLiteralFastPathMatchesEvaluation(t *testing.T) {
	readers := map[string]func(hclsyntax.Expression) (any, bool){
		"string":  func(e hclsyntax.Expression) (any, bool) { return literalString(e) },
		"bool":    func(e hclsyntax.Expression) (any, bool) { return literalBool(e) },
		"strings": func(e hclsyntax.Expression) (any, bool) { return literalStrings(e) },
		"object": func(e hclsyntax.Expression) (any, bool) {
			tape, ok := literalTape(e)
			if !ok {
				return nil, false
			}
			return readTape(tape).(map[string]any), true
		},
		"any": func(e hclsyntax.Expression) (any, bool) {
			tape, ok := appendLiteral(nil, e)
			if !ok {
				return nil, false
			}
			return readTape(tape), true
		},
	}
	for _, c := range literalCases {
		e := literalExpr(t, c.src)
		anyOK := false
		for kind, read := range readers {
			got, ok := read(e)
			if !ok {
				continue
			}
			anyOK = true
			want, wantOK := evaluated(e, kind)
			if !wantOK {
				t.Errorf("%s as %s: the fast path read %#v, the evaluation refuses it", c.src, kind, got)
				continue
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s as %s: fast path %#v, evaluation %#v", c.src, kind, got, want)
			}
		}
		if anyOK != c.literal {
			t.Errorf("%s: read by the fast path = %v, want %v", c.src, anyOK, c.literal)
		}
	}
}

// TestParametersLandOnTheirObjects: parameters read from tapes after the
// parse go to their own configuration and task, next to parameters that
// were evaluated (env()) and objects without any.
func TestParametersLandOnTheirObjects(t *testing.T) {
	src := `
configuration "a" {
  command    = ["true"]
  parameters = { n = 1, nested = { list = [1, "x", null] } }
}
configuration "b" { command = ["true"] }
configuration "c" {
  command    = ["true"]
  parameters = { key = env("KEY"), n = 3 }
}
orchestration "o" {
  phase "p0" {
    task "t0" {
      configuration = "a"
      parameters    = { shard = 0 }
    }
    task "t1" { configuration = "b" }
    task "t2" {
      configuration = "a"
      parameters    = {}
    }
  }
  phase "p1" {
    task "t3" {
      configuration = "c"
      parameters    = { shard = 3, secret = env("S") }
    }
    task "t4" {
      configuration = "a"
      parameters    = { shard = 4 }
    }
  }
}
`
	s, diags := Parse([]File{{Name: "p.hcl", Src: []byte(src)}})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	n := func(v string) any { return json.Number(v) }
	env := func(name string) any { return map[string]any{"$env": name} }
	wantConf := map[string]map[string]any{
		"a": {"n": n("1"), "nested": map[string]any{"list": []any{n("1"), "x", nil}}},
		"b": nil,
		"c": {"key": env("KEY"), "n": n("3")},
	}
	for _, c := range s.Configurations {
		if !reflect.DeepEqual(c.Parameters, wantConf[c.Name]) {
			t.Errorf("configuration %s: parameters %#v, want %#v", c.Name, c.Parameters, wantConf[c.Name])
		}
	}
	wantTask := map[string]map[string]any{
		"t0": {"shard": n("0")},
		"t1": nil,
		"t2": {},
		"t3": {"shard": n("3"), "secret": env("S")},
		"t4": {"shard": n("4")},
	}
	for _, ph := range s.Orchestrations[0].Phases {
		for _, task := range ph.Tasks {
			if !reflect.DeepEqual(task.Parameters, wantTask[task.Name]) {
				t.Errorf("task %s: parameters %#v, want %#v", task.Name, task.Parameters, wantTask[task.Name])
			}
		}
	}
}

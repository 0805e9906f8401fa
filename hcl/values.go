package hcl

import (
	"encoding/json"
	"fmt"
	"math/big"

	hclv2 "github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/function"

	"github.com/baton-dev/baton/spec"
)

// evalContext is the only scope of expressions: no variables (a revision
// must mean the same on every machine) and one function, env, whose value is
// a reference resolved when a task starts, so secrets never reach the state.
var evalContext = &hclv2.EvalContext{
	Functions: map[string]function.Function{"env": envFunction},
}

var envRefType = cty.Object(map[string]cty.Type{"$env": cty.String})

var envFunction = function.New(&function.Spec{
	Description: "A reference to an environment variable of the executor, resolved when a task starts.",
	Params:      []function.Parameter{{Name: "name", Type: cty.String}},
	Type:        function.StaticReturnType(envRefType),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		name := args[0].AsString()
		if !spec.ValidEnvName(name) {
			return cty.NilVal, function.NewArgErrorf(0, "%q is not an environment variable name; use letters, digits and _, not starting with a digit", name)
		}
		return cty.ObjectVal(map[string]cty.Value{"$env": cty.StringVal(name)}), nil
	},
})

// eval evaluates an attribute; on failure the diagnostics are recorded and
// ok is false.
func (d *decoder) eval(a *hclsyntax.Attribute) (cty.Value, bool) {
	v, diags := a.Expr.Value(evalContext)
	if diags.HasErrors() {
		d.p.addHCL(d.file, diags)
		d.p.suppress[d.field(a)] = true
		return cty.NilVal, false
	}
	if v.IsNull() {
		return v, false
	}
	return v, true
}

func (d *decoder) typeError(a *hclsyntax.Attribute, want, example string) {
	d.errorf(a.Expr.Range().Start, "write it like "+example, "%s must be %s", a.Name, want)
}

func isEnvRef(v cty.Value) bool {
	return v.Type().Equals(envRefType)
}

func (d *decoder) string(a *hclsyntax.Attribute) string {
	if s, ok := literalString(a.Expr); ok {
		return s
	}
	v, ok := d.eval(a)
	if !ok {
		return ""
	}
	if isEnvRef(v) {
		d.errorf(a.Expr.Range().Start, "env() is allowed in parameters (of a configuration or a task) and in a configuration's env", "%s cannot come from the environment", a.Name)
		return ""
	}
	s, err := convert.Convert(v, cty.String)
	if err != nil {
		d.typeError(a, "a string", fmt.Sprintf("%s = \"...\"", a.Name))
		return ""
	}
	return s.AsString()
}

func (d *decoder) bool(a *hclsyntax.Attribute) bool {
	if b, ok := literalBool(a.Expr); ok {
		return b
	}
	v, ok := d.eval(a)
	if !ok {
		return false
	}
	b, err := convert.Convert(v, cty.Bool)
	if err != nil {
		d.typeError(a, "true or false", a.Name+" = true")
		return false
	}
	return b.True()
}

func (d *decoder) int(a *hclsyntax.Attribute) int {
	v, ok := d.eval(a)
	if !ok {
		return 0
	}
	n, err := convert.Convert(v, cty.Number)
	if err != nil {
		d.typeError(a, "a whole number", a.Name+" = 4")
		return 0
	}
	bf := n.AsBigFloat()
	i, acc := bf.Int64()
	if !bf.IsInt() || acc != big.Exact || i > 1<<31 || i < -(1<<31) {
		d.typeError(a, "a whole number", a.Name+" = 4")
		return 0
	}
	return int(i)
}

// strings reads a list of strings.
func (d *decoder) strings(a *hclsyntax.Attribute) []string {
	return d.stringList(a, fmt.Sprintf(`%s = ["..."]`, a.Name), "a list of strings")
}

// command reads an argv. A string is refused on purpose: baton never runs a
// shell, so there is nothing that could split it safely.
func (d *decoder) command(a *hclsyntax.Attribute) []string {
	return d.stringList(a, `command = ["python3", "main.py"]`, "a list of strings (an argv; baton never runs a shell string)")
}

func (d *decoder) stringList(a *hclsyntax.Attribute, example, want string) []string {
	if list, ok := literalStrings(a.Expr); ok {
		return list
	}
	v, ok := d.eval(a)
	if !ok {
		return nil
	}
	t := v.Type()
	if !(t.IsListType() || t.IsTupleType() || t.IsSetType()) {
		d.typeError(a, want, example)
		return nil
	}
	out := make([]string, 0, v.LengthInt())
	for it := v.ElementIterator(); it.Next(); {
		_, e := it.Element()
		if e.IsNull() || isEnvRef(e) {
			d.typeError(a, want, example)
			return nil
		}
		s, err := convert.Convert(e, cty.String)
		if err != nil {
			d.typeError(a, want, example)
			return nil
		}
		out = append(out, s.AsString())
	}
	return out
}

func (d *decoder) duration(a *hclsyntax.Attribute) spec.Duration {
	s := d.string(a)
	if s == "" {
		return 0
	}
	dur, err := spec.ParseDuration(s)
	if err != nil {
		d.errorf(a.Expr.Range().Start, "", "%s: %v", a.Name, err)
		return 0
	}
	return dur
}

// lateParameters reads parameters into at: an object of literals is only
// written to a tape now, and becomes its map once every file is parsed.
func (d *decoder) lateParameters(a *hclsyntax.Attribute, at lateParams) map[string]any {
	if tape, ok := literalTape(a.Expr); ok {
		at.tape = tape
		d.p.late = append(d.p.late, at)
		return nil
	}
	return d.parameters(a)
}

// parameters reads an object of arbitrary JSON values; env() calls inside
// stay references.
func (d *decoder) parameters(a *hclsyntax.Attribute) map[string]any {
	v, ok := d.eval(a)
	if !ok {
		return nil
	}
	if !(v.Type().IsObjectType() || v.Type().IsMapType()) || isEnvRef(v) {
		d.typeError(a, "an object", a.Name+` = { key = "value" }`)
		return nil
	}
	m, _ := toGo(v).(map[string]any)
	return m
}

func (d *decoder) env(a *hclsyntax.Attribute) map[string]spec.Env {
	v, ok := d.eval(a)
	if !ok {
		return nil
	}
	example := `env = { API_KEY = env("API_KEY"), REGION = "eu" }`
	if !(v.Type().IsObjectType() || v.Type().IsMapType()) || isEnvRef(v) {
		d.typeError(a, "an object of names to strings or env(...)", example)
		return nil
	}
	out := make(map[string]spec.Env, v.LengthInt())
	for it := v.ElementIterator(); it.Next(); {
		k, e := it.Element()
		name := k.AsString()
		switch {
		case e.IsNull():
			continue
		case isEnvRef(e):
			out[name] = spec.Env{FromEnv: e.GetAttr("$env").AsString()}
		default:
			s, err := convert.Convert(e, cty.String)
			if err != nil {
				d.errorf(a.Expr.Range().Start, "write it like "+example, "env %q must be a string or env(\"NAME\")", name)
				continue
			}
			out[name] = spec.Env{Value: s.AsString()}
		}
	}
	return out
}

// toGo converts a known cty value to the JSON-like Go values of spec:
// numbers become json.Number so that canonical JSON keeps them exact.
func toGo(v cty.Value) any {
	if v.IsNull() {
		return nil
	}
	t := v.Type()
	switch {
	case t == cty.String:
		return v.AsString()
	case t == cty.Number:
		return json.Number(numberText(v.AsBigFloat()))
	case t == cty.Bool:
		return v.True()
	case t.IsListType() || t.IsTupleType() || t.IsSetType():
		out := make([]any, 0, v.LengthInt())
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			out = append(out, toGo(e))
		}
		return out
	case t.IsObjectType() || t.IsMapType():
		out := make(map[string]any, v.LengthInt())
		for it := v.ElementIterator(); it.Next(); {
			k, e := it.Element()
			out[k.AsString()] = toGo(e)
		}
		return out
	}
	return nil
}

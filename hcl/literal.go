package hcl

import (
	"encoding/json"

	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// Most values in a source are literals: quoted strings, numbers, bools and
// lists and objects of them. Evaluating them through cty builds a value, a
// type and a map per object only for the decoder to convert them back, and
// that was most of the decoding's time and garbage. The functions below read
// such literals straight from the syntax tree, with exactly the result the
// evaluation gives; anything else (a template with interpolation, a function
// call, an operator, an unusual key) reports false and takes the evaluation,
// which also reports its errors.

// literalString is the value of a quoted string without interpolation.
func literalString(e hclsyntax.Expression) (string, bool) {
	t, ok := e.(*hclsyntax.TemplateExpr)
	if !ok {
		return "", false
	}
	switch len(t.Parts) {
	case 0:
		return "", true
	case 1:
		lit, ok := t.Parts[0].(*hclsyntax.LiteralValueExpr)
		if !ok || !knownNotNull(lit.Val) || lit.Val.Type() != cty.String {
			return "", false
		}
		return lit.Val.AsString(), true
	}
	return "", false
}

// literalBool is the value of true or false.
func literalBool(e hclsyntax.Expression) (value, ok bool) {
	lit, ok := e.(*hclsyntax.LiteralValueExpr)
	if !ok || !knownNotNull(lit.Val) || lit.Val.Type() != cty.Bool {
		return false, false
	}
	return lit.Val.True(), true
}

// literalStrings is the value of a list of quoted strings.
func literalStrings(e hclsyntax.Expression) ([]string, bool) {
	t, ok := e.(*hclsyntax.TupleConsExpr)
	if !ok {
		return nil, false
	}
	out := make([]string, 0, len(t.Exprs))
	for _, x := range t.Exprs {
		s, ok := literalString(x)
		if !ok {
			return nil, false
		}
		out = append(out, s)
	}
	return out, true
}

// literalObject is what toGo makes of an object of literals.
func literalObject(e hclsyntax.Expression) (map[string]any, bool) {
	o, ok := e.(*hclsyntax.ObjectConsExpr)
	if !ok {
		return nil, false
	}
	out := make(map[string]any, len(o.Items))
	for _, item := range o.Items {
		k, ok := literalKey(item.KeyExpr)
		if !ok || k == "$env" {
			// An object of one "$env" key is what env() returns: the
			// evaluation tells the two apart.
			return nil, false
		}
		v, ok := literalAny(item.ValueExpr)
		if !ok {
			return nil, false
		}
		out[k] = v // a repeated key: the last one wins, as in the evaluation
	}
	return out, true
}

// literalKey is an object key written as a bare name or a quoted string.
func literalKey(e hclsyntax.Expression) (string, bool) {
	k, ok := e.(*hclsyntax.ObjectConsKeyExpr)
	if !ok || k.ForceNonLiteral {
		return "", false
	}
	switch w := k.Wrapped.(type) {
	case *hclsyntax.ScopeTraversalExpr:
		if len(w.Traversal) != 1 {
			return "", false // a.b is an error the evaluation reports
		}
		return w.Traversal.RootName(), true
	case *hclsyntax.TemplateExpr:
		return literalString(w)
	}
	return "", false
}

// literalAny is what toGo makes of a literal value.
func literalAny(e hclsyntax.Expression) (any, bool) {
	switch x := e.(type) {
	case *hclsyntax.TemplateExpr:
		return literalString(x)
	case *hclsyntax.ObjectConsExpr:
		return literalObject(x)
	case *hclsyntax.TupleConsExpr:
		out := make([]any, 0, len(x.Exprs))
		for _, el := range x.Exprs {
			v, ok := literalAny(el)
			if !ok {
				return nil, false
			}
			out = append(out, v)
		}
		return out, true
	case *hclsyntax.LiteralValueExpr:
		v := x.Val
		if !v.IsKnown() {
			return nil, false
		}
		if v.IsNull() {
			return nil, true
		}
		switch v.Type() {
		case cty.Bool:
			return v.True(), true
		case cty.Number:
			return json.Number(numberText(v.AsBigFloat())), true
		case cty.String:
			return v.AsString(), true
		}
	}
	return nil, false
}

func knownNotNull(v cty.Value) bool { return v.IsKnown() && !v.IsNull() }

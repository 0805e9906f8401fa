package hcl

import (
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

func knownNotNull(v cty.Value) bool { return v.IsKnown() && !v.IsNull() }

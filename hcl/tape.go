package hcl

import (
	"encoding/binary"
	"encoding/json"

	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/baton-dev/baton/spec"
)

// Parameters are objects of arbitrary literals, and a big source has tens
// of thousands of them. As Go maps they were half of what stayed live while
// the files were parsed, and every collection during the parse marked them
// again. So a literal object is first written to a tape, a flat byte slice
// the collector need not look into, and turned into its map once every file
// is parsed (lateParams).

// Tape tags; each is followed by its payload.
const (
	tapeObject = 'o' // count, then count × (string key, value)
	tapeArray  = 'a' // count, then count × value
	tapeString = 's' // length, then the bytes
	tapeNumber = 'n' // length, then the shortest decimal text
	tapeTrue   = 't'
	tapeFalse  = 'f'
	tapeNull   = 'z'
)

// literalTape writes an object of literals to a tape. It reports false for
// anything else, which the evaluation then decodes and reports.
func literalTape(e hclsyntax.Expression) ([]byte, bool) {
	if _, ok := e.(*hclsyntax.ObjectConsExpr); !ok {
		return nil, false
	}
	return appendLiteral(make([]byte, 0, 64), e)
}

func appendLiteral(b []byte, e hclsyntax.Expression) ([]byte, bool) {
	switch x := e.(type) {
	case *hclsyntax.ObjectConsExpr:
		b = binary.AppendUvarint(append(b, tapeObject), uint64(len(x.Items)))
		for _, item := range x.Items {
			k, ok := literalKey(item.KeyExpr)
			if !ok || k == "$env" {
				// An object of one "$env" key is what env() returns: the
				// evaluation tells the two apart.
				return nil, false
			}
			b = appendTapeBytes(b, 0, k)
			if b, ok = appendLiteral(b, item.ValueExpr); !ok {
				return nil, false
			}
		}
		return b, true
	case *hclsyntax.TupleConsExpr:
		b = binary.AppendUvarint(append(b, tapeArray), uint64(len(x.Exprs)))
		for _, el := range x.Exprs {
			var ok bool
			if b, ok = appendLiteral(b, el); !ok {
				return nil, false
			}
		}
		return b, true
	case *hclsyntax.TemplateExpr:
		s, ok := literalString(x)
		return appendTapeBytes(b, tapeString, s), ok
	case *hclsyntax.LiteralValueExpr:
		v := x.Val
		if !v.IsKnown() {
			return nil, false
		}
		if v.IsNull() {
			return append(b, tapeNull), true
		}
		switch v.Type() {
		case cty.Bool:
			if v.True() {
				return append(b, tapeTrue), true
			}
			return append(b, tapeFalse), true
		case cty.Number:
			return appendTapeBytes(b, tapeNumber, numberText(v.AsBigFloat())), true
		case cty.String:
			return appendTapeBytes(b, tapeString, v.AsString()), true
		}
	}
	return nil, false
}

// appendTapeBytes writes tag (none when 0), the length of s and s.
func appendTapeBytes(b []byte, tag byte, s string) []byte {
	if tag != 0 {
		b = append(b, tag)
	}
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
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
		// A name is not normalized by the parser; the evaluation makes
		// it a cty string, which is NFC-normalized.
		return cty.NormalizeString(w.Traversal.RootName()), true
	case *hclsyntax.TemplateExpr:
		return literalString(w)
	}
	return "", false
}

// readTape turns a tape into the JSON-like Go values toGo gives for the
// same literal: objects become maps (a repeated key: the last one wins, as
// in the evaluation), numbers json.Number.
func readTape(b []byte) any {
	r := tapeReader{b: b}
	return r.value()
}

type tapeReader struct {
	b []byte
	i int
}

func (r *tapeReader) uvarint() int {
	n, w := binary.Uvarint(r.b[r.i:])
	r.i += w
	return int(n)
}

func (r *tapeReader) str() string {
	n := r.uvarint()
	s := string(r.b[r.i : r.i+n])
	r.i += n
	return s
}

func (r *tapeReader) value() any {
	tag := r.b[r.i]
	r.i++
	switch tag {
	case tapeObject:
		n := r.uvarint()
		m := make(map[string]any, n)
		for range n {
			k := r.str()
			m[k] = r.value()
		}
		return m
	case tapeArray:
		n := r.uvarint()
		out := make([]any, n)
		for i := range out {
			out[i] = r.value()
		}
		return out
	case tapeString:
		return r.str()
	case tapeNumber:
		return json.Number(r.str())
	case tapeTrue:
		return true
	case tapeFalse:
		return false
	}
	return nil // tapeNull
}

// lateParams is where the parameters read from a tape go: a configuration's,
// or those of task number task of phase number phase of an orchestration
// (tasks are values in slices that are still growing while they are read).
type lateParams struct {
	conf        *spec.Configuration
	orch        *spec.Orchestration
	phase, task int
	tape        []byte
}

func (l *lateParams) fill() {
	m, _ := readTape(l.tape).(map[string]any)
	if l.conf != nil {
		l.conf.Parameters = m
		return
	}
	l.orch.Phases[l.phase].Tasks[l.task].Parameters = m
}

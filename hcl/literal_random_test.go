package hcl

import (
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// literalGen writes random HCL literals: the awkward parts of strings
// (escapes, unicode that NFC changes, template escapes), numbers of every
// shape, keys written as names or quoted, heredocs, nesting.
type literalGen struct{ r *rand.Rand }

var (
	stringParts = []string{"a", "Z", " ", `\"`, `\\`, `\n`, `\t`, `\r`, `\u00e9`, `\u0065\u0301`, `\U0001F600`, "$${x}", "%%{y}", "$ ", "% ",
		"\u00e9", "e\u0301", "\u212b", "\u65e5\u672c", "\u2028", "<&>", "'"}
	heredocParts = []string{"a", " ", "\t", "\u00e9", "e\u0301", "$${x}", "%%{y}", "\"", "\\", "\u2028"}
	numbers      = []string{"0", "1", "7", "10", "0.5", "0.1", "1e3", "1E-3", "2.5e+10", "123456789012345678901234567890",
		"0.1000000000000000000000000001", "9007199254740993", "1e400", "3.14159265358979323846264338327950288"}
	namePart = []string{"a", "b", "_", "-", "x1", "\u00e9", "e\u0301", "\u65e5"}
)

func (g literalGen) quoted(parts []string, max int) string {
	var b strings.Builder
	for n := g.r.IntN(max); n > 0; n-- {
		b.WriteString(parts[g.r.IntN(len(parts))])
	}
	return b.String()
}

func (g literalGen) key() string {
	if g.r.IntN(2) == 0 {
		return `"` + g.quoted(stringParts, 4) + `"`
	}
	name := []string{"k", "\u00e9", "e\u0301", "\u212b", "_"}[g.r.IntN(5)]
	for n := g.r.IntN(3); n > 0; n-- {
		name += namePart[g.r.IntN(len(namePart))]
	}
	return name
}

func (g literalGen) value(depth int) string {
	k := g.r.IntN(9)
	if depth >= 3 && k >= 6 {
		k = 0
	}
	switch k {
	case 0, 1:
		return `"` + g.quoted(stringParts, 6) + `"`
	case 2:
		return numbers[g.r.IntN(len(numbers))]
	case 3:
		return []string{"true", "false", "null"}[g.r.IntN(3)]
	case 4:
		dash := []string{"", "-"}[g.r.IntN(2)]
		lines := ""
		for n := g.r.IntN(3); n > 0; n-- {
			lines += "  " + g.quoted(heredocParts, 5) + "\n"
		}
		return "<<" + dash + "EOT\n" + lines + "EOT\n"
	case 5:
		return "[" + g.list(depth) + "]"
	default:
		return g.object(depth)
	}
}

func (g literalGen) list(depth int) string {
	var items []string
	for n := g.r.IntN(4); n > 0; n-- {
		v := g.value(depth + 1)
		if strings.HasPrefix(v, "<<") {
			v = `"h"` // a heredoc ends its line: not in a one-line list
		}
		items = append(items, v)
	}
	return strings.Join(items, ", ")
}

func (g literalGen) object(depth int) string {
	var b strings.Builder
	b.WriteString("{\n")
	for n := g.r.IntN(5); n > 0; n-- {
		v := g.value(depth + 1)
		b.WriteString(g.key() + " = " + v)
		if !strings.HasSuffix(v, "\n") {
			b.WriteString("\n")
		}
	}
	b.WriteString("}")
	return b.String()
}

// TestLiteralFastPathMatchesEvaluationOnRandomLiterals compares the
// literals read from the syntax tree with their evaluation on random
// sources, so that a divergence nobody thought of shows up.
func TestLiteralFastPathMatchesEvaluationOnRandomLiterals(t *testing.T) {
	g := literalGen{r: rand.New(rand.NewPCG(7, 11))}
	read := 0
	const n = 3000
	for i := 0; i < n; i++ {
		src := g.object(0)
		if i%3 == 0 {
			src = g.value(1)
		}
		e := literalExpr(t, src)
		if s, ok := literalString(e); ok {
			if want, wok := evaluated(e, "string"); !wok || s != want {
				t.Fatalf("%q as a string: fast path %q, evaluation %q (%v)", src, s, want, wok)
			}
		}
		tape, ok := appendLiteral(nil, e)
		if !ok {
			continue
		}
		read++
		got := readTape(tape)
		want, wok := evaluated(e, "any")
		if !wok || !reflect.DeepEqual(got, want) {
			t.Fatalf("%q:\nfast path  %#v\nevaluation %#v (%v)", src, got, want, wok)
		}
	}
	if read < n/2 {
		t.Errorf("the fast path read only %d of %d random literals", read, n)
	}
}

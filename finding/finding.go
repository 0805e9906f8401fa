// Package finding is the one shape of everything baton reports about a
// revision: language errors, semantic validation, review lints and the
// guards of apply. Each finding has a severity, a stable code, a position
// (file:line:col, or none for findings about a whole revision), a message
// and a hint that says what to do.
package finding

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/baton-dev/baton/terminal"
)

// Severity says whether a finding stops a revision from being applied.
type Severity string

const (
	Error   Severity = "error"
	Warning Severity = "warning"
)

// Pos is a place in a source file; the zero value means no place.
type Pos struct {
	File   string `json:"file"`
	Line   int    `json:"line"`
	Column int    `json:"column"`
}

func (p Pos) String() string {
	if p.File == "" {
		return "<unknown>"
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Column)
}

// Finding is one thing worth telling about a revision.
type Finding struct {
	Severity Severity `json:"severity"`
	// Code names the rule that found it ("dst-gap", "mass-delete"); stable,
	// so that tools can filter on it.
	Code string `json:"code,omitempty"`
	Pos
	Message string `json:"message"`
	// Hint says what to do about it; may be empty.
	Hint string `json:"hint"`
	// SourceLine is the text of the line at fault, shown under the message.
	SourceLine string `json:"-"`
}

func (f Finding) String() string {
	s := fmt.Sprintf("%s: %s", f.Severity, f.Message)
	if f.File != "" {
		s = f.Pos.String() + ": " + s
	}
	if f.Hint != "" {
		s += " (" + f.Hint + ")"
	}
	return s
}

// List is the findings of one check run, in the order Sort gives.
type List []Finding

// HasErrors reports whether any finding is an error; warnings alone do
// not stop a revision from being applied.
func (l List) HasErrors() bool { return l.Errors() > 0 }

// Errors counts the error findings.
func (l List) Errors() int {
	n := 0
	for _, f := range l {
		if f.Severity == Error {
			n++
		}
	}
	return n
}

// Warnings counts the warning findings.
func (l List) Warnings() int { return len(l) - l.Errors() }

// Filter returns the findings of one severity.
func (l List) Filter(sev Severity) List {
	var out List
	for _, f := range l {
		if f.Severity == sev {
			out = append(out, f)
		}
	}
	return out
}

// MarshalJSON writes an array, never null, so that consumers can always
// iterate.
func (l List) MarshalJSON() ([]byte, error) {
	if l == nil {
		return []byte("[]"), nil
	}
	return json.Marshal([]Finding(l))
}

// Sort orders findings without a position first (they concern the whole
// revision), then by file, line and column; equal places keep their order.
func (l List) Sort() {
	sort.SliceStable(l, func(i, j int) bool {
		a, b := l[i], l[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Column < b.Column
	})
}

// WriteText writes the findings the way compilers do, so that editors can
// jump to them:
//
//	file:line:col: error: message
//	    the source line
//	    ^
//	  hint: what to do
func (l List) WriteText(w io.Writer) {
	var b strings.Builder
	for _, f := range l {
		// Files and libraries' messages may hold control characters; they
		// reach a terminal escaped.
		if f.File != "" {
			fmt.Fprintf(&b, "%s:%d:%d: ", terminal.Escape(f.File), f.Line, f.Column)
		}
		fmt.Fprintf(&b, "%s: %s\n", f.Severity, terminal.EscapeLines(f.Message))
		if f.SourceLine != "" {
			line := terminal.EscapeLines(f.SourceLine)
			fmt.Fprintf(&b, "    %s\n    %s^\n", line, caretIndent(line, f.Column))
		}
		if f.Hint != "" {
			fmt.Fprintf(&b, "  hint: %s\n", terminal.EscapeLines(f.Hint))
		}
	}
	io.WriteString(w, b.String())
}

// caretIndent is the run of blanks that puts a caret under column col of
// line; tabs are kept so that the caret lines up whatever the tab width.
func caretIndent(line string, col int) string {
	var b strings.Builder
	n := 0
	for _, r := range line {
		if n >= col-1 {
			break
		}
		n++
		if r == '\t' {
			b.WriteByte('\t')
		} else {
			b.WriteByte(' ')
		}
	}
	return b.String()
}

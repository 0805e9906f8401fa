package hcl

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/baton-dev/baton/spec"
)

// Diagnostic is one finding about the source files, located at the place a
// user has to edit.
type Diagnostic struct {
	Severity spec.Severity `json:"severity"`
	File     string        `json:"file"`
	Line     int           `json:"line"`
	Column   int           `json:"column"`
	Message  string        `json:"message"`
	// Hint says what to do about it; may be empty.
	Hint string `json:"hint"`
	// SourceLine is the text of the line at fault, shown under the message.
	SourceLine string `json:"-"`
}

// Pos is the diagnostic's location.
func (d Diagnostic) Pos() spec.Pos { return spec.Pos{File: d.File, Line: d.Line, Column: d.Column} }

// Diagnostics is every finding of one Parse, sorted by position.
type Diagnostics []Diagnostic

// HasErrors reports whether any diagnostic is an error; warnings alone do
// not stop a revision from being applied.
func (ds Diagnostics) HasErrors() bool {
	for _, d := range ds {
		if d.Severity == spec.SeverityError {
			return true
		}
	}
	return false
}

// Errors counts the error diagnostics.
func (ds Diagnostics) Errors() int {
	n := 0
	for _, d := range ds {
		if d.Severity == spec.SeverityError {
			n++
		}
	}
	return n
}

// MarshalJSON writes an array, never null, so that consumers can always
// iterate.
func (ds Diagnostics) MarshalJSON() ([]byte, error) {
	if ds == nil {
		return []byte("[]"), nil
	}
	return json.Marshal([]Diagnostic(ds))
}

// WriteText writes the diagnostics the way compilers do, so that editors
// can jump to them:
//
//	file:line:col: error: message
//	    the source line
//	    ^
//	  hint: what to do
func (ds Diagnostics) WriteText(w io.Writer) {
	var b strings.Builder
	for _, d := range ds {
		if d.File != "" {
			fmt.Fprintf(&b, "%s:%d:%d: ", d.File, d.Line, d.Column)
		}
		fmt.Fprintf(&b, "%s: %s\n", d.Severity, d.Message)
		if d.SourceLine != "" {
			fmt.Fprintf(&b, "    %s\n    %s^\n", d.SourceLine, caretIndent(d.SourceLine, d.Column))
		}
		if d.Hint != "" {
			fmt.Fprintf(&b, "  hint: %s\n", d.Hint)
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

func (ds Diagnostics) sort() {
	sort.SliceStable(ds, func(i, j int) bool {
		a, b := ds[i], ds[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Column < b.Column
	})
}

// sourceLine returns line n (1-based) of src without its line ending, or ""
// when src has no such line.
func sourceLine(src []byte, n int) string {
	if n < 1 {
		return ""
	}
	for i := 1; i < n; i++ {
		j := bytes.IndexByte(src, '\n')
		if j < 0 {
			return ""
		}
		src = src[j+1:]
	}
	if j := bytes.IndexByte(src, '\n'); j >= 0 {
		src = src[:j]
	}
	line := strings.TrimRight(string(src), "\r")
	if !utf8.ValidString(line) {
		line = strings.ToValidUTF8(line, "\uFFFD")
	}
	return line
}

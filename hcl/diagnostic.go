package hcl

import (
	"bytes"
	"strings"
	"unicode/utf8"

	"github.com/baton-dev/baton/finding"
)

// Diagnostic is one finding about the source files, located at the place a
// user has to edit.
type Diagnostic = finding.Finding

// Diagnostics is every finding of one Parse, sorted by position.
type Diagnostics = finding.List

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

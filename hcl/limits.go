package hcl

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/baton-dev/baton/spec"
)

// Limits on what baton reads. The HCL parser recurses once per level of
// nesting and per operator, and keeps about a hundred bytes per byte of
// source: a file nested 70,000 deep overflows the stack, a 12 MB file takes
// a gigabyte. These limits are far above any real project and are checked
// before the parser runs.
const (
	// MaxFileSize is the largest file baton parses.
	MaxFileSize = 1 << 20
	// MaxSourceSize is the most all files of a revision may hold together.
	MaxSourceSize = 8 << 20
	// MaxDepth is the deepest nesting of blocks, brackets, string templates
	// and operators (each unary or binary operator in an expression counts
	// as a level, as the parser recurses on it).
	MaxDepth = 100
)

// ReadFile reads at most MaxFileSize+1 bytes of r: enough for CheckLimits
// to tell that a file is too large without holding all of it.
func ReadFile(r io.Reader) ([]byte, error) {
	return io.ReadAll(io.LimitReader(r, MaxFileSize+1))
}

// CheckLimits reports a file that is too large or nested too deeply to be
// parsed safely, located at the place to edit. It reads the bytes once and
// allocates almost nothing, so that it can run on any input.
func CheckLimits(f File) Diagnostics {
	if len(f.Src) > MaxFileSize {
		return Diagnostics{limitError(f.Name, 1, 1,
			fmt.Sprintf("file is larger than %d KiB", MaxFileSize>>10),
			"split it into several files; baton reads every .hcl file below the source root")}
	}
	if line, col, ok := tooDeep(f.Src); ok {
		return Diagnostics{limitError(f.Name, line, col,
			fmt.Sprintf("nesting is deeper than %d levels", MaxDepth),
			"blocks, brackets, string templates and operators in an expression each count as a level; flatten the value")}
	}
	return nil
}

// checkSizes reports every file larger than MaxFileSize and the first file
// at which the revision's files together exceed MaxSourceSize. A file too
// large counts as what ReadFile would have read of it.
func checkSizes(files []File) Diagnostics {
	var diags Diagnostics
	total := 0
	for _, f := range files {
		if len(f.Src) > MaxFileSize {
			diags = append(diags, CheckLimits(File{Name: f.Name, Src: f.Src})...)
		}
		total += min(len(f.Src), MaxFileSize+1)
		if total > MaxSourceSize {
			return append(diags, limitError(f.Name, 1, 1,
				fmt.Sprintf("the source files together are larger than %d MiB (reached at this file)", MaxSourceSize>>20),
				"keep only baton's .hcl files below the source root, or point --path at the directory that holds them"))
		}
	}
	return diags
}

func limitError(file string, line, col int, msg, hint string) Diagnostic {
	return Diagnostic{Severity: spec.SeverityError, Code: spec.CodeInvalid, Pos: spec.Pos{File: file, Line: line, Column: col}, Message: msg, Hint: hint}
}

// frame is one open level of nesting found by tooDeep.
type frame struct {
	kind byte // '{', '[', '(', 'I' (template interpolation), 'q' (quoted string), 'h' (heredoc)
	// ops counts operators (in expressions) or open if/for directives (in
	// templates) at this level.
	ops    int
	marker []byte // of a heredoc
}

// depthScanner finds the first place where the nesting of src exceeds
// MaxDepth. It follows HCL's lexical structure (comments, quoted strings,
// heredocs, template interpolations and directives) but no grammar: it
// may overestimate the depth of odd expressions, never underestimate it.
type depthScanner struct {
	src   []byte
	i     int
	stack []frame
	ops   int // sum of the frames' ops
}

// tooDeep returns the line and column where the nesting of src first gets
// deeper than MaxDepth.
func tooDeep(src []byte) (line, col int, found bool) {
	s := &depthScanner{src: src, stack: []frame{{}}}
	return s.run()
}

// top is the innermost frame; the file's top level is a frame of kind 0
// that is never closed.
func (s *depthScanner) top() *frame { return &s.stack[len(s.stack)-1] }

func (s *depthScanner) deep() bool { return len(s.stack)-1+s.ops > MaxDepth }

// advance moves past n bytes.
func (s *depthScanner) advance(n int) { s.i = min(s.i+n, len(s.src)) }

// position is the line and column (in characters) of byte offset off; it is
// computed only for the one place reported.
func position(src []byte, off int) (line, col int) {
	line = 1 + bytes.Count(src[:off], []byte("\n"))
	start := bytes.LastIndexByte(src[:off], '\n') + 1
	return line, 1 + utf8.RuneCount(src[start:off])
}

// plainExpr and plainTemplate mark the bytes that mean nothing to the
// scanner in expressions and in templates, so that runs of them are
// skipped at once.
var (
	plainExpr     = plainExcept("#/*\"<{[()]}, \n!-+%>&|?")
	plainTemplate = plainExcept("\\\"\n$%")
)

func plainExcept(special string) (set [256]bool) {
	for c := range set {
		set[c] = strings.IndexByte(special, byte(c)) < 0
	}
	return set
}

func (s *depthScanner) at(off int) byte {
	if s.i+off < len(s.src) {
		return s.src[s.i+off]
	}
	return 0
}

func (s *depthScanner) push(f frame) bool {
	s.stack = append(s.stack, f)
	return s.deep()
}

func (s *depthScanner) pop() {
	if len(s.stack) > 1 {
		s.ops -= s.top().ops
		s.stack = s.stack[:len(s.stack)-1]
	}
}

func (s *depthScanner) addOps(n int) bool {
	f := s.top()
	n = max(n, -f.ops)
	f.ops += n
	s.ops += n
	return s.deep()
}

func (s *depthScanner) resetOps() {
	f := s.top()
	s.ops -= f.ops
	f.ops = 0
}

func (s *depthScanner) run() (int, int, bool) {
	for s.i < len(s.src) {
		at := s.i
		var deep bool
		if f := s.top(); f.kind == 'q' || f.kind == 'h' {
			for s.i < len(s.src) && plainTemplate[s.src[s.i]] && !(f.kind == 'h' && s.atLineStart()) {
				s.i++
			}
			if s.i == len(s.src) {
				break
			}
			at = s.i
			deep = s.template(f)
		} else {
			for s.i < len(s.src) && plainExpr[s.src[s.i]] {
				s.i++
			}
			if s.i == len(s.src) {
				break
			}
			at = s.i
			deep = s.expression()
		}
		if deep {
			line, col := position(s.src, at)
			return line, col, true
		}
	}
	return 0, 0, false
}

// expression scans one token-ish step outside templates.
func (s *depthScanner) expression() bool {
	c := s.src[s.i]
	switch {
	case c == '#' || c == '/' && s.at(1) == '/':
		s.skipTo([]byte("\n"), false)
	case c == '/' && s.at(1) == '*':
		s.advance(2)
		s.skipTo([]byte("*/"), true)
	case c == '"':
		s.advance(1)
		return s.push(frame{kind: 'q'})
	case c == '<' && s.at(1) == '<':
		if marker, n := s.heredocStart(); marker != nil {
			s.advance(n)
			return s.push(frame{kind: 'h', marker: marker})
		}
		s.advance(2)
		return s.addOps(2)
	case c == '{' || c == '[' || c == '(':
		s.advance(1)
		return s.push(frame{kind: c})
	case c == '}' || c == ']' || c == ')':
		s.pop()
		s.advance(1)
	case c == ',':
		s.resetOps()
		s.advance(1)
	case c == '\n':
		// A new line ends an attribute in a body or an item of an object;
		// inside parentheses, brackets and interpolations it does not.
		if f := s.top(); f.kind == '{' || f.kind == 0 {
			s.resetOps()
		}
		s.advance(1)
	case c == '!' || c == '-' || c == '+' || c == '*' || c == '/' || c == '%' || c == '<' || c == '>' || c == '&' || c == '|' || c == '?':
		s.advance(1)
		return s.addOps(1)
	default:
		s.advance(1)
	}
	return false
}

// template scans one step inside a quoted string or a heredoc.
func (s *depthScanner) template(f *frame) bool {
	c := s.src[s.i]
	if f.kind == 'h' && s.atLineStart() && s.heredocEnd(f.marker) {
		s.pop()
		return false
	}
	switch {
	case f.kind == 'q' && c == '\\':
		s.advance(2)
	case f.kind == 'q' && c == '"':
		s.pop()
		s.advance(1)
	case f.kind == 'q' && c == '\n':
		// Quoted strings end at the line; the parser reports the error.
		s.pop()
		s.advance(1)
	case (c == '$' || c == '%') && s.at(1) == c && s.at(2) == '{':
		s.advance(3) // an escaped "${" or "%{"
	case (c == '$' || c == '%') && s.at(1) == '{':
		if c == '%' {
			switch s.directive() {
			case "if", "for":
				if s.addOps(1) {
					return true
				}
			case "endif", "endfor":
				s.addOps(-1)
			}
		}
		s.advance(2)
		return s.push(frame{kind: 'I'})
	default:
		s.advance(1)
	}
	return false
}

// directive is the keyword of the template directive at s.i ("%{ if x }").
func (s *depthScanner) directive() string {
	j := s.i + 2
	for j < len(s.src) && (s.src[j] == '~' || s.src[j] == ' ' || s.src[j] == '\t') {
		j++
	}
	k := j
	for k < len(s.src) && s.src[k] >= 'a' && s.src[k] <= 'z' {
		k++
	}
	return string(s.src[j:k])
}

func (s *depthScanner) atLineStart() bool { return s.i == 0 || s.src[s.i-1] == '\n' }

// heredocStart recognizes "<<ID\n" or "<<-ID\n" at s.i and returns the
// marker and the length of the opener with its line end.
func (s *depthScanner) heredocStart() ([]byte, int) {
	j := s.i + 2
	if j < len(s.src) && s.src[j] == '-' {
		j++
	}
	start := j
	for j < len(s.src) && (isIdentByte(s.src[j]) || j > start && s.src[j] == '-') {
		j++
	}
	if j == start || j >= len(s.src) {
		return nil, 0
	}
	end := j
	if s.src[j] == '\r' {
		j++
	}
	if j >= len(s.src) || s.src[j] != '\n' {
		return nil, 0
	}
	return s.src[start:end], j + 1 - s.i
}

// heredocEnd consumes a line that closes the heredoc: optional blanks, the
// marker, optional blanks, the line end.
func (s *depthScanner) heredocEnd(marker []byte) bool {
	j := s.i
	for j < len(s.src) && (s.src[j] == ' ' || s.src[j] == '\t') {
		j++
	}
	if !bytes.HasPrefix(s.src[j:], marker) {
		return false
	}
	j += len(marker)
	if j < len(s.src) && isIdentByte(s.src[j]) {
		return false
	}
	s.advance(j - s.i)
	return true
}

func isIdentByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
}

// skipTo moves past the next occurrence of end (or to the end of src);
// with past false it stops before it.
func (s *depthScanner) skipTo(end []byte, past bool) {
	k := bytes.Index(s.src[s.i:], end)
	if k < 0 {
		s.advance(len(s.src) - s.i)
		return
	}
	if past {
		k += len(end)
	}
	s.advance(k)
}

// Package terminal makes text safe to print to a terminal: names, messages
// and logs may come from files, API callers or task output, and a control
// character in them (ESC, BEL, CR, a bidi override) could rewrite the screen
// or forge lines. They are shown as escapes instead.
package terminal

import (
	"fmt"
	"io"
	"unicode"
	"unicode/utf8"
)

// Escape returns s with every character that is not printable shown as an
// escape (\n, \x1b, \u202e); a byte that is not UTF-8 becomes \xNN. Use it
// for one-line values such as names, ids and messages in a table.
func Escape(s string) string { return escape(s, false) }

// EscapeLines is Escape that keeps line feeds and tabs, for text that is
// meant to span lines, such as an error message or a log.
func EscapeLines(s string) string { return escape(s, true) }

func escape(s string, lines bool) string {
	if safe(s, lines) {
		return s
	}
	b := make([]byte, 0, len(s)+16)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = fmt.Appendf(b, `\x%02x`, s[i])
		case printable(r, lines):
			b = append(b, s[i:i+size]...)
		default:
			b = appendEscape(b, r)
		}
		i += size
	}
	return string(b)
}

func safe(s string, lines bool) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			// Multi-byte text is checked rune by rune.
			for _, r := range s[i:] {
				if r == utf8.RuneError || !printable(r, lines) {
					return false
				}
			}
			return true
		}
		if !printable(rune(c), lines) {
			return false
		}
	}
	return true
}

func printable(r rune, lines bool) bool {
	if lines && (r == '\n' || r == '\t') {
		return true
	}
	// unicode.IsPrint leaves out control and format characters (bidi
	// overrides, zero-width joiners) and every space but U+0020.
	return unicode.IsPrint(r)
}

func appendEscape(b []byte, r rune) []byte {
	switch r {
	case '\a':
		return append(b, `\a`...)
	case '\b':
		return append(b, `\b`...)
	case '\f':
		return append(b, `\f`...)
	case '\n':
		return append(b, `\n`...)
	case '\r':
		return append(b, `\r`...)
	case '\t':
		return append(b, `\t`...)
	case '\v':
		return append(b, `\v`...)
	}
	switch {
	case r < 0x80:
		return fmt.Appendf(b, `\x%02x`, r)
	case r < 0x10000:
		return fmt.Appendf(b, `\u%04x`, r)
	}
	return fmt.Appendf(b, `\U%08x`, r)
}

// Writer escapes as EscapeLines everything written through it. Put it in
// front of a terminal so that nothing printed can act on the terminal,
// whatever forgot to escape its values.
type Writer struct {
	W io.Writer
	// pending holds the start of a UTF-8 sequence cut by a write boundary.
	pending []byte
}

// Write escapes p and writes it; it reports len(p) when the escaped text
// was written whole.
func (w *Writer) Write(p []byte) (int, error) {
	buf := append(w.pending, p...)
	w.pending = nil
	// Keep an incomplete trailing sequence for the next write.
	if cut := incompleteTail(buf); cut > 0 {
		w.pending = append([]byte(nil), buf[len(buf)-cut:]...)
		buf = buf[:len(buf)-cut]
	}
	if _, err := io.WriteString(w.W, EscapeLines(string(buf))); err != nil {
		return 0, err
	}
	return len(p), nil
}

// incompleteTail is the length of a UTF-8 sequence at the end of b that
// more bytes could complete, or 0.
func incompleteTail(b []byte) int {
	for n := 1; n <= 3 && n <= len(b); n++ {
		c := b[len(b)-n]
		if c < utf8.RuneSelf {
			return 0
		}
		if utf8.RuneStart(c) {
			if !utf8.FullRune(b[len(b)-n:]) {
				return n
			}
			return 0
		}
	}
	return 0
}

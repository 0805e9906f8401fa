package terminal

import (
	"strings"
	"testing"
)

func TestEscapeShowsControlCharactersAsEscapes(t *testing.T) {
	for in, want := range map[string]string{
		"daily-marketing":          "daily-marketing",
		"Adform - Campaigns":       "Adform - Campaigns",
		"Přehled tržeb":            "Přehled tržeb",
		"evil\x1b]0;owned\x07name": `evil\x1b]0;owned\aname`,
		"two\nlines\r":             `two\nlines\r`,
		"tab\there":                `tab\there`,
		"del\x7f c1\u0085":         `del\x7f c1\u0085`,
		"bidi\u202eexe.txt":        `bidi\u202eexe.txt`,
		"zero\u200bwidth":          `zero\u200bwidth`,
		"bad\xffutf8":              `bad\xffutf8`,
		"nbsp\u00a0":               `nbsp\u00a0`,
	} {
		if got := Escape(in); got != want {
			t.Errorf("Escape(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestEscapeLinesKeepsLineFeedsAndTabs(t *testing.T) {
	in := "line one\n\tline two \x1b[2J\r"
	want := "line one\n\tline two \\x1b[2J\\r"
	if got := EscapeLines(in); got != want {
		t.Errorf("EscapeLines(%q) = %q, want %q", in, got, want)
	}
}

func TestWriterEscapesAcrossWritesWithoutBreakingUTF8(t *testing.T) {
	var b strings.Builder
	w := &Writer{W: &b}
	text := []byte("ž\x1b[31mred\x1b[0m ok\n")
	for i := range text {
		if _, err := w.Write(text[i : i+1]); err != nil {
			t.Fatal(err)
		}
	}
	want := "ž\\x1b[31mred\\x1b[0m ok\n"
	if b.String() != want {
		t.Errorf("written %q, want %q", b.String(), want)
	}
}

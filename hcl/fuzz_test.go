package hcl

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse feeds arbitrary bytes to the decoder: it must never panic, and
// every diagnostic must point at a real place of the file.
func FuzzParse(f *testing.F) {
	for _, pattern := range []string{"../testdata/invalid/*.hcl", "../testdata/valid/*.hcl", "../examples/*/*.hcl", "../examples/*/*/*.hcl"} {
		paths, _ := filepath.Glob(pattern)
		for _, p := range paths {
			src, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(src)
		}
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		s, diags := Parse([]File{{Name: "fuzz.hcl", Src: src}})
		if s == nil {
			t.Fatal("Parse returned a nil spec")
		}
		lines := 1
		for _, c := range src {
			if c == '\n' {
				lines++
			}
		}
		for _, d := range diags {
			if d.File != "fuzz.hcl" || d.Line < 1 || d.Line > lines || d.Column < 1 {
				t.Fatalf("diagnostic at %s:%d:%d outside the file of %d lines: %s", d.File, d.Line, d.Column, lines, d.Message)
			}
		}
		if !diags.HasErrors() {
			if _, err := s.Objects(); err != nil {
				t.Fatalf("a valid spec does not encode: %v", err)
			}
		}
	})
}

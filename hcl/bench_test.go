package hcl

import (
	"path/filepath"
	"testing"
)

// BenchmarkValidate1000Files measures what `baton validate` does on a
// repository of 1000 orchestration files with 10 tasks each: read the
// directory, decode, validate. Goal: under 1 s.
func BenchmarkValidate1000Files(b *testing.B) {
	dir := b.TempDir()
	for i := 0; i < 1000; i++ {
		f := goodFile(i, 10)
		writeFile(b, filepath.Join(dir, f.Name), f.Src)
	}
	b.ResetTimer()
	for b.Loop() {
		files, err := LoadDir(dir)
		if err != nil {
			b.Fatal(err)
		}
		if _, diags := Parse(files); diags.HasErrors() {
			b.Fatalf("generated files are invalid: %v", diags)
		}
	}
}

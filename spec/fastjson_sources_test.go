package spec_test

import (
	"path/filepath"
	"testing"

	"github.com/baton-dev/baton/hcl"
	"github.com/baton-dev/baton/internal/benchrepo"
	"github.com/baton-dev/baton/spec"
)

// TestFastEncodingOfRealSources: every configuration and orchestration of
// the examples, the valid fixtures and the benchmark repository encodes to
// encoding/json's bytes.
func TestFastEncodingOfRealSources(t *testing.T) {
	var sets [][]hcl.File
	for _, dir := range []string{"../examples/quickstart", "../examples/marketing", "../testdata/valid"} {
		files, err := hcl.LoadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		sets = append(sets, files)
	}
	bench := t.TempDir()
	if err := benchrepo.Write(bench, 3); err != nil {
		t.Fatal(err)
	}
	files, err := hcl.LoadDir(bench)
	if err != nil {
		t.Fatal(err)
	}
	sets = append(sets, files)
	encoded := 0
	for _, files := range sets {
		s, diags := hcl.Parse(files)
		if diags.HasErrors() {
			t.Fatalf("%s: %v", filepath.Dir(files[0].Name), diags)
		}
		var values []any
		for _, c := range s.Configurations {
			values = append(values, c)
		}
		for _, o := range s.Orchestrations {
			values = append(values, o)
		}
		for _, v := range values {
			want, err := spec.CanonicalJSON(v)
			if err != nil {
				t.Fatal(err)
			}
			got, ok := spec.EncodeFast(v)
			if !ok || string(got) != string(want) {
				t.Errorf("fast encoding (ok=%v):\n%s\nwant\n%s", ok, got, want)
			}
			encoded++
		}
	}
	if encoded < 40 {
		t.Errorf("only %d objects compared", encoded)
	}
}

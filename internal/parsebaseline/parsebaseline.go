// Package parsebaseline is the parsing baseline of the benchmarks: every
// .hcl file below a directory read and run through hclsyntax.ParseConfig,
// one after another, and nothing else. scripts/parseloop runs it as its own
// process and BenchmarkApply1000Files beside the applies it measures, so
// both compare baton with the same work.
package parsebaseline

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	hclv2 "github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// Loop parses every .hcl file below dir in turn.
func Loop(dir string) error {
	return filepath.WalkDir(dir, func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() || !strings.HasSuffix(path, ".hcl") {
			return err
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if _, diags := hclsyntax.ParseConfig(src, path, hclv2.InitialPos); diags.HasErrors() {
			return diags
		}
		return nil
	})
}

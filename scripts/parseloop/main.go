// Command parseloop is the parsing baseline of make bench: it reads every
// .hcl file below a directory and runs hclsyntax.ParseConfig on each, one
// after another, and nothing else. It prints the seconds it took, start-up
// excluded.
package main

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	hclv2 "github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: parseloop DIR")
		os.Exit(2)
	}
	start := time.Now()
	err := filepath.WalkDir(os.Args[1], func(path string, e fs.DirEntry, err error) error {
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
	if err != nil {
		fmt.Fprintln(os.Stderr, "parseloop:", err)
		os.Exit(1)
	}
	fmt.Printf("%.6f\n", time.Since(start).Seconds())
}

// Package layout holds the test of which baton packages may import which:
// storage backends are wired only by the CLI, and the reconciler never
// runs jobs.
package layout

import (
	"go/build"
	"path/filepath"
	"strings"
	"testing"
)

const module = "github.com/baton-dev/baton/"

// deps returns every package of the module that pkg imports, directly or
// not, from its non-test files.
func deps(t *testing.T, root, pkg string, seen map[string]bool) {
	t.Helper()
	p, err := build.ImportDir(filepath.Join(root, strings.TrimPrefix(pkg, module)), 0)
	if err != nil {
		t.Fatalf("read %s: %v", pkg, err)
	}
	for _, imp := range p.Imports {
		if strings.HasPrefix(imp, module) && !seen[imp] {
			seen[imp] = true
			deps(t, root, imp, seen)
		}
	}
}

func TestImportRules(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	for _, rule := range []struct {
		pkg       string
		forbidden []string
	}{
		{"reconciler", []string{"executor", "controller", "state/sqlite", "state/postgres"}},
		{"executor", []string{"controller", "reconciler", "state/sqlite", "state/postgres"}},
		{"controller", []string{"state/sqlite", "state/postgres"}},
		{"server", []string{"state/sqlite", "state/postgres"}},
		{"notify", []string{"executor", "server", "state/sqlite", "state/postgres"}},
		{"state", []string{"state/sqlite", "state/postgres"}},
	} {
		seen := map[string]bool{}
		deps(t, root, module+rule.pkg, seen)
		for _, f := range rule.forbidden {
			if seen[module+f] {
				t.Errorf("%s imports %s", rule.pkg, f)
			}
		}
	}
}

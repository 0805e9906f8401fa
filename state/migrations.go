package state

import (
	"io/fs"
	"sort"
)

// Migrations reads a backend's embedded schema migrations (*.sql under
// dir) in name order: migration i brings the schema from version i to
// i+1. They are forward-only; a released one never changes. The files are
// part of the binary, so a failure to read them is a build error and
// panics.
func Migrations(fsys fs.FS, dir string) []string {
	names, err := fs.Glob(fsys, dir+"/*.sql")
	if err != nil {
		panic(err)
	}
	sort.Strings(names)
	out := make([]string, len(names))
	for i, n := range names {
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			panic(err)
		}
		out[i] = string(b)
	}
	return out
}

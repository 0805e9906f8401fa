// Package benchrepo writes the repository that baton's performance goals
// are measured on, so that the Go benchmarks and `make bench` time the same
// files.
package benchrepo

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// File returns the source of file i of the benchmark repository: 10
// configurations with nested parameters and one orchestration of 2 phases
// of 5 tasks with one schedule in a time zone.
func File(i int) string {
	var s strings.Builder
	for c := 0; c < 10; c++ {
		fmt.Fprintf(&s, `configuration "f%d_c%d" {
  command = ["true", "--n", "%d"]
  timeout = "30m"
  parameters = {
    batch_size = %d
    ratio      = %d.25
    enabled    = true
    source     = { bucket = "b-%d", prefix = "in/%d/", retries = [1, 2, 3] }
    columns    = ["id", "name", "value"]
  }
}
`, i, c, c, 100+c, c, i, c)
	}
	fmt.Fprintf(&s, "orchestration \"o%d\" {\n  schedule {\n    cron     = \"%d %d * * *\"\n    timezone = \"Europe/Prague\"\n  }\n", i, i%60, i%24)
	for p := 0; p < 2; p++ {
		fmt.Fprintf(&s, "  phase \"p%d\" {\n", p)
		for t := 0; t < 5; t++ {
			fmt.Fprintf(&s, "    task \"t%d\" {\n      configuration = \"f%d_c%d\"\n      parameters    = { shard = %d }\n    }\n", p*5+t, i, p*5+t, t)
		}
		s.WriteString("  }\n")
	}
	s.WriteString("}\n")
	return s.String()
}

// Write writes n files into dir as o/NNNN.hcl.
func Write(dir string, n int) error {
	if err := os.MkdirAll(filepath.Join(dir, "o"), 0o755); err != nil {
		return err
	}
	for i := 0; i < n; i++ {
		if err := os.WriteFile(filepath.Join(dir, "o", fmt.Sprintf("%04d.hcl", i)), []byte(File(i)), 0o644); err != nil {
			return err
		}
	}
	return nil
}

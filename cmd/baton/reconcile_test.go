package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/baton-dev/baton/state/sqlite"
)

// Issue 10 item 6: reconcile --once exits with a code a CI job can branch on.
func TestReconcileOnceExitCodesTellWhatHappened(t *testing.T) {
	const ok = `configuration "ok" { command = ["true"] }
configuration "bad" { command = ["false"] }
orchestration "fine" {
  phase "p" {
    task "t" { configuration = "ok" }
  }
}
orchestration "broken" {
  phase "p" {
    task "t" { configuration = "bad" }
  }
}
`
	for _, tc := range []struct {
		name   string
		files  string
		source string // default: the directory with files
		args   []string
		hold   bool // another executor holds the state
		want   int
		stderr string
	}{
		{name: "ok", files: ok, args: []string{"--run", "fine"}, want: 0},
		{name: "job failed", files: ok, args: []string{"--run", "broken"}, want: 1, stderr: "1 job(s) ended error"},
		{name: "refused", files: ok + "orchestration \"x\" {\n", want: 3},
		{name: "unavailable", files: ok, source: "file:///nonexistent/repo.git", want: 4, stderr: "could not be fetched"},
		{name: "busy", files: ok, args: []string{"--run", "fine"}, hold: true, want: 5, stderr: "holds"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			src := filepath.Join(dir, "src")
			if err := os.MkdirAll(src, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(src, "main.hcl"), []byte(tc.files), 0o644); err != nil {
				t.Fatal(err)
			}
			if tc.source == "" {
				tc.source = src
			}
			statePath := filepath.Join(dir, "state", "state.db")
			if tc.hold {
				st, err := sqlite.Open(context.Background(), statePath)
				if err != nil {
					t.Fatal(err)
				}
				defer st.Close()
				lease, err := st.AcquireExecutor(context.Background(), "pid 1 (test)")
				if err != nil {
					t.Fatal(err)
				}
				defer lease.Release()
			}
			var stdout, stderr bytes.Buffer
			args := append([]string{"--state", statePath, "--source", tc.source, "reconcile", "--once"}, tc.args...)
			if got := runWith(args, &stdout, &stderr); got != tc.want {
				t.Errorf("exit %d, want %d\n%s", got, tc.want, stderr.String())
			}
			if !strings.Contains(stderr.String(), tc.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tc.stderr, stderr.String())
			}
		})
	}
}

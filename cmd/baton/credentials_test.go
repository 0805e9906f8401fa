package main

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/baton-dev/baton/internal/gitrepotest"
)

// Issue 10 item 7: credentials given in a source URL or in BATON_GIT_TOKEN
// appear nowhere: not in any command's output or error, not in any file
// baton writes (the state, its WAL, the Git cache, job logs).
func TestGitCredentialsAppearNowhereInOutputOrState(t *testing.T) {
	const (
		secret      = "url-secret-5e1f"
		wrongSecret = "wrong-secret-77a"
		envSecret   = "env-secret-c0de"
	)
	repo := gitrepotest.New(t)
	repo.Commit("A", map[string]string{
		"configurations.hcl": `configuration "extract" { command = ["true"] }`,
		"daily.hcl": `orchestration "daily" {
  schedule { cron = "0 6 * * *" }
  phase "p" {
    task "t" { configuration = "extract" }
  }
}
`,
	})
	u := repo.ServeHTTP(t, "ci-bot", secret)
	dir := t.TempDir()
	statePath := filepath.Join(dir, "state", "state.db")
	withCreds := strings.Replace(u, "://", "://ci-bot:"+secret+"@", 1)
	wrongCreds := strings.Replace(u, "://", "://ci-bot:"+wrongSecret+"@", 1)
	var out bytes.Buffer
	baton := func(want int, args ...string) {
		t.Helper()
		var stdout, stderr bytes.Buffer
		got := runWith(append([]string{"--state", statePath}, args...), &stdout, &stderr)
		out.Write(stdout.Bytes())
		out.Write(stderr.Bytes())
		if got != want {
			t.Errorf("baton %s: exit %d, want %d\n%s%s", strings.Join(args, " "), got, want, stdout.String(), stderr.String())
		}
	}
	baton(0, "--source", withCreds, "plan")
	baton(0, "--source", withCreds, "plan", "--format", "json")
	baton(0, "--source", withCreds, "plan", "--format", "markdown")
	baton(0, "--source", withCreds, "apply")
	baton(0, "--source", withCreds, "reconcile", "--once", "--run", "daily")
	baton(0, "revisions", "--json")
	baton(0, "jobs", "--json")
	baton(4, "--source", wrongCreds, "reconcile", "--once")
	baton(1, "--source", wrongCreds, "plan")
	t.Setenv("BATON_GIT_TOKEN", envSecret)
	t.Setenv("BATON_GIT_USER", "someone-else")
	baton(1, "--source", u, "plan", "--format", "json")
	baton(0, "revisions", "--json")

	if !strings.Contains(out.String(), "authentication failed for "+u+" (check BATON_GIT_TOKEN)") {
		t.Errorf("a refused login does not say what to check:\n%s", out.String())
	}
	for _, s := range []string{secret, wrongSecret, envSecret} {
		if strings.Contains(out.String(), s) {
			t.Errorf("output shows %q:\n%s", s, out.String())
		}
	}
	files := 0
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		for _, s := range []string{secret, wrongSecret, envSecret} {
			if bytes.Contains(b, []byte(s)) {
				t.Errorf("%s holds %q", path, s)
			}
		}
		return nil
	})
	if err != nil || files < 3 {
		t.Fatalf("walked %d files: %v", files, err)
	}
}

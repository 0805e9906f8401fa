package gitrepotest

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Git runs the real git in dir, for the shapes of checkout CI systems make.
func Git(t testing.TB, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(cmd.Environ(), "GIT_CONFIG_NOSYSTEM=1", "HOME="+t.TempDir(),
		"GIT_AUTHOR_NAME=ci", "GIT_AUTHOR_EMAIL=ci@example.com", "GIT_COMMITTER_NAME=ci", "GIT_COMMITTER_EMAIL=ci@example.com")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// ShallowMergeCheckout builds the checkout CI gives a pull request, as
// actions/checkout makes it: the merge of branch pr into main, published as
// refs/pull/1/merge, fetched at depth 1 from originURL into a new
// repository and checked out detached. With withBase, origin/main is
// fetched at depth 1 too. It returns the checkout's directory.
func (r *Repo) ShallowMergeCheckout(t testing.TB, originURL, pr string, withBase bool) string {
	t.Helper()
	Git(t, r.Dir, "checkout", "-q", "--detach", "main")
	Git(t, r.Dir, "merge", "-q", "--no-ff", "-m", "Merge "+pr+" into main", pr)
	Git(t, r.Dir, "update-ref", "refs/pull/1/merge", "HEAD")
	Git(t, r.Dir, "checkout", "-q", "main")
	co := filepath.Join(t.TempDir(), "checkout")
	Git(t, filepath.Dir(co), "init", "-q", co)
	Git(t, co, "remote", "add", "origin", originURL)
	Git(t, co, "fetch", "-q", "--no-tags", "--depth=1", "origin", "+refs/pull/1/merge:refs/remotes/pull/1/merge")
	if withBase {
		Git(t, co, "fetch", "-q", "--no-tags", "--depth=1", "origin", "+refs/heads/main:refs/remotes/origin/main")
	}
	Git(t, co, "checkout", "-q", "--detach", "refs/remotes/pull/1/merge")
	return co
}

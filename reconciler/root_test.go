package reconciler

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/baton-dev/baton/internal/gitrepotest"
)

// TestRootOfACommitNeverFetchedFetchesIt: a node that stood by while
// another applied a revision has no clone yet; asked for that revision's
// files (to run a task of it), it fetches them.
func TestRootOfACommitNeverFetchedFetchesIt(t *testing.T) {
	repo := gitrepotest.New(t)
	ref := repo.Commit("first", map[string]string{"baton.hcl": "# nothing\n", "scripts/run.sh": "echo hi\n"})
	src, err := Open(Options{Location: repo.ServeHTTP(t, "", ""), CacheDir: filepath.Join(t.TempDir(), "cache")})
	if err != nil {
		t.Fatal(err)
	}
	root, err := src.Root(context.Background(), ref)
	if err != nil {
		t.Fatalf("Root of a commit never fetched: %v", err)
	}
	b, err := os.ReadFile(filepath.Join(root, "scripts", "run.sh"))
	if err != nil || string(b) != "echo hi\n" {
		t.Fatalf("scripts/run.sh in the root = %q %v", b, err)
	}
}

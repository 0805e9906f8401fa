package executor

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/baton-dev/baton/proctree"
)

// TestTaskStdinIsEmpty: a task that reads its stdin sees the end at once,
// for every task in turn (they share one /dev/null), with either runner.
func TestTaskStdinIsEmpty(t *testing.T) {
	group := fmt.Sprintf("baton-stdin-test-%d", os.Getpid())
	t.Cleanup(proctree.Keep(group))
	for _, r := range runners {
		t.Run(r.name, func(t *testing.T) {
			for i := range 3 {
				var log bytes.Buffer // Wait returns after the output was copied
				p, err := r.runner.Start(context.Background(), Command{
					Argv:  []string{"sh", "-c", "if read line; then echo got:$line; else echo eof; fi"},
					Dir:   t.TempDir(),
					Env:   []string{"PATH=/usr/bin:/bin"},
					Group: group,
					Key:   "stdin-test",
					Log:   &log,
				})
				if err != nil {
					t.Fatal(err)
				}
				code, err := p.Wait()
				if err != nil || code != 0 {
					t.Fatalf("run %d: exit %d, %v", i, code, err)
				}
				if got := log.String(); got != "eof\n" {
					t.Fatalf("run %d: output %q, want eof", i, got)
				}
			}
		})
	}
}

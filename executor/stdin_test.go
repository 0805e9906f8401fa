package executor

import (
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
	for _, r := range outputRunners {
		t.Run(r.name, func(t *testing.T) {
			for i := range 3 {
				if got := runScript(t, r.runner, group, "stdin-test", "if read line; then echo got:$line; else echo eof; fi"); got != "eof\n" {
					t.Fatalf("run %d: output %q, want eof", i, got)
				}
			}
		})
	}
}

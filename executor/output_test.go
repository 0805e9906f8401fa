package executor

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/baton-dev/baton/proctree"
)

// A task's output is its log whole and in order, up to what it wrote just
// before it exited (still in the pipe when its process ended), with either
// runner; also when a process it left behind wrote on after it and was
// killed at its end.
func TestTaskOutputIsKeptWholeUpToItsExit(t *testing.T) {
	group := fmt.Sprintf("baton-output-test-%d", os.Getpid())
	t.Cleanup(proctree.Keep(group))
	const size = 60000 // under a pipe's buffer: all of it may still be there at the exit
	want := strings.Repeat("x", size) + "end\n"
	scripts := map[string]string{
		"alone":                      fmt.Sprintf("head -c %d /dev/zero | tr '\\0' x; echo end", size),
		"with a process left behind": fmt.Sprintf("(sleep 30; echo late) & head -c %d /dev/zero | tr '\\0' x; echo end", size),
	}
	for _, r := range runners {
		for name, script := range scripts {
			t.Run(r.name+"/"+name, func(t *testing.T) {
				for i := range 10 {
					if got := runScript(t, r.runner, group, fmt.Sprintf("output-test-%d", i), script); got != want {
						t.Fatalf("run %d: %d bytes of output ending %q, want %d ending %q", i, len(got), got[max(0, len(got)-8):], len(want), want[len(want)-8:])
					}
				}
			})
		}
	}
}

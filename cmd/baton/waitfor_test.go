package main

import (
	"maps"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// waitforTimeout fails a scenario whose condition never holds; it is a
// fail-safe for a broken build, not a timing goal.
const waitforTimeout = 60 * time.Second

// waitforCommand is the scenarios' waitfor: it runs a command until it succeeds: the scenarios' one way to wait
// for something another process makes true (a job's status, a file, a
// process's exit), instead of a shell loop in each.
//
//	waitfor baton jobs show 3 --json     # until it exits 0
//	waitfor sh -c '[ -s $WORK/pid ]'
func waitforCommand(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: waitfor command [args...]")
	}
	deadline := time.Now().Add(waitforTimeout)
	for ts.Exec(args[0], args[1:]...) != nil {
		if time.Now().After(deadline) {
			ts.Fatalf("waitfor %s: still failing after %v", strings.Join(args, " "), waitforTimeout)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// scriptCommands are the custom commands of every scenario.
func scriptCommands() map[string]func(ts *testscript.TestScript, neg bool, args []string) {
	cmds := maps.Clone(notifyCommands)
	cmds["waitfor"] = waitforCommand
	return cmds
}

package main

import (
	"strings"
	"testing"
	"time"

	"github.com/baton-dev/baton/state"
)

// TestJobViewsEscapeControlCharacters prints a job whose names and messages
// hold terminal controls (as a state written before names had a character
// set could): nothing raw reaches the output and no line is forged.
func TestJobViewsEscapeControlCharacters(t *testing.T) {
	evil := "x\x1b]0;owned\x07\nFORGED\r\u202e"
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	task := state.Job{ID: 2, Kind: state.KindTaskJob, Orchestration: evil, Phase: evil, Task: evil, Status: state.JobError,
		StartedAt: now, FinishedAt: now.Add(time.Second), Message: evil}
	job := state.Job{ID: 1, Kind: state.KindOrchestrationJob, Orchestration: evil, Status: state.JobError, Trigger: "api",
		TriggeredBy: evil, Revision: evil, Message: evil, CreatedAt: now, StartedAt: now, FinishedAt: now.Add(time.Second),
		Tasks: []state.Job{task}}

	var b strings.Builder
	showJob(&b, job)
	newProgress(&b).update(job)
	writeSummary(&b, job)
	out := b.String()
	for _, raw := range []string{"\x1b", "\x07", "\r", "\u202e"} {
		if strings.Contains(out, raw) {
			t.Errorf("output holds %q raw:\n%s", raw, out)
		}
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "FORGED") {
			t.Errorf("a name forged a line of its own:\n%s", out)
		}
	}
	if !strings.Contains(out, `x\x1b]0;owned\a\nFORGED\r\u202e`) {
		t.Errorf("output does not show the name escaped:\n%s", out)
	}
}

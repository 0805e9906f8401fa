// Package waitfor waits in tests for a condition that another goroutine or
// process makes true, such as a job reaching a status. It polls with a
// deadline that only fails a broken build, never a slow machine.
package waitfor

import (
	"testing"
	"time"
)

// Timeout is how long Cond waits before it fails the test.
const Timeout = 60 * time.Second

// Cond polls cond until it holds, and fails the test (naming what it
// waited for) if it does not within Timeout.
func Cond(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(Timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", Timeout, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

package sqlite

import (
	"context"
	"os"
	"testing"
	"time"
)

// TestWakeReachesAWatchAfterTheWakeFileWasRemoved: the watch is on the
// wake file itself, so removing the file (by hand, or a clean-up of the
// state's directory) must not leave the executor deaf to wake-ups.
func TestWakeReachesAWatchAfterTheWakeFileWasRemoved(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	cli, err := Open(ctx, s.path)
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	wake, stop, err := s.WatchWake(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	receive := func(what string) {
		t.Helper()
		select {
		case <-wake:
		case <-time.After(30 * time.Second):
			t.Fatalf("no wake-up within 30 s of %s", what)
		}
	}
	if err := os.Remove(s.wakePath); err != nil {
		t.Fatal(err)
	}
	// The watcher looks once when the file goes, and watches it anew.
	receive("the removal of the wake file")
	if _, err := os.Stat(s.wakePath); err != nil {
		t.Fatalf("the wake file was not made again: %v", err)
	}
	if err := cli.Wake(ctx); err != nil {
		t.Fatal(err)
	}
	receive("Wake after the wake file was made again")
}

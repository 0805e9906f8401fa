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

// inotifyFDs counts the inotify instances this process has open.
func inotifyFDs(t *testing.T) int {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd:", err)
	}
	n := 0
	for _, fd := range fds {
		if target, err := os.Readlink("/proc/self/fd/" + fd.Name()); err == nil && target == "anon_inode:inotify" {
			n++
		}
	}
	return n
}

// TestCloseWaitsForTheWakeWatchesToClose: stopping a watch returns at once
// (closing it waits in the kernel), and Close returns only once every
// watch is closed: those stopped before, and those left open, which it
// stops.
func TestCloseWaitsForTheWakeWatchesToClose(t *testing.T) {
	ctx := context.Background()
	before := inotifyFDs(t)
	s, err := Open(ctx, t.TempDir()+"/state.db")
	if err != nil {
		t.Fatal(err)
	}
	_, stop, err := s.WatchWake(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.WatchWake(ctx); err != nil { // left open
		t.Fatal(err)
	}
	if got := inotifyFDs(t); got != before+2 {
		t.Fatalf("%d inotify instances open with two watches, want %d", got, before+2)
	}
	stop()
	stop() // a second stop does nothing
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if got := inotifyFDs(t); got != before {
		t.Errorf("%d inotify instances open after Close, want %d as before", got, before)
	}
}

package controller

import (
	"os"
	"slices"
	"sync"
	"testing"
)

// fetchLog records the fetch outcomes the controller reports.
type fetchLog struct {
	mu       sync.Mutex
	outcomes []bool
}

func (l *fetchLog) SourceFetched(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.outcomes = append(l.outcomes, err == nil)
}

func (l *fetchLog) list() []bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.outcomes)
}

// Every poll reports its fetch: ok while the remote is there, an error
// while it is gone, ok again once it is back.
func TestObserverHearsEachFetchOutcome(t *testing.T) {
	f := newFixture(t)
	rig := startWatch(t, f)
	if err := <-rig.reconciled; err != nil {
		t.Fatalf("first reconcile: %v", err)
	}
	away := f.repo.Dir + ".away"
	if err := os.Rename(f.repo.Dir, away); err != nil {
		t.Fatal(err)
	}
	if err := rig.poll(); err == nil {
		t.Fatal("a poll of a missing remote succeeded")
	}
	if err := os.Rename(away, f.repo.Dir); err != nil {
		t.Fatal(err)
	}
	if err := rig.poll(); err != nil {
		t.Fatalf("a poll of the restored remote: %v", err)
	}
	if got, want := rig.fetches.list(), []bool{true, false, true}; !slices.Equal(got, want) {
		t.Errorf("fetch outcomes (true = ok) = %v, want %v", got, want)
	}
}

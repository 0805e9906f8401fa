package hcl

import (
	"runtime/debug"
	"sync"
	"testing"
)

// TestParseRestoresTheCollectorSettings: the collector settings a parse
// relaxes are the process's again once every overlapping parse ended, and
// a parse honours a smaller memory limit the process already had.
func TestParseRestoresTheCollectorSettings(t *testing.T) {
	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	prevPercent := debug.SetGCPercent(100)
	prevLimit := debug.SetMemoryLimit(32 << 20)
	defer func() {
		debug.SetGCPercent(prevPercent)
		debug.SetMemoryLimit(prevLimit)
	}()
	restore := relaxGC(1 << 30)
	if got := debug.SetMemoryLimit(-1); got != 32<<20 {
		t.Errorf("memory limit while parsing = %d, want the process's smaller 32 MiB kept", got)
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if _, diags := Parse([]File{{Name: "a.hcl", Src: []byte(`configuration "c" { command = ["true"] }`)}}); diags.HasErrors() {
				t.Errorf("parse: %v", diags)
			}
		})
	}
	wg.Wait()
	if got := debug.SetGCPercent(parseGCPercent); got != parseGCPercent {
		t.Errorf("GC percent while a parse still runs = %d, want %d", got, parseGCPercent)
	}
	restore()
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("GC percent after every parse ended = %d, want the process's 100", got)
	}
	if got := debug.SetMemoryLimit(-1); got != 32<<20 {
		t.Errorf("memory limit after every parse ended = %d, want the process's 32 MiB", got)
	}
}

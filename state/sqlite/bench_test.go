package sqlite

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/baton-dev/baton/spec"
	"github.com/baton-dev/baton/state"
)

// benchObjects is a revision of n objects of about 400 bytes each.
func benchObjects(n int) []spec.Object {
	objs := make([]spec.Object, n)
	for i := range objs {
		js := fmt.Sprintf(`{"name":"c%06d","command":["true","--n","%d"],"parameters":{"x":%s}}`, i, i, strings.Repeat("1", 300))
		sum := sha256.Sum256([]byte(js))
		objs[i] = spec.Object{Kind: spec.KindConfiguration, Name: fmt.Sprintf("c%06d", i), JSON: []byte(js), Hash: hex.EncodeToString(sum[:])}
	}
	return objs
}

// BenchmarkApplyRevision11000 records a first revision of 11000 objects
// (the size of the 1000-file benchmark repository) in a fresh state.
func BenchmarkApplyRevision11000(b *testing.B) {
	objs := benchObjects(11000)
	var cpu time.Duration
	for b.Loop() {
		b.StopTimer()
		s, err := Open(context.Background(), filepath.Join(b.TempDir(), "state.db"))
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		c0 := cpuTime()
		if _, err := s.ApplyRevision(context.Background(), state.Revision{Ref: "r1", AppliedAt: time.Now()}, objs); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		cpu += cpuTime() - c0
		s.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(cpu.Milliseconds())/float64(b.N), "cpu-ms/op")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

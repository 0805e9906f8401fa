package hcl

import (
	"math"
	"os"
	"runtime/debug"
	"sync"
)

// Parsing allocates many short-lived syntax nodes. With the collector's
// default of a collection at every doubling of the heap, a cold parse of a
// big source spent about a quarter of its time collecting (mostly in
// allocation assists). While files are parsed, the heap may grow to four
// times its live size instead, within a soft memory limit scaled to the
// source, which keeps the peak near what the default gives.
const (
	parseGCPercent = 300
	// parseLimitPerByte and parseLimitMin size the soft limit: a source
	// decodes into at most about this many bytes of heap per byte.
	parseLimitPerByte = 20
	parseLimitMin     = 64 << 20
)

var relaxed struct {
	sync.Mutex
	users   int
	percent int
	limit   int64
}

// relaxGC applies the parse's collector settings for a source of srcBytes
// and returns the function that restores them; parses that overlap share
// them, and the last one restores. Settings from GOGC or GOMEMLIMIT are
// the operator's and are left alone.
func relaxGC(srcBytes int) func() {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return func() {}
	}
	relaxed.Lock()
	defer relaxed.Unlock()
	relaxed.users++
	if relaxed.users == 1 {
		relaxed.limit = debug.SetMemoryLimit(-1)
		relaxed.percent = debug.SetGCPercent(parseGCPercent)
		limit := max(int64(parseLimitMin), int64(srcBytes)*parseLimitPerByte)
		if relaxed.limit < math.MaxInt64 {
			limit = min(limit, relaxed.limit)
		}
		debug.SetMemoryLimit(limit)
	}
	return func() {
		relaxed.Lock()
		defer relaxed.Unlock()
		relaxed.users--
		if relaxed.users == 0 {
			debug.SetGCPercent(relaxed.percent)
			debug.SetMemoryLimit(relaxed.limit)
		}
	}
}

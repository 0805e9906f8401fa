package executor

import (
	"fmt"
	"strings"
	"testing"

	"github.com/baton-dev/baton/state"
)

// BenchmarkWidePhase runs 1000 tasks of /bin/true in one phase, two at a
// time: the executor's overhead per task on top of fork and exec.
func BenchmarkWidePhase(b *testing.B) {
	benchOrchestration(b, 1000, 1)
}

// BenchmarkDeepPhases runs 100 phases of one task: the phase-to-phase cost.
func BenchmarkDeepPhases(b *testing.B) {
	benchOrchestration(b, 1, 100)
}

func benchOrchestration(b *testing.B, width, depth int) {
	var s strings.Builder
	s.WriteString("project { max_parallel_jobs = 2 }\n")
	for i := 0; i < width; i++ {
		fmt.Fprintf(&s, "configuration \"c%d\" { command = [\"/bin/true\"] }\n", i)
	}
	s.WriteString("orchestration \"o\" {\n")
	for p := 0; p < depth; p++ {
		fmt.Fprintf(&s, "  phase \"p%d\" {\n", p)
		for i := 0; i < width; i++ {
			fmt.Fprintf(&s, "    task \"t%d-%d\" { configuration = \"c%d\" }\n", p, i, i)
		}
		s.WriteString("  }\n")
	}
	s.WriteString("}\n")
	e := newEnv(b, s.String())
	b.ResetTimer()
	for b.Loop() {
		j := e.submit(Request{Orchestration: "o"})
		e.runIdle()
		if got := e.job(j.ID); got.Status != state.JobSuccess {
			b.Fatalf("job = %s", got.Status)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*width*depth), "µs/task")
}

package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/baton-dev/baton/spec"
	"github.com/baton-dev/baton/state"
)

func TestCronInWords(t *testing.T) {
	for expr, want := range map[string]string{
		"30 6 * * 1-5":  "at 06:30 on Monday–Friday",
		"0 7 * * *":     "at 07:00 every day",
		"*/15 * * * *":  "every 15 minutes every day",
		"5 * * * 0,6":   "every hour at minute 5 on Sunday, Saturday",
		"0 3 1 * *":     "at 03:00 on day 1 of the month",
		"0 0 1 1 *":     "at 00:00 on day 1 of the month in January",
		"@daily":        "every day at 00:00",
		"@every 90s":    "every 90s",
		"1-5/2 3 * * *": "cron 1-5/2 3 * * *",
	} {
		if got := cronWords(expr); got != want {
			t.Errorf("cronWords(%q) = %q, want %q", expr, got, want)
		}
	}
}

func at(s int) time.Time { return time.Date(2026, 3, 2, 9, 0, s, 0, time.UTC) }

// A phase's tasks run side by side; a task that waited for its
// configuration gets a waiting segment from the phase's start to its own;
// the next phase starts where the last task of the previous one ended.
func TestGanttLaysOutPhasesWaitsAndRuns(t *testing.T) {
	task := func(phase, ti int, name string, start, end int) state.Job {
		return state.Job{Kind: state.KindTaskJob, Phase: []string{"extract", "load"}[phase], PhaseIndex: phase, TaskIndex: ti, Task: name,
			Status: state.JobSuccess, StartedAt: at(start), FinishedAt: at(end)}
	}
	job := state.Job{Kind: state.KindOrchestrationJob, Status: state.JobSuccess, CreatedAt: at(0), StartedAt: at(0), FinishedAt: at(40),
		Tasks: []state.Job{task(1, 0, "d", 30, 40), task(0, 0, "a", 0, 10), task(0, 1, "b", 0, 20), task(0, 2, "c", 10, 30)}}
	g := layoutGantt(job, at(100))
	var order []string
	rows := map[string]ganttRow{}
	for _, r := range g.Rows {
		if r.Phase != "" {
			order = append(order, "phase:"+r.Phase)
			continue
		}
		order = append(order, r.Task)
		rows[r.Task] = r
	}
	if got := strings.Join(order, " "); got != "phase:extract a b c phase:load d" {
		t.Fatalf("rows %s", got)
	}
	a, b, c, d := rows["a"], rows["b"], rows["c"], rows["d"]
	if a.Run.X != b.Run.X || a.Wait != nil || b.Wait != nil {
		t.Errorf("a and b started together without waiting: %+v %+v", a.Run, b.Run)
	}
	if c.Wait == nil || c.Wait.X != a.Run.X || c.Wait.X+c.Wait.W != c.Run.X {
		t.Errorf("c waited from the phase's start to its own: wait %+v run %+v", c.Wait, c.Run)
	}
	if d.Wait != nil || d.Run.X < c.Run.X+c.Run.W-0.01 {
		t.Errorf("d of the next phase: wait %+v run %+v, c ends at %.1f", d.Wait, d.Run, c.Run.X+c.Run.W)
	}
	if end := d.Run.X + d.Run.W; end > ganttWidth-ganttRight+0.01 {
		t.Errorf("the last bar ends at %.1f, past the chart", end)
	}
}

func TestGanttEscapesTaskNames(t *testing.T) {
	job := state.Job{Kind: state.KindOrchestrationJob, Status: state.JobProcessing, CreatedAt: at(0), StartedAt: at(0),
		Tasks: []state.Job{{Kind: state.KindTaskJob, Phase: `<b>p</b>`, Task: `<script>alert(1)</script>"`, Status: state.JobProcessing, StartedAt: at(1)}}}
	svg := string(layoutGantt(job, at(5)).SVG())
	if strings.Contains(svg, "<script>") || strings.Contains(svg, "<b>") || strings.Contains(svg, `</script>"`) {
		t.Fatalf("the timeline lets markup through:\n%s", svg)
	}
	if !strings.Contains(svg, "&lt;script&gt;alert(1)&lt;/script&gt;&#34;") {
		t.Fatalf("the task name is not shown escaped:\n%s", svg)
	}
}

// Two runs that would overlap and share a configuration are marked; runs
// that overlap without sharing one, or share one without overlapping, are
// not.
func TestWeekAheadMarksRunsThatWouldWait(t *testing.T) {
	mk := func(name string, configs ...string) *spec.Orchestration {
		var tasks []spec.Task
		for _, c := range configs {
			tasks = append(tasks, spec.Task{Name: c, Configuration: c, Enabled: true})
		}
		return &spec.Orchestration{Name: name, Phases: []spec.Phase{{Name: "p", Tasks: tasks}}}
	}
	keys := map[string][]string{"a": serialKeys(mk("a", "shared", "x")), "b": serialKeys(mk("b", "shared")), "c": serialKeys(mk("c", "y"))}
	fires := []*weekFire{
		{Orchestration: "a", At: at(0), Expected: 10 * time.Minute},
		{Orchestration: "c", At: at(60), Expected: time.Minute},
		{Orchestration: "b", At: at(120), Expected: time.Minute},
		{Orchestration: "b", At: at(0).Add(time.Hour), Expected: time.Minute},
	}
	markWaits(fires, keys)
	if len(fires[0].Waits) != 1 || !strings.Contains(fires[0].Waits[0], "b at") || !strings.Contains(fires[0].Waits[0], "configuration shared") {
		t.Errorf("a's run: %v", fires[0].Waits)
	}
	if len(fires[1].Waits) != 0 || len(fires[3].Waits) != 0 {
		t.Errorf("c (no shared configuration) %v, b an hour later %v: neither waits", fires[1].Waits, fires[3].Waits)
	}
	if len(fires[2].Waits) != 1 {
		t.Errorf("b's first run: %v", fires[2].Waits)
	}
}

func TestMedianIsTheMiddleDuration(t *testing.T) {
	if got := median([]time.Duration{5, 1, 3}); got != 3 {
		t.Errorf("median = %v", got)
	}
	if got := median(nil); got != 0 {
		t.Errorf("median of nothing = %v", got)
	}
}

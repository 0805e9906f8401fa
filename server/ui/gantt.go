package ui

import (
	"fmt"
	"slices"
	"time"

	"github.com/baton-dev/baton/state"
)

// Gantt geometry, in SVG user units.
const (
	ganttWidth  = 1000.0
	ganttLabel  = 230.0 // left column of names
	ganttRight  = 110.0 // right margin for the status text
	ganttRowH   = 22.0
	ganttBar    = 14.0
	ganttAxis   = 26.0
	ganttMinBar = 2.0
)

// gantt is a job's timeline laid out for the template: one row per task,
// grouped under a row per phase, with a waiting and a running segment.
type gantt struct {
	Height float64
	Start  time.Time
	End    time.Time
	Ticks  []ganttTick
	Rows   []ganttRow
}

type ganttTick struct {
	X     float64
	Label string
}

type ganttSegment struct {
	X, W       float64
	Start, End time.Time
}

type ganttRow struct {
	Y float64
	// Phase is set on a phase's heading row.
	Phase  string
	Task   string
	JobID  state.JobID
	Status state.JobStatus
	// Wait is the time the task was ready but had not started (a busy
	// configuration or no free process slot); Run is its process's life.
	Wait, Run *ganttSegment
	TextX     float64
	Duration  string
}

// BarY is the top of the row's bars.
func (r ganttRow) BarY() float64 { return r.Y + (ganttRowH-ganttBar)/2 }

// TextY is the baseline of the row's text.
func (r ganttRow) TextY() float64 { return r.Y + ganttRowH/2 + 4 }

// layoutGantt lays out an orchestration job's tasks on one time axis that
// runs from the job's creation to its end (or now while it runs).
func layoutGantt(job state.Job, now time.Time) gantt {
	g := gantt{Start: job.CreatedAt, End: job.FinishedAt}
	if g.End.IsZero() || g.End.After(now) && !job.Status.Terminal() {
		g.End = now
	}
	for _, t := range job.Tasks {
		if t.FinishedAt.After(g.End) {
			g.End = t.FinishedAt
		}
		if !t.StartedAt.IsZero() && t.StartedAt.Before(g.Start) {
			g.Start = t.StartedAt
		}
	}
	if !g.End.After(g.Start) {
		g.End = g.Start.Add(time.Second)
	}
	span := g.End.Sub(g.Start)
	chart := ganttWidth - ganttLabel - ganttRight
	x := func(t time.Time) float64 { return ganttLabel + chart*float64(t.Sub(g.Start))/float64(span) }
	segment := func(from, to time.Time) *ganttSegment {
		if from.IsZero() || to.Before(from) {
			return nil
		}
		s := &ganttSegment{X: x(from), Start: from, End: to}
		s.W = max(x(to)-s.X, ganttMinBar)
		return s
	}
	for i := range 5 {
		at := g.Start.Add(span * time.Duration(i) / 4)
		g.Ticks = append(g.Ticks, ganttTick{X: x(at), Label: "+" + shortDuration(at.Sub(g.Start))})
	}

	tasks := slices.Clone(job.Tasks)
	slices.SortStableFunc(tasks, func(a, b state.Job) int {
		if a.PhaseIndex != b.PhaseIndex {
			return a.PhaseIndex - b.PhaseIndex
		}
		return a.TaskIndex - b.TaskIndex
	})
	y := ganttAxis
	ready := job.StartedAt // when the current phase could start
	phaseEnd := time.Time{}
	for i, t := range tasks {
		if i == 0 || t.PhaseIndex != tasks[i-1].PhaseIndex {
			if i > 0 && !phaseEnd.IsZero() {
				ready = phaseEnd
			}
			phaseEnd = time.Time{}
			g.Rows = append(g.Rows, ganttRow{Y: y, Phase: t.Phase})
			y += ganttRowH
		}
		row := ganttRow{Y: y, Task: t.Task, JobID: t.ID, Status: t.Status}
		end := t.FinishedAt
		if end.IsZero() && !t.StartedAt.IsZero() {
			end = now
		}
		switch {
		case !t.StartedAt.IsZero():
			if !ready.IsZero() && t.StartedAt.After(ready) {
				row.Wait = segment(ready, t.StartedAt)
			}
			row.Run = segment(t.StartedAt, end)
			row.Duration = shortDuration(end.Sub(t.StartedAt))
		case t.Status == state.JobWaiting && !ready.IsZero():
			row.Wait = segment(ready, now)
		}
		if end.After(phaseEnd) {
			phaseEnd = end
		}
		row.TextX = ganttLabel + chart + 6
		g.Rows = append(g.Rows, row)
		y += ganttRowH
	}
	g.Height = y + 4
	return g
}

// shortDuration prints a duration the way people read it on a chart.
func shortDuration(d time.Duration) string {
	switch {
	case d < 0:
		return "0s"
	case d < time.Second:
		return fmt.Sprintf("%dms", d.Milliseconds())
	case d < time.Minute:
		return fmt.Sprintf("%.1fs", d.Seconds())
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	}
	return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
}

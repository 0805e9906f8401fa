package ui

import (
	"fmt"
	"html"
	"html/template"
	"strings"
	"time"
)

// svg draws the timeline. It is written in Go rather than in a template
// because a job of a thousand tasks has tens of thousands of attributes;
// every text it writes goes through html.EscapeString.
func (g gantt) SVG() template.HTML {
	var b strings.Builder
	b.Grow(256 * (len(g.Rows) + 8))
	esc := html.EscapeString
	fmt.Fprintf(&b, `<svg class="gantt" id="gantt" viewBox="0 0 1000 %.1f" width="1000" height="%.1f" role="img" aria-labelledby="gantt-title" data-start="%s" data-end="%s">`,
		g.Height, g.Height, rfc(g.Start), rfc(g.End))
	fmt.Fprintf(&b, `<title id="gantt-title">Timeline of the job's tasks by phase, from %s to %s</title>`, esc(formatTime(g.Start)), esc(formatTime(g.End)))
	for _, t := range g.Ticks {
		fmt.Fprintf(&b, `<line class="tick" x1="%.1f" x2="%.1f" y1="18" y2="%.1f"></line><text class="tick" x="%.1f" y="12">%s</text>`, t.X, t.X, g.Height, t.X, esc(t.Label))
	}
	for _, r := range g.Rows {
		if r.Phase != "" {
			fmt.Fprintf(&b, "\n"+`<text class="phase" x="4" y="%.1f">Phase %s</text>`, r.TextY(), esc(r.Phase))
			continue
		}
		st := esc(string(r.Status))
		fmt.Fprintf(&b, "\n"+`<g class="row" data-task="%s" data-status="%s"><text class="name" x="16" y="%.1f">%s</text>`, esc(r.Task), st, r.TextY(), esc(r.Task))
		if s := r.Wait; s != nil {
			fmt.Fprintf(&b, `<rect class="bar wait" x="%.1f" y="%.1f" width="%.1f" height="14" data-start="%s" data-end="%s"><title>waited %s</title></rect>`,
				s.X, r.BarY(), s.W, rfc(s.Start), rfc(s.End), esc(shortDuration(s.End.Sub(s.Start))))
		}
		if s := r.Run; s != nil {
			fmt.Fprintf(&b, `<rect class="bar run st-%s" x="%.1f" y="%.1f" width="%.1f" height="14" data-start="%s" data-end="%s"><title>ran %s, %s</title></rect>`,
				st, s.X, r.BarY(), s.W, rfc(s.Start), rfc(s.End), esc(shortDuration(s.End.Sub(s.Start))), st)
		}
		label := st
		if r.Duration != "" {
			label += " " + esc(r.Duration)
		}
		fmt.Fprintf(&b, `<text class="state" x="%.1f" y="%.1f">%s</text></g>`, r.TextX, r.TextY(), label)
	}
	b.WriteString("\n</svg>")
	return template.HTML(b.String())
}

func rfc(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

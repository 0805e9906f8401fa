package ui

import (
	"fmt"
	"html/template"
	"io/fs"
	"path"
	"strings"
	"time"

	"github.com/baton-dev/baton/state"
)

var funcs = template.FuncMap{
	"f1":  func(v float64) string { return fmt.Sprintf("%.1f", v) },
	"rfc": rfc,
	"ts":  formatTime,
	"dur": jobDuration,
	"in": func(t time.Time, zone string) string {
		loc, err := time.LoadLocation(zone)
		if err != nil {
			loc = time.UTC
		}
		return t.In(loc).Format("Mon 2006-01-02 15:04 MST")
	},
	"statusText": statusText,
	"short":      shortDuration,
	"join":       strings.Join,
	"picker":     retryPicker,
	"lane":       func(n int) string { return fmt.Sprintf("%d", 18+n*16) },
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

// jobDuration is how long a job ran, or has run until now.
func jobDuration(j state.Job, now time.Time) string {
	if j.StartedAt.IsZero() {
		return "—"
	}
	end := j.FinishedAt
	if end.IsZero() {
		end = now
	}
	return shortDuration(end.Sub(j.StartedAt))
}

// statusText is the words shown next to a status colour, so that no one
// depends on telling colours apart.
func statusText(s state.JobStatus) string {
	switch s {
	case state.JobSuccess:
		return "✓ success"
	case state.JobWarning:
		return "! warning"
	case state.JobError:
		return "✗ error"
	case state.JobCancelled:
		return "⊘ cancelled"
	case state.JobTerminated:
		return "✗ terminated"
	case state.JobSkipped:
		return "– skipped"
	case state.JobProcessing:
		return "▶ processing"
	case state.JobWaiting:
		return "⏸ waiting"
	case state.JobCreated:
		return "• created"
	}
	return string(s)
}

// parsePages parses every page template together with the layout.
func parsePages() (map[string]*template.Template, error) {
	layout, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/partials.html")
	if err != nil {
		return nil, fmt.Errorf("parse layout: %w", err)
	}
	files, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	pages := map[string]*template.Template{}
	for _, f := range files {
		name := strings.TrimSuffix(path.Base(f), ".html")
		if name == "layout" || name == "partials" {
			continue
		}
		t, err := template.Must(layout.Clone()).ParseFS(templateFS, f)
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", f, err)
		}
		pages[name] = t
	}
	return pages, nil
}

package main

import (
	"fmt"
	"io"
	"log/slog"

	"github.com/baton-dev/baton/redact"
)

// newLogger writes the log of a long-running command: text on a terminal,
// JSON lines otherwise (journald, files, collectors).
func newLogger(w io.Writer, format string) (*slog.Logger, error) {
	if format == "" {
		format = "json"
		if isTerminal(w) {
			format = "text"
		}
	}
	opts := &slog.HandlerOptions{ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
		// Errors of Git and HTTP libraries quote the URLs they failed on,
		// credentials and all.
		return redact.Attr(groups, durationsAsText(groups, a))
	}}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: use text or json", format)
}

// durationsAsText writes durations as "30s" rather than nanoseconds, which
// slog's JSON handler would print and nobody reads.
func durationsAsText(_ []string, a slog.Attr) slog.Attr {
	if a.Value.Kind() == slog.KindDuration {
		return slog.String(a.Key, a.Value.Duration().String())
	}
	return a
}

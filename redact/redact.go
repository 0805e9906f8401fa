// Package redact hides the secret parts of URLs before they reach a log, an
// error message or a terminal. Webhook services and Git hosts put secrets in
// URLs (user info, query values, webhook paths); baton prints what it must to
// locate a problem and nothing more.
package redact

import (
	"log/slog"
	"net/url"
	"regexp"
	"strings"
)

// Mask replaces every hidden part.
const Mask = "***"

// URL hides the user info (a password or a token given as user name) and
// every query value of raw, and drops its fragment; scheme, host and path
// stay, because they say which repository or service is meant. Text that
// does not parse as a URL with a host is returned masked whole when it looks
// like it carries credentials, else unchanged.
func URL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		if strings.Contains(raw, "@") && strings.Contains(raw, "://") {
			return Mask
		}
		return raw
	}
	return format(u, false)
}

// Webhook hides everything of raw but its scheme and host: webhook services
// (Slack, Teams, most others) put the secret in the path or the query.
func Webhook(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return Mask
	}
	return format(u, true)
}

func format(u *url.URL, hidePath bool) string {
	var b strings.Builder
	if u.Scheme != "" {
		b.WriteString(u.Scheme)
		b.WriteString("://")
	}
	if u.User != nil {
		b.WriteString(Mask)
		b.WriteByte('@')
	}
	b.WriteString(u.Host)
	if hidePath {
		if u.Path != "" && u.Path != "/" || u.RawQuery != "" {
			b.WriteString("/" + Mask)
		}
		return b.String()
	}
	b.WriteString(u.EscapedPath())
	if u.RawQuery != "" {
		b.WriteByte('?')
		b.WriteString(maskQuery(u.RawQuery))
	}
	return b.String()
}

// maskQuery keeps the keys of a query, in their order, and hides the values.
func maskQuery(q string) string {
	parts := strings.Split(q, "&")
	for i, p := range parts {
		if k, _, ok := strings.Cut(p, "="); ok {
			parts[i] = k + "=" + Mask
		}
	}
	return strings.Join(parts, "&")
}

// urlPattern finds URLs in free text: a scheme, "://" and everything up to
// white space or a quote.
var urlPattern = regexp.MustCompile(`[A-Za-z][A-Za-z0-9+.-]*://[^\s"'<>` + "`" + `]+`)

// Text redacts free text such as an error message from a library: every
// occurrence of one of webhooks is replaced as by Webhook, then every other
// URL in it as by URL.
func Text(s string, webhooks ...string) string {
	for _, w := range webhooks {
		if w == "" {
			continue
		}
		s = strings.ReplaceAll(s, w, Webhook(w))
		// Go's HTTP client quotes the URL it failed to reach; a URL with
		// escapes may appear in its escaped form.
		if u, err := url.Parse(w); err == nil && u.String() != w {
			s = strings.ReplaceAll(s, u.String(), Webhook(w))
		}
	}
	// URL leaves what it already redacted as it is.
	return urlPattern.ReplaceAllStringFunc(s, URL)
}

// Error is err's message redacted as by Text.
func Error(err error, webhooks ...string) string {
	if err == nil {
		return ""
	}
	return Text(err.Error(), webhooks...)
}

// Attr redacts the URLs in a log attribute's text, for use as
// slog.HandlerOptions.ReplaceAttr: whatever a library puts in an error, a
// log line never carries a URL's credentials or query values.
func Attr(_ []string, a slog.Attr) slog.Attr {
	switch a.Value.Kind() {
	case slog.KindString:
		if s := a.Value.String(); strings.Contains(s, "://") {
			a.Value = slog.StringValue(Text(s))
		}
	case slog.KindAny:
		if err, ok := a.Value.Any().(error); ok && strings.Contains(err.Error(), "://") {
			a.Value = slog.StringValue(Text(err.Error()))
		}
	}
	return a
}

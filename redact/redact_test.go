package redact

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
)

func TestURLHidesCredentialsAndQueryValues(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"https://user:s3cret@git.example.com/team/repo.git", "https://***@git.example.com/team/repo.git"},
		{"https://ghp_token@github.com/team/repo", "https://***@github.com/team/repo"},
		{"https://hooks.example.com/hook?token=abc&x=1#frag", "https://hooks.example.com/hook?token=***&x=***"},
		{"https://git.example.com/team/repo.git", "https://git.example.com/team/repo.git"},
		{"ssh://git@host:2222/repo.git", "ssh://***@host:2222/repo.git"},
		{"/srv/repos/project", "/srv/repos/project"},
		{"git@github.com:team/repo.git", "git@github.com:team/repo.git"},
	} {
		if got := URL(tc.in); got != tc.want {
			t.Errorf("URL(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestWebhookKeepsOnlySchemeAndHost(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"https://hooks.slack.com/services/T000/B000/XXXXSECRET", "https://hooks.slack.com/***"},
		{"https://example.com/hook?key=secret", "https://example.com/***"},
		{"https://u:p@example.com:8443/", "https://***@example.com:8443"},
		{"http://example.com", "http://example.com"},
		{"not a url", Mask},
	} {
		if got := Webhook(tc.in); got != tc.want {
			t.Errorf("Webhook(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestTextRedactsEveryURLOfAnErrorMessage(t *testing.T) {
	hook := "http://127.0.0.1:1/services/T1/B2/SECRETPATH?sig=SECRETQUERY"
	_, err := http.Post(hook, "application/json", strings.NewReader("{}"))
	if err == nil {
		t.Fatal("posting to a closed port succeeded")
	}
	err = fmt.Errorf("deliver to ops: %w; source https://bob:SECRETPASS@git.example.com/r.git?access_token=SECRETTOKEN", err)
	got := Error(err, hook)
	for _, secret := range []string{"SECRETPATH", "SECRETQUERY", "SECRETPASS", "SECRETTOKEN"} {
		if strings.Contains(got, secret) {
			t.Errorf("redacted text still holds %s: %s", secret, got)
		}
	}
	for _, kept := range []string{"127.0.0.1:1", "git.example.com/r.git", "deliver to ops"} {
		if !strings.Contains(got, kept) {
			t.Errorf("redacted text lost %q: %s", kept, got)
		}
	}
	if Error(nil) != "" {
		t.Error("Error(nil) is not empty")
	}
	if got := Error(errors.New("plain failure")); got != "plain failure" {
		t.Errorf("text without URLs changed: %q", got)
	}
}

func TestAttrRedactsLoggedErrorsAndStrings(t *testing.T) {
	var b strings.Builder
	log := slog.New(slog.NewJSONHandler(&b, &slog.HandlerOptions{ReplaceAttr: Attr}))
	log.Error("fetch failed", "error", errors.New(`fetch https://bob:SECRETPASS@git.example.com/r.git: timeout`),
		"source", "https://tok:SECRETTOKEN@git.example.com/r.git", "count", 3)
	if strings.Contains(b.String(), "SECRET") {
		t.Errorf("log line holds a secret: %s", b.String())
	}
	if !strings.Contains(b.String(), "git.example.com/r.git") || !strings.Contains(b.String(), `"count":3`) {
		t.Errorf("log line lost what it should keep: %s", b.String())
	}
}

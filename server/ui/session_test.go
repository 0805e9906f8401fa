package ui

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/baton-dev/baton/token"
)

func TestSignInNeedsATokenWithJobsRead(t *testing.T) {
	r := newRig(t)
	c := r.client()
	if code, body := c.get("/jobs"); code != http.StatusOK || !strings.Contains(body, `id="token"`) {
		t.Fatalf("a page without a session should lead to the login form, got %d", code)
	}
	code, body := c.signIn("bt_wrong")
	if code != http.StatusUnauthorized || !strings.Contains(body, "unknown or revoked") {
		t.Fatalf("a wrong token: got %d %s", code, body)
	}
	code, body = c.signIn(r.token(token.ScopeTablesWrite))
	if code != http.StatusForbidden || !strings.Contains(body, "jobs:read") {
		t.Fatalf("a token without jobs:read: got %d", code)
	}
	code, body = c.signIn(r.token(token.ScopeJobsRead))
	if code != http.StatusOK || !strings.Contains(body, `<h1 id="jobs-h">Jobs</h1>`) {
		t.Fatalf("a good token should land on the jobs list, got %d:\n%s", code, body)
	}
}

func TestSessionCookieIsHttpOnlyStrictAndHoldsNoToken(t *testing.T) {
	r := newRig(t)
	c := r.client()
	secret := r.token(token.ScopeJobsRead)
	_, page := c.get("/login")
	c.http.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	code, _, resp := c.post("/login", url.Values{"csrf": {csrfOf(t, page)}, "token": {secret}})
	if code != http.StatusSeeOther {
		t.Fatalf("sign-in: got %d", code)
	}
	var found bool
	for _, ck := range resp.Cookies() {
		if ck.Name != sessionCookie {
			continue
		}
		found = true
		if !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Secure {
			t.Errorf("session cookie over plain HTTP: HttpOnly=%v SameSite=%v Secure=%v", ck.HttpOnly, ck.SameSite, ck.Secure)
		}
		if strings.Contains(ck.Value, secret) || ck.Value == token.Hash(secret) {
			t.Error("the session cookie carries the token")
		}
		if _, ok := r.ui.sessions.byKey[ck.Value]; ok {
			t.Error("the session store is keyed by the cookie value itself, not its hash")
		}
	}
	if !found {
		t.Fatal("no session cookie set")
	}
	if loc := resp.Header.Get("Location"); strings.Contains(loc, secret) {
		t.Errorf("the token appears in a URL: %s", loc)
	}
}

func TestLoginRefusesAFormWithoutItsCSRFToken(t *testing.T) {
	r := newRig(t)
	c := r.client()
	c.get("/login")
	code, body, _ := c.post("/login", url.Values{"csrf": {"forged"}, "token": {r.token(token.ScopeJobsRead)}})
	if code != http.StatusForbidden || !strings.Contains(body, "expired") {
		t.Fatalf("a login without the form's CSRF token: got %d", code)
	}
}

func TestEveryFormNeedsTheSessionCSRFToken(t *testing.T) {
	r := newRig(t)
	c := r.client()
	c.signIn(r.token(token.ScopeJobsRead, token.ScopeRun))
	job := r.submit("gated")
	for _, path := range []string{"/logout", "/orchestrations/daily/run", "/jobs/" + itoa(job.ID) + "/cancel", "/jobs/" + itoa(job.ID) + "/retry"} {
		code, _, _ := c.post(path, url.Values{"csrf": {"nope"}, "task": {"a"}})
		if code != http.StatusForbidden {
			t.Errorf("POST %s without the CSRF token: got %d, want 403", path, code)
		}
	}
	if j, _ := r.store.Job(context.Background(), job.ID); j.CancelRequested || j.Status.Terminal() {
		t.Error("a forged cancel acted")
	}
}

func TestSignOutEndsTheSession(t *testing.T) {
	r := newRig(t)
	c := r.client()
	_, body := c.signIn(r.token(token.ScopeJobsRead))
	code, body, _ := c.post("/logout", url.Values{"csrf": {csrfOf(t, body)}})
	if code != http.StatusOK || !strings.Contains(body, `id="token"`) {
		t.Fatalf("sign-out should show the login form, got %d", code)
	}
	if _, body := c.get("/jobs"); !strings.Contains(body, `id="token"`) {
		t.Fatal("after sign-out the jobs list is still shown")
	}
	if n := len(r.ui.sessions.byKey); n != 0 {
		t.Fatalf("%d sessions left after sign-out", n)
	}
}

func TestRevokingTheTokenEndsItsSessions(t *testing.T) {
	r := newRig(t)
	c := r.client()
	secret := r.token(token.ScopeJobsRead)
	c.signIn(secret)
	tok, err := r.store.TokenByHash(context.Background(), token.Hash(secret))
	if err != nil {
		t.Fatal(err)
	}
	if err := r.store.RevokeToken(context.Background(), tok.ID, time.Now().UTC()); err != nil {
		t.Fatal(err)
	}
	if _, body := c.get("/jobs"); !strings.Contains(body, `id="token"`) {
		t.Fatal("a revoked token's session still shows pages")
	}
}

func TestSessionsExpire(t *testing.T) {
	fake := newFakeClock()
	s := newSessions(fake, time.Hour)
	id, _ := s.create("h")
	if _, ok := s.get(id); !ok {
		t.Fatal("a new session is missing")
	}
	fake.Advance(time.Hour)
	if _, ok := s.get(id); ok {
		t.Fatal("a session outlived its expiry")
	}
}

func TestRedirectAfterSignInStaysOnThisSite(t *testing.T) {
	for in, want := range map[string]string{"/jobs/4": "/jobs/4", "//evil.example/": "/jobs", "https://evil.example": "/jobs", "/\\evil": "/jobs", "/login": "/jobs"} {
		if got := localPath(in); got != want {
			t.Errorf("localPath(%q) = %q, want %q", in, got, want)
		}
	}
}

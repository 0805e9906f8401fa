package server

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/baton-dev/baton/state"
)

// raw sends body as it is, without encoding it.
func (r *rig) raw(method, path, token, body string) (*http.Response, []byte) {
	r.t.Helper()
	req, err := http.NewRequest(method, r.api.URL+path, strings.NewReader(body))
	if err != nil {
		r.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func TestTableIDsOutsideTheRuleAreRefusedAndNotRecorded(t *testing.T) {
	r := newRig(t)
	for _, id := range []string{
		"in.c-main.orders\x1b]0;owned\x07",
		"two\nlines",
		strings.Repeat("t", 60*1024),
		"has space",
	} {
		code, body := r.do("POST", "/v1/tables/"+url.PathEscape(id)+"/updates", r.admin, nil)
		if code != http.StatusBadRequest {
			t.Errorf("table id %.40q: status %d, want 400: %s", id, code, body)
		}
		if len(body) > 2048 {
			t.Errorf("the error repeats a long id whole: %d bytes", len(body))
		}
	}
	code, body := r.do("GET", "/v1/tables", r.admin, nil)
	var tables []state.TableState
	if err := json.Unmarshal(body, &tables); code != http.StatusOK || err != nil {
		t.Fatalf("list tables: %d %v", code, err)
	}
	if len(tables) != 0 {
		t.Errorf("refused ids were recorded: %+v", tables)
	}
	if code, body := r.do("POST", "/v1/tables/in.c-main.orders/updates", r.admin, nil); code != http.StatusCreated {
		t.Errorf("a valid table id: status %d: %s", code, body)
	}
}

func TestTokenRefreshOfAnUnknownOrchestrationIs404AndCreatesNothing(t *testing.T) {
	r := newRig(t)
	before, err := r.store.ListTokens(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	code, body := r.do("POST", "/v1/orchestrations/nope/token/refresh", r.admin, nil)
	if code != http.StatusNotFound {
		t.Errorf("refresh of an unknown orchestration: status %d, want 404: %s", code, body)
	}
	after, err := r.store.ListTokens(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != len(before) {
		t.Errorf("tokens went from %d to %d", len(before), len(after))
	}
	if code, body := r.do("POST", "/v1/orchestrations/ok/token/refresh", r.admin, nil); code != http.StatusOK {
		t.Errorf("refresh of an applied orchestration: status %d: %s", code, body)
	}
}

func TestWrongMethodIs405WithAllow(t *testing.T) {
	r := newRig(t)
	for _, tc := range []struct{ method, path, allow string }{
		{"DELETE", "/v1/jobs", "GET, HEAD"},
		{"PUT", "/v1/tokens", "GET, HEAD, POST"},
		{"GET", "/v1/orchestrations/ok/jobs", "POST"},
		{"POST", "/healthz", "GET, HEAD"},
	} {
		resp, body := r.raw(tc.method, tc.path, r.admin, "")
		if resp.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("%s %s: status %d, want 405: %s", tc.method, tc.path, resp.StatusCode, body)
			continue
		}
		if got := resp.Header.Get("Allow"); got != tc.allow {
			t.Errorf("%s %s: Allow %q, want %q", tc.method, tc.path, got, tc.allow)
		}
		if !json.Valid(body) {
			t.Errorf("%s %s: body is not JSON: %s", tc.method, tc.path, body)
		}
	}
	if resp, _ := r.raw("GET", "/v1/nothing-here", r.admin, ""); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown path: status %d, want 404", resp.StatusCode)
	}
}

func TestJSONBodyWithTrailingDataIsRefused(t *testing.T) {
	r := newRig(t)
	for _, body := range []string{`{"only": []} garbage`, `{"only": []}{"skip": []}`, `{"only": [] `} {
		resp, out := r.raw("POST", "/v1/orchestrations/ok/jobs", r.admin, body)
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("body %q: status %d, want 400: %s", body, resp.StatusCode, out)
		}
	}
	jobs, err := r.store.ListJobs(context.Background(), state.JobFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs) != 0 {
		t.Errorf("refused requests created %d job(s)", len(jobs))
	}
	if resp, out := r.raw("POST", "/v1/orchestrations/ok/jobs", r.admin, "{\"only\": []}\n"); resp.StatusCode != http.StatusCreated {
		t.Errorf("a valid body with a trailing newline: status %d: %s", resp.StatusCode, out)
	}
}

func TestTokenLabelsMustBePrintableAndShort(t *testing.T) {
	r := newRig(t)
	for _, body := range []map[string]any{
		{"description": "ci\x1b]0;owned\x07", "scopes": []string{ScopeJobsRead}},
		{"description": "ci", "owner": strings.Repeat("o", 60*1024), "scopes": []string{ScopeJobsRead}},
		{"description": "ci", "scopes": []string{ScopeJobsRead}, "orchestrations": []string{"a\nb"}},
	} {
		if code, out := r.do("POST", "/v1/tokens", r.admin, body); code != http.StatusBadRequest {
			t.Errorf("token %v: status %d, want 400: %.200s", body["description"], code, out)
		}
	}
	if code, out := r.do("POST", "/v1/tokens", r.admin, map[string]any{"description": "CI – nightly (Přehled)", "owner": "dana@example.com", "scopes": []string{ScopeJobsRead}}); code != http.StatusCreated {
		t.Errorf("a plain token: status %d: %s", code, out)
	}
}

func TestOrchestrationNamesOutsideTheRuleAre400(t *testing.T) {
	r := newRig(t)
	long := strings.Repeat("o", 60*1024)
	for _, tc := range []struct{ method, path string }{
		{"POST", "/v1/orchestrations/" + url.PathEscape("ok\x1b[2J") + "/jobs"},
		{"POST", "/v1/orchestrations/" + long + "/jobs"},
		{"GET", "/v1/orchestrations/" + url.PathEscape("a\nb")},
		{"POST", "/v1/orchestrations/" + long + "/token/refresh"},
		{"GET", "/v1/jobs?orchestration=" + url.QueryEscape("x\x07")},
	} {
		code, body := r.do(tc.method, tc.path, r.admin, nil)
		if code != http.StatusBadRequest || len(body) > 2048 {
			t.Errorf("%s %.60s: status %d (%d bytes), want a short 400", tc.method, tc.path, code, len(body))
		}
	}
	if code, _ := r.do("GET", "/v1/orchestrations/ok", r.admin, nil); code != http.StatusOK {
		t.Errorf("a valid name: status %d", code)
	}
}

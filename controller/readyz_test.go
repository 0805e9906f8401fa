package controller

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/baton-dev/baton/health"
	"github.com/baton-dev/baton/internal/waitfor"
	"github.com/baton-dev/baton/server"
)

// /readyz turns 503, naming the source, at the first poll after the remote
// went away (so within one poll interval) and 200 again at the first poll
// after it is back. /healthz stays 200 throughout: it is liveness only.
func TestReadyzFollowsTheRemoteWithinOnePoll(t *testing.T) {
	f := newFixture(t)
	rig := startWatch(t, f)
	if err := <-rig.reconciled; err != nil {
		t.Fatalf("first reconcile: %v", err)
	}
	api := httptest.NewServer((&server.Server{
		Store: f.store, Clock: f.clock,
		Ready: &health.Checker{Store: f.store, Executor: rig.exec, Clock: f.clock},
	}).Handler())
	defer api.Close()
	get := func(path string) (int, map[string]any) {
		t.Helper()
		resp, err := http.Get(api.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, body
	}
	// The watcher starts its executor in a goroutine.
	waitfor.Cond(t, "the executor to start", rig.exec.Running)
	if code, body := get("/readyz"); code != http.StatusOK {
		t.Fatalf("/readyz with a working remote: %d %v", code, body)
	}

	away := f.repo.Dir + ".away"
	if err := os.Rename(f.repo.Dir, away); err != nil {
		t.Fatal(err)
	}
	if err := rig.poll(); err == nil {
		t.Fatal("a poll of a missing remote succeeded")
	}
	code, body := get("/readyz")
	problems, _ := body["problems"].([]any)
	if code != http.StatusServiceUnavailable || len(problems) != 1 || problems[0].(map[string]any)["check"] != health.CheckSource || body["reason"] == "" {
		t.Fatalf("/readyz one poll after the remote went away: %d %v", code, body)
	}
	if code, _ := get("/healthz"); code != http.StatusOK {
		t.Errorf("/healthz = %d while the source fails; it is liveness only", code)
	}

	if err := os.Rename(away, f.repo.Dir); err != nil {
		t.Fatal(err)
	}
	if err := rig.poll(); err != nil {
		t.Fatalf("a poll of the restored remote: %v", err)
	}
	if code, body := get("/readyz"); code != http.StatusOK {
		t.Errorf("/readyz one poll after the remote came back: %d %v", code, body)
	}
}

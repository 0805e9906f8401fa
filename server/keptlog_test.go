package server

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/baton-dev/baton/clock"
	"github.com/baton-dev/baton/state"
	"github.com/baton-dev/baton/state/postgres"
	"github.com/baton-dev/baton/state/postgres/pgtest"
	"github.com/baton-dev/baton/token"
)

// TestAPILogsOfTasksOnAnotherNodeComeFromTheState: on PostgreSQL the log
// endpoint of a node that does not have the log files prints what the
// state keeps: the part a running task wrote so far, the whole log of an
// ended one, and where the log is when nothing was kept.
func TestAPILogsOfTasksOnAnotherNodeComeFromTheState(t *testing.T) {
	ctx := context.Background()
	store := openPostgres(t)
	now := time.Now().UTC()
	job := jobWithTasks(t, store, now, "running", "ended", "lost")
	for _, task := range job.Tasks {
		path := fmt.Sprintf("/nonexistent-node/jobs/%d.log", task.ID)
		if err := store.UpdateJob(ctx, task.ID, []state.JobStatus{state.JobCreated}, state.JobUpdate{Status: state.JobProcessing, StartedAt: now, LogPath: &path}); err != nil {
			t.Fatal(err)
		}
		if task.Task != "running" {
			if err := store.UpdateJob(ctx, task.ID, []state.JobStatus{state.JobProcessing}, state.JobUpdate{Status: state.JobSuccess, FinishedAt: now}); err != nil {
				t.Fatal(err)
			}
		}
	}
	running, ended, lost := job.Tasks[0], job.Tasks[1], job.Tasks[2]
	if err := store.AppendLog(ctx, running.ID, 0, []byte("so far\n")); err != nil {
		t.Fatal(err)
	}
	if err := store.StoreLog(ctx, ended.ID, []byte("all of it\n")); err != nil {
		t.Fatal(err)
	}

	tokens := &token.Service{Store: store, Clock: clock.Real(), Key: bytes.Repeat([]byte("k"), 32)}
	secret, _, err := tokens.Create(ctx, state.Token{Description: "reader", Scopes: []string{ScopeJobsRead}})
	if err != nil {
		t.Fatal(err)
	}
	api := httptest.NewServer((&Server{Store: store, Tokens: tokens, Clock: clock.Real()}).Handler())
	defer api.Close()
	req, _ := http.NewRequest("GET", fmt.Sprintf("%s/v1/jobs/%d/logs", api.URL, job.ID), nil)
	req.Header.Set("Authorization", "Bearer "+secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	body := string(b)
	for _, want := range []string{
		fmt.Sprintf("==> /running (job %d, processing) <==\nso far\n", running.ID),
		fmt.Sprintf("==> /ended (job %d, success) <==\nall of it\n", ended.ID),
		fmt.Sprintf("==> /lost (job %d, success) <==\nbaton: the log of job %d is not in the state", lost.ID, lost.ID),
		fmt.Sprintf("it is in /nonexistent-node/jobs/%d.log on that node", lost.ID),
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the logs have no %q:\n%s", want, body)
		}
	}
}

// openPostgres opens a fresh database of a throwaway PostgreSQL cluster,
// closed when the test ends.
func openPostgres(t *testing.T) *postgres.Store {
	t.Helper()
	store, err := postgres.Open(context.Background(), pgtest.New(t).NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return store
}

// jobWithTasks records a processing orchestration job with created tasks
// of the names given, each its own configuration.
func jobWithTasks(t *testing.T, store state.Store, now time.Time, tasks ...string) state.Job {
	t.Helper()
	var news []state.NewJob
	for _, name := range tasks {
		news = append(news, state.NewJob{Kind: state.KindTaskJob, Orchestration: "o", Task: name, SerialKey: name, Status: state.JobCreated, CreatedAt: now})
	}
	job, err := store.CreateJob(context.Background(), state.NewJob{Kind: state.KindOrchestrationJob, Orchestration: "o", SerialKey: "o", Status: state.JobProcessing, CreatedAt: now}, news)
	if err != nil {
		t.Fatal(err)
	}
	return job
}

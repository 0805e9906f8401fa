package server

import (
	"context"
	"fmt"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/baton-dev/baton/clock"
	"github.com/baton-dev/baton/state"
)

// TestNodeMetricsComeFromTheNodesTable: on a PostgreSQL state shared by
// nodes, /metrics of any of them has per node whether it is up (a fresh
// heartbeat, not stopped), whether it leads, its slots, its running task
// processes and its heartbeat's age; a lost or stopped node is down.
func TestNodeMetricsComeFromTheNodesTable(t *testing.T) {
	ctx := context.Background()
	store := openPostgres(t)
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	started := now.Add(-time.Hour)
	for _, n := range []state.Node{
		{Name: "vm-1", Process: "pid 1", Slots: 2, Leading: true, StartedAt: started, HeartbeatAt: now.Add(-3 * time.Second)},
		{Name: "vm-2", Process: "pid 2", Slots: 4, StartedAt: started, HeartbeatAt: now.Add(-1 * time.Second)},
		{Name: "vm-3", Process: "pid 3", Slots: 2, StartedAt: started, HeartbeatAt: now.Add(-2 * time.Minute)},
		{Name: "vm-4", Process: "pid 4", Slots: 2, StartedAt: started, HeartbeatAt: now.Add(-10 * time.Second), StoppedAt: now.Add(-10 * time.Second)},
	} {
		if err := store.RecordNode(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	// Two task processes run, handed to vm-1 and vm-2, and a task that
	// runs an orchestration (no process, no node).
	job := jobWithTasks(t, store, now, "a", "b", "c")
	for i, task := range job.Tasks {
		u := state.JobUpdate{Status: state.JobProcessing, StartedAt: now}
		if i < 2 {
			path := "/var/lib/baton/jobs/" + task.Task + ".log"
			u.LogPath = &path
		}
		if err := store.UpdateJob(ctx, task.ID, []state.JobStatus{state.JobCreated}, u); err != nil {
			t.Fatal(err)
		}
		if i < 2 {
			node := fmt.Sprintf("vm-%d", i+1)
			if err := store.Assign(ctx, []state.Assignment{{JobID: task.ID, RunID: job.ID, Node: node, AssignedAt: now}}); err != nil {
				t.Fatal(err)
			}
			if ok, err := store.StartAssignment(ctx, task.ID, node, "pid", now); err != nil || !ok {
				t.Fatalf("start the task on %s: %v %v", node, ok, err)
			}
		}
	}

	api := httptest.NewServer((&Server{Store: store, Clock: clock.NewFake(now), PublicMetrics: true}).Handler())
	defer api.Close()
	resp, err := api.Client().Get(api.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	body := string(b)
	for _, want := range []string{
		`baton_node_up{node="vm-1"} 1`,
		`baton_node_up{node="vm-2"} 1`,
		`baton_node_up{node="vm-3"} 0`,
		`baton_node_up{node="vm-4"} 0`,
		`baton_node_leader{node="vm-1"} 1`,
		`baton_node_leader{node="vm-2"} 0`,
		`baton_node_slots{node="vm-2"} 4`,
		`baton_node_running_tasks{node="vm-1"} 1`,
		`baton_node_running_tasks{node="vm-2"} 1`,
		`baton_node_running_tasks{node="vm-3"} 0`,
		`baton_node_heartbeat_age_seconds{node="vm-1"} 3`,
		`baton_node_heartbeat_age_seconds{node="vm-3"} 120`,
	} {
		if !strings.Contains(body, want+"\n") {
			t.Errorf("/metrics has no %s", want)
		}
	}
	if t.Failed() {
		t.Logf("/metrics:\n%s", body)
	}
}

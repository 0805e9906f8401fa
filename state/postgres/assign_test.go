package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/baton-dev/baton/state"
	"github.com/baton-dev/baton/state/postgres/pgtest"
)

// TestAssignmentsReachTheirNodeOnceAndOutcomesOnlyWhileAwaited: a node
// hears of a task handed to it (not of one handed to another), only one
// incarnation of the node may start it, and a node's outcome is refused
// once the dispatcher took the task back.
func TestAssignmentsReachTheirNodeOnceAndOutcomesOnlyWhileAwaited(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.DSN(t)
	leader, err := Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer leader.Close()
	node, err := Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer node.Close()
	now := time.Now()
	job, err := leader.CreateJob(ctx, state.NewJob{Kind: state.KindOrchestrationJob, Orchestration: "o", SerialKey: "o", Status: state.JobCreated, CreatedAt: now},
		[]state.NewJob{
			{Kind: state.KindTaskJob, Orchestration: "o", Task: "a", SerialKey: "a", Status: state.JobCreated, CreatedAt: now},
			{Kind: state.KindTaskJob, Orchestration: "o", Task: "b", SerialKey: "b", Status: state.JobCreated, CreatedAt: now},
		})
	if err != nil {
		t.Fatal(err)
	}
	a, b := job.Tasks[0].ID, job.Tasks[1].ID
	mine, stopMine, err := node.WatchAssignments(ctx, "n1")
	if err != nil {
		t.Fatal(err)
	}
	defer stopMine()
	results, stopResults, err := leader.WatchResults(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer stopResults()

	if err := leader.Assign(ctx, []state.Assignment{{JobID: b, RunID: job.ID, Node: "n2", AssignedAt: now}}); err != nil {
		t.Fatal(err)
	}
	if err := leader.Assign(ctx, []state.Assignment{{JobID: a, RunID: job.ID, Node: "n1", AssignedAt: now}}); err != nil {
		t.Fatal(err)
	}
	<-mine
	as, err := node.NodeAssignments(ctx, "n1")
	if err != nil || len(as) != 1 || as[0].JobID != a {
		t.Fatalf("n1's assignments = %+v %v, want task %d only", as, err, a)
	}
	if ok, err := node.StartAssignment(ctx, a, "n1", "pid 1", now); err != nil || !ok {
		t.Fatalf("first start = %v %v, want started", ok, err)
	}
	if ok, err := node.StartAssignment(ctx, a, "n1", "pid 2", now); err != nil || ok {
		t.Fatalf("a second incarnation's start = %v %v, want refused", ok, err)
	}
	if ok, err := node.StartAssignment(ctx, a, "n1", "pid 1", now); err != nil || !ok {
		t.Fatalf("the same incarnation's start again = %v %v, want started", ok, err)
	}
	code := 0
	if ok, err := node.ReportAssignment(ctx, a, "n1", state.TaskResult{Status: state.JobSuccess, ExitCode: &code, FinishedAt: now}); err != nil || !ok {
		t.Fatalf("report = %v %v, want stored", ok, err)
	}
	<-results
	if ok, err := node.ReportAssignment(ctx, a, "n1", state.TaskResult{Status: state.JobSuccess, ExitCode: &code, FinishedAt: now}); err != nil || !ok {
		t.Fatalf("the same report again = %v %v, want stored", ok, err)
	}
	if ok, err := node.ReportAssignment(ctx, a, "n1", state.TaskResult{Status: state.JobError, FinishedAt: now}); err != nil || ok {
		t.Fatalf("another outcome after one was stored = %v %v, want refused", ok, err)
	}
	// A retried hand-out (its first try committed unseen) changes nothing.
	if err := leader.Assign(ctx, []state.Assignment{{JobID: a, RunID: job.ID, Node: "n1", AssignedAt: now}}); err != nil {
		t.Fatal(err)
	}
	all, err := leader.Assignments(ctx)
	if err != nil || len(all) != 2 || all[0].Result == nil || all[0].Result.Status != state.JobSuccess || all[1].Result != nil {
		t.Fatalf("assignments = %+v %v, want a's outcome and b still running", all, err)
	}

	// Taken back (its node declared lost): the node hears of it and its
	// late outcome is refused.
	if err := leader.StopAssignments(ctx, []state.JobID{b}, "cancel"); err != nil {
		t.Fatal(err)
	}
	if as, err := node.NodeAssignments(ctx, "n2"); err != nil || len(as) != 1 || as[0].Stop != "cancel" {
		t.Fatalf("n2's assignments after a stop = %+v %v, want b asked to stop", as, err)
	}
	if err := leader.DeleteAssignments(ctx, []state.JobID{a, b}); err != nil {
		t.Fatal(err)
	}
	if ok, err := node.ReportAssignment(ctx, b, "n2", state.TaskResult{Status: state.JobSuccess, FinishedAt: now}); err != nil || ok {
		t.Fatalf("a report after the task was taken back = %v %v, want refused", ok, err)
	}
	if all, err := leader.Assignments(ctx); err != nil || len(all) != 0 {
		t.Fatalf("assignments after delete = %+v %v, want none", all, err)
	}
}

package postgres

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/baton-dev/baton/state"
	"github.com/baton-dev/baton/state/postgres/pgtest"
)

// TestLogsAreKeptInChunksAndReadWhole: a log longer than a chunk comes
// back whole and in order from another handle; storing again replaces it;
// an empty log is kept as empty, not as missing.
func TestLogsAreKeptInChunksAndReadWhole(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.DSN(t)
	a, err := Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	job, err := a.CreateJob(ctx, state.NewJob{Kind: state.KindOrchestrationJob, Orchestration: "o", SerialKey: "o", Status: state.JobCreated, CreatedAt: time.Now()},
		[]state.NewJob{{Kind: state.KindTaskJob, Orchestration: "o", Task: "t", SerialKey: "c", Status: state.JobCreated, CreatedAt: time.Now()}})
	if err != nil {
		t.Fatal(err)
	}
	task := job.Tasks[0].ID
	if _, ok, err := b.Log(ctx, task); err != nil || ok {
		t.Fatalf("Log before any was kept = %v %v, want none", ok, err)
	}
	long := bytes.Repeat([]byte("0123456789abcdef"), logChunk/16*2+100)
	if err := a.StoreLog(ctx, task, long); err != nil {
		t.Fatal(err)
	}
	got, ok, err := b.Log(ctx, task)
	if err != nil || !ok || !bytes.Equal(got, long) {
		t.Fatalf("Log = %d bytes %v %v, want the %d bytes kept", len(got), ok, err, len(long))
	}
	if err := a.StoreLog(ctx, task, nil); err != nil {
		t.Fatal(err)
	}
	got, ok, err = b.Log(ctx, task)
	if err != nil || !ok || len(got) != 0 {
		t.Fatalf("Log after keeping an empty one = %q %v %v, want empty and kept", got, ok, err)
	}
}

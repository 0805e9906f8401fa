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
	a, b, task := twoNodesAndATask(t)
	if _, ok, err := b.Log(ctx, task, 0); err != nil || ok {
		t.Fatalf("Log before any was kept = %v %v, want none", ok, err)
	}
	long := bytes.Repeat([]byte("0123456789abcdef"), logChunk/16*2+100)
	if err := a.StoreLog(ctx, task, long); err != nil {
		t.Fatal(err)
	}
	got, ok, err := b.Log(ctx, task, 0)
	if err != nil || !ok || !bytes.Equal(got, long) {
		t.Fatalf("Log = %d bytes %v %v, want the %d bytes kept", len(got), ok, err, len(long))
	}
	if err := a.StoreLog(ctx, task, nil); err != nil {
		t.Fatal(err)
	}
	got, ok, err = b.Log(ctx, task, 0)
	if err != nil || !ok || len(got) != 0 {
		t.Fatalf("Log after keeping an empty one = %q %v %v, want empty and kept", got, ok, err)
	}
}

// TestLogsAppendedWhileATaskRunsReadFromAnyOffset: a running task's log
// appended in pieces that cross chunk boundaries reads back whole from
// another handle, and from any offset; writing a piece again (a retry)
// changes nothing; a piece after a gap is refused; keeping the whole log
// at the end replaces what was appended.
func TestLogsAppendedWhileATaskRunsReadFromAnyOffset(t *testing.T) {
	ctx := context.Background()
	a, b, task := twoNodesAndATask(t)
	var want []byte
	for i, size := range []int{0, 10, logChunk - 10, 1, logChunk + 7, 3} {
		piece := bytes.Repeat([]byte{byte('a' + i)}, size)
		if err := a.AppendLog(ctx, task, int64(len(want)), piece); err != nil {
			t.Fatalf("append piece %d: %v", i, err)
		}
		if i == 2 { // retried as it was
			if err := a.AppendLog(ctx, task, int64(len(want)), piece); err != nil {
				t.Fatalf("append piece %d again: %v", i, err)
			}
		}
		want = append(want, piece...)
		got, ok, err := b.Log(ctx, task, 0)
		if err != nil || !ok || !bytes.Equal(got, want) {
			t.Fatalf("after piece %d: Log = %d bytes %v %v, want the %d bytes appended", i, len(got), ok, err, len(want))
		}
	}
	for _, from := range []int64{0, 5, logChunk - 1, logChunk, logChunk + 1, 2*logChunk + 3, int64(len(want)), int64(len(want)) + 100} {
		got, ok, err := b.Log(ctx, task, from)
		tail := want[min(from, int64(len(want))):]
		if err != nil || !ok || !bytes.Equal(got, tail) {
			t.Errorf("Log from %d = %d bytes %v %v, want the last %d bytes", from, len(got), ok, err, len(tail))
		}
	}
	if err := a.AppendLog(ctx, task, int64(len(want))+logChunk, []byte("after a gap")); err == nil {
		t.Error("a piece appended after a gap was taken")
	}
	if got, _, _ := b.Log(ctx, task, 0); !bytes.Equal(got, want) {
		t.Errorf("a refused piece changed the kept log to %d bytes, want %d", len(got), len(want))
	}
	if err := a.StoreLog(ctx, task, []byte("whole\n")); err != nil {
		t.Fatal(err)
	}
	if got, ok, err := b.Log(ctx, task, 0); err != nil || !ok || string(got) != "whole\n" {
		t.Errorf("Log after keeping it whole = %q %v %v, want the whole log alone", got, ok, err)
	}
}

// twoNodesAndATask opens two handles on a fresh database, as two nodes
// would, and records a job with one task.
func twoNodesAndATask(t *testing.T) (a, b *Store, task state.JobID) {
	t.Helper()
	ctx := context.Background()
	dsn := pgtest.DSN(t)
	a, err := Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	b, err = Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	job, err := a.CreateJob(ctx, state.NewJob{Kind: state.KindOrchestrationJob, Orchestration: "o", SerialKey: "o", Status: state.JobCreated, CreatedAt: time.Now()},
		[]state.NewJob{{Kind: state.KindTaskJob, Orchestration: "o", Task: "t", SerialKey: "c", Status: state.JobCreated, CreatedAt: time.Now()}})
	if err != nil {
		t.Fatal(err)
	}
	return a, b, job.Tasks[0].ID
}

package sqlite

import (
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/baton-dev/baton/clock"
	"github.com/baton-dev/baton/state"
)

// walFrames reads, from the shared-memory index of the write-ahead log,
// how many frames the log holds and how many of them a checkpoint copied
// into the database (mxFrame and nBackfill; see SQLite's walformat.html).
func walFrames(t *testing.T, s *Store) (frames, copied uint32) {
	t.Helper()
	b, err := os.ReadFile(s.path + "-shm")
	if err != nil || len(b) < 100 {
		t.Fatalf("read the log's index: %v (%d bytes)", err, len(b))
	}
	return binary.NativeEndian.Uint32(b[16:]), binary.NativeEndian.Uint32(b[96:])
}

// A commit that fills the write-ahead log past SQLite's default bound does
// not copy it back (two syncs on the path of a burst of jobs); the
// checkpointer does, once the writes paused.
func TestTheLogIsCheckpointedAfterTheWritesPauseNotInACommit(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	var pages int
	if err := s.w.QueryRowContext(ctx, "PRAGMA wal_autocheckpoint").Scan(&pages); err != nil || pages != writerCheckpointPages {
		t.Fatalf("writer: PRAGMA wal_autocheckpoint = %d, %v; want %d", pages, err, writerCheckpointPages)
	}
	// The checkpointer on a fake clock, to say when the writes paused.
	if err := s.ckpt.close(); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite3", "file:"+s.path+"?_busy_timeout=10000")
	if err != nil {
		t.Fatal(err)
	}
	fake := clock.NewFake(time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC))
	ran := make(chan struct{}, 1)
	s.ckpt = newCheckpointer(db, fake)
	s.ckpt.ran = ran
	go s.ckpt.run()

	// A commit that checkpointed would start the log over: it would never
	// hold more than about the default 1000 frames.
	for round := 0; ; round++ {
		if frames, _ := walFrames(t, s); frames > 1200 {
			break
		}
		if round == 500 {
			frames, copied := walFrames(t, s)
			t.Fatalf("after %d bursts of writes the log holds %d frames, %d copied back: the commits checkpoint", round, frames, copied)
		}
		var sets []state.NewJobSet
		for i := 0; i < 20; i++ {
			o := fmt.Sprintf("o%d", i)
			sets = append(sets, state.NewJobSet{
				Orchestration: state.NewJob{Kind: state.KindOrchestrationJob, Orchestration: o, SerialKey: "orchestration:" + o, Status: state.JobCreated, CreatedAt: fake.Now()},
				Tasks:         []state.NewJob{{Kind: state.KindTaskJob, Orchestration: o, Task: "t", SerialKey: "configuration:c" + o, Status: state.JobCreated, CreatedAt: fake.Now()}},
				Fires:         []state.ScheduleFire{{Orchestration: o, Key: "@every 1s @ UTC", At: fake.Now()}},
			})
		}
		if _, err := s.CreateJobs(ctx, sets); err != nil {
			t.Fatal(err)
		}
	}
	if frames, copied := walFrames(t, s); copied != 0 {
		t.Fatalf("the commits copied %d of the log's %d frames back; want none", copied, frames)
	}
	deadline := time.Now().Add(time.Minute)
	for done := false; !done; {
		fake.Advance(checkpointQuiet)
		select {
		case <-ran:
			done = true
		case <-time.After(10 * time.Millisecond):
			if time.Now().After(deadline) {
				t.Fatal("no checkpoint after the writes paused")
			}
		}
	}
	if frames, copied := walFrames(t, s); copied != frames {
		t.Errorf("after the pause the checkpoint copied %d of the log's %d frames; want all", copied, frames)
	}
}

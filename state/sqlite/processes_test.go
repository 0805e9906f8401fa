package sqlite

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/baton-dev/baton/state"
)

// writerHelperEnv makes the test binary one of the writing processes of
// TestProcessesWritingOneStateFileLoseNothing.
const writerHelperEnv = "SQLITE_WRITER_HELPER"

// rounds is how many jobs each writing process stores.
const rounds = 200

// writeRounds writes n jobs as the executor does: ids set aside, then
// the jobs stored with their start and fire in one round; every other one
// through CreateJobs instead, and every tenth is followed by the
// checkpoint the background runs after a pause. It returns the ids of the
// orchestration jobs.
func writeRounds(ctx context.Context, s *Store, name string, n int) ([]state.JobID, error) {
	var out []state.JobID
	at := time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)
	for i := range n {
		if i%10 == 9 {
			// As in the background, a checkpoint another process is
			// running makes this one give up: that is no failure.
			_, _ = s.ckpt.db.ExecContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)")
		}
		o := fmt.Sprintf("%s-%d", name, i)
		set := state.NewJobSet{
			Orchestration: state.NewJob{Kind: state.KindOrchestrationJob, Orchestration: o, SerialKey: "orchestration:" + o, Status: state.JobCreated, CreatedAt: at},
			Tasks:         []state.NewJob{{Kind: state.KindTaskJob, Orchestration: o, Task: "t", SerialKey: "configuration:" + o, Status: state.JobCreated, CreatedAt: at}},
			Fires:         []state.ScheduleFire{{Orchestration: o, Key: "@every 1m @ UTC", At: at}},
		}
		if i%2 == 1 {
			jobs, err := s.CreateJobs(ctx, []state.NewJobSet{set})
			if err != nil {
				return out, err
			}
			out = append(out, jobs[0].ID)
			continue
		}
		ids, err := s.ReserveJobIDs(ctx, 2)
		if err != nil {
			return out, err
		}
		set.Orchestration.ID, set.Tasks[0].ID = ids[0], ids[1]
		start := []state.JobTransition{{ID: ids[0], Update: state.JobUpdate{Status: state.JobProcessing, StartedAt: at}}}
		if err := s.RecordRound(ctx, []state.NewJobSet{set}, start); err != nil {
			return out, err
		}
		out = append(out, ids[0])
	}
	return out, nil
}

// TestWriterHelper is not a test: run with writerHelperEnv set to a state
// file, it writes rounds to it and prints the ids it was given.
func TestWriterHelper(t *testing.T) {
	path := os.Getenv(writerHelperEnv)
	if path == "" {
		t.Skip("a helper process of TestProcessesWritingOneStateFileLoseNothing")
	}
	ctx := context.Background()
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := writeRounds(ctx, s, "p"+strconv.Itoa(os.Getpid()), rounds)
	if cerr := s.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	fmt.Println("ids", ids)
}

// Several processes (watch, a CLI, baton run) write one state file, each
// with its own background checkpointer and each setting job ids aside:
// every job each of them stored is there once they closed, under an id
// no other job has.
func TestProcessesWritingOneStateFileLoseNothing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	ctx := context.Background()
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	var helpers []*exec.Cmd
	var outs []*bytes.Buffer
	for range 2 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestWriterHelper$", "-test.count=1")
		cmd.Env = append(os.Environ(), writerHelperEnv+"="+path)
		out := &bytes.Buffer{}
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		helpers, outs = append(helpers, cmd), append(outs, out)
	}
	mine, werr := writeRounds(ctx, s, "main", rounds)
	if err := s.Close(); werr == nil {
		werr = err
	}
	if werr != nil {
		t.Fatal(werr)
	}
	all := map[state.JobID]string{}
	take := func(who string, ids []state.JobID) {
		for _, id := range ids {
			if other, dup := all[id]; dup {
				t.Errorf("job id %d was given to %s and to %s", id, other, who)
			}
			all[id] = who
		}
	}
	take("this process", mine)
	for i, cmd := range helpers {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("writer process %d: %v\n%s", i, err, outs[i])
		}
		var ids []state.JobID
		for _, line := range strings.Split(outs[i].String(), "\n") {
			if rest, ok := strings.CutPrefix(line, "ids ["); ok {
				for _, f := range strings.Fields(strings.TrimSuffix(rest, "]")) {
					n, _ := strconv.ParseInt(f, 10, 64)
					ids = append(ids, state.JobID(n))
				}
			}
		}
		if len(ids) != rounds {
			t.Fatalf("writer process %d reported %d jobs, want %d:\n%s", i, len(ids), rounds, outs[i])
		}
		take(fmt.Sprintf("writer process %d", i), ids)
	}

	s, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for id, who := range all {
		j, err := s.Job(ctx, id)
		if err != nil || len(j.Tasks) != 1 {
			t.Errorf("job %d of %s after every process closed the state: %+v, %v", id, who, j, err)
		}
	}
	fires, err := s.LastFires(ctx)
	if err != nil || len(fires) != len(all) {
		t.Errorf("%d fires stored for %d jobs (%v)", len(fires), len(all), err)
	}
}

package ui

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/baton-dev/baton/state"
)

// keptLogs is a shared state that kept the logs of tasks that ran on
// another node.
type keptLogs struct {
	Store
	logs map[state.JobID][]byte
}

func (k keptLogs) StoreLog(ctx context.Context, id state.JobID, log []byte) error {
	k.logs[id] = log
	return nil
}

func (k keptLogs) AppendLog(ctx context.Context, id state.JobID, offset int64, data []byte) error {
	k.logs[id] = append(k.logs[id][:offset], data...)
	return nil
}

func (k keptLogs) Log(ctx context.Context, id state.JobID, offset int64) ([]byte, bool, error) {
	b, ok := k.logs[id]
	return b[min(offset, int64(len(b))):], ok, nil
}

// TestJobPageShowsTheLogKeptForATaskOfAnotherNode: the log file of a task
// that ran on another machine is not here; the page shows the end of the
// log the state kept instead, and says it is cut.
func TestJobPageShowsTheLogKeptForATaskOfAnotherNode(t *testing.T) {
	long := strings.Repeat("x", logWindow) + "the last line\n"
	u := &UI{cfg: Config{Store: keptLogs{logs: map[state.JobID][]byte{7: []byte(long)}}}}
	task := state.Job{ID: 7, Status: state.JobSuccess, LogPath: filepath.Join(t.TempDir(), "on-another-node", "7.log")}
	l := u.readLog(context.Background(), task)
	if !strings.HasSuffix(l.Text, "the last line\n") || !l.Cut || len(l.Text) != logWindow {
		t.Fatalf("log = %d bytes, cut %v, ends %q; want the last %d bytes of the kept log, cut", len(l.Text), l.Cut, l.Text[max(len(l.Text)-20, 0):], logWindow)
	}
	running := task
	running.ID, running.Status = 8, state.JobProcessing
	if l := u.readLog(context.Background(), running); l.Text != "" {
		t.Errorf("a running task of another node with nothing kept yet shows %q, want nothing yet", l.Text)
	}
	u.cfg.Store.(keptLogs).logs[8] = []byte("so far\n")
	if l := u.readLog(context.Background(), running); l.Text != "so far\n" || l.Offset != 7 {
		t.Errorf("a running task of another node shows %q from offset %d, want what was kept so far, to tail from 7", l.Text, l.Offset)
	}
	lost := task
	lost.ID = 9
	if l := u.readLog(context.Background(), lost); !strings.Contains(l.Text, "not in the state") || !strings.Contains(l.Text, lost.LogPath) {
		t.Errorf("an ended task whose log was not kept shows %q, want where the log is", l.Text)
	}
}

// TestLiveTailFollowsTheKeptLogOfATaskOnAnotherNode: the live tail of a
// task running on another node reads what the state keeps of its log:
// first the end of it, then what was appended since, from its offset.
func TestLiveTailFollowsTheKeptLogOfATaskOnAnotherNode(t *testing.T) {
	logs := keptLogs{logs: map[state.JobID][]byte{}}
	u := &UI{cfg: Config{Store: logs}}
	task := state.Job{ID: 7, Status: state.JobProcessing, LogPath: filepath.Join(t.TempDir(), "on-another-node", "7.log")}
	offsets := map[state.JobID]int64{}
	if text, next := u.readFrom(context.Background(), task, offsets); text != "" || next != 0 {
		t.Fatalf("before anything was kept: %q up to %d, want nothing", text, next)
	}
	start := strings.Repeat("x", logWindow) + "first\n"
	if err := logs.AppendLog(context.Background(), 7, 0, []byte(start)); err != nil {
		t.Fatal(err)
	}
	text, next := u.readFrom(context.Background(), task, offsets)
	if len(text) != logWindow || !strings.HasSuffix(text, "first\n") || next != int64(len(start)) {
		t.Fatalf("first read: %d bytes ending %q up to %d, want the last %d bytes up to %d", len(text), text[max(len(text)-10, 0):], next, logWindow, len(start))
	}
	offsets[7] = next
	if err := logs.AppendLog(context.Background(), 7, next, []byte("second\n")); err != nil {
		t.Fatal(err)
	}
	if text, next := u.readFrom(context.Background(), task, offsets); text != "second\n" || next != int64(len(start))+7 {
		t.Errorf("next read: %q up to %d, want the appended line up to %d", text, next, len(start)+7)
	}
}

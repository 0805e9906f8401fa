package state

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/baton-dev/baton/spec"
)

func openTest(t *testing.T) *Store {
	t.Helper()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "sub", "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestPragmasAreInEffect reads the settings back: the driver ignores DSN
// keys it does not know, so a typo would go unnoticed otherwise.
func TestPragmasAreInEffect(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	for name, db := range map[string]*sql.DB{"writer": s.w, "reader": s.r} {
		for pragma, want := range map[string]string{"journal_mode": "wal", "busy_timeout": "10000", "foreign_keys": "1", "synchronous": "1"} {
			var got string
			if err := db.QueryRowContext(ctx, "PRAGMA "+pragma).Scan(&got); err != nil {
				t.Fatalf("%s: PRAGMA %s: %v", name, pragma, err)
			}
			if got != want {
				t.Errorf("%s: PRAGMA %s = %s, want %s", name, pragma, got, want)
			}
		}
	}
	if _, err := s.r.ExecContext(ctx, "INSERT INTO trigger_runs VALUES ('x', 1)"); err == nil {
		t.Error("the reader pool can write")
	}
}

// TestMigrationsFromEveryVersion opens a file left at every schema version
// (0 is an empty file; the latest is a reopen), with data in it, and checks
// it reaches the latest intact.
func TestMigrationsFromEveryVersion(t *testing.T) {
	ctx := context.Background()
	for v := 0; v <= len(migrations); v++ {
		// A file left by an older baton, at version v.
		fresh := filepath.Join(t.TempDir(), "v.db")
		w, err := sql.Open("sqlite3", "file:"+fresh+"?_txlock=immediate")
		if err != nil {
			t.Fatal(err)
		}
		w.SetMaxOpenConns(1)
		st := &Store{path: fresh, w: w}
		if err := st.migrate(ctx, v); err != nil {
			t.Fatal(err)
		}
		if v >= 1 {
			if _, err := w.ExecContext(ctx, "INSERT INTO trigger_runs (orchestration, ran_at) VALUES ('kept', 42)"); err != nil {
				t.Fatal(err)
			}
		}
		w.Close()
		s, err := Open(ctx, fresh)
		if err != nil {
			t.Fatalf("open at version %d: %v", v, err)
		}
		if got, _ := s.SchemaVersion(ctx); got != len(migrations) {
			t.Errorf("from version %d: reached %d, want %d", v, got, len(migrations))
		}
		if v >= 1 {
			if at, ok, err := s.LastTriggerRun(ctx, "kept"); err != nil || !ok || at.UnixNano() != 42 {
				t.Errorf("from version %d: data lost: %v %v %v", v, at, ok, err)
			}
		}
		s.Close()
	}
}

func TestNewerSchemaIsRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.w.Exec("PRAGMA user_version = 99"); err != nil {
		t.Fatal(err)
	}
	s.Close()
	_, err = Open(context.Background(), path)
	if err == nil || !strings.Contains(err.Error(), "has schema version 99, this baton knows up to") || !strings.Contains(err.Error(), "upgrade baton") {
		t.Errorf("open of a newer schema: %v", err)
	}
}

// holdWrite commits ran_at = 1 for trigger "o", then leaves a write
// transaction open that changes it to 2, until the test ends.
func holdWrite(t *testing.T, s *Store) {
	t.Helper()
	ctx := context.Background()
	if err := s.RecordTriggerRun(ctx, "o", time.Unix(0, 1)); err != nil {
		t.Fatal(err)
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tx.Rollback() })
	if _, err := tx.ExecContext(ctx, "UPDATE trigger_runs SET ran_at = 2"); err != nil {
		t.Fatal(err)
	}
}

// readsCommitted checks that s reads the value committed before holdWrite's
// open transaction, within a deadline that fails the test instead of hanging.
func readsCommitted(t *testing.T, s *Store) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	at, ok, err := s.LastTriggerRun(ctx, "o")
	if err != nil || !ok || at.UnixNano() != 1 {
		t.Errorf("read during a write = %v %v %v, want the committed value 1", at, ok, err)
	}
}

// TestReaderIsNotBlockedByAnOpenWrite: a long write transaction does not
// stop readers, who see the last committed state.
func TestReaderIsNotBlockedByAnOpenWrite(t *testing.T) {
	s := openTest(t)
	holdWrite(t, s)
	readsCommitted(t, s)
}

// TestSecondOpenIsNotBlockedByAWriter: a CLI opens the state file while a
// watcher holds a write transaction on it, and reads without waiting for
// the busy timeout.
func TestSecondOpenIsNotBlockedByAWriter(t *testing.T) {
	watcher := openTest(t)
	holdWrite(t, watcher)
	start := time.Now()
	cli, err := Open(context.Background(), watcher.path)
	if err != nil {
		t.Fatalf("open while another store writes: %v", err)
	}
	defer cli.Close()
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("open waited %v for the writer", d)
	}
	readsCommitted(t, cli)
}

func obj(kind spec.Kind, name, hash string) spec.Object {
	return spec.Object{Kind: kind, Name: name, Hash: hash, JSON: []byte(`{"name":"` + name + `"}`)}
}

func TestApplyRevisionReplacesLiveObjectsAndKeepsHistory(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	if _, err := s.CurrentRevision(ctx); !errors.Is(err, ErrNoRevision) {
		t.Errorf("empty state: %v, want ErrNoRevision", err)
	}
	r1, err := s.ApplyRevision(ctx, Revision{Ref: "a", Source: "src", AppliedAt: time.Now()}, []spec.Object{
		obj(spec.KindOrchestration, "keep", "1"), obj(spec.KindOrchestration, "change", "1"), obj(spec.KindOrchestration, "drop", "1"), obj(spec.KindConfiguration, "c", "1"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.ApplyRevision(ctx, Revision{Ref: "b", Source: "src", AppliedAt: time.Now()}, []spec.Object{
		obj(spec.KindOrchestration, "keep", "1"), obj(spec.KindOrchestration, "change", "2"), obj(spec.KindConfiguration, "c", "1"),
	}); err != nil {
		t.Fatal(err)
	}
	live, err := s.AppliedObjects(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range live {
		got = append(got, string(o.Kind)+"/"+o.Name+"@"+o.Hash)
	}
	if strings.Join(got, " ") != "configuration/c@1 orchestration/change@2 orchestration/keep@1" {
		t.Errorf("live objects = %v", got)
	}
	var history int
	s.r.QueryRow("SELECT COUNT(*) FROM objects").Scan(&history)
	if history != 5 {
		t.Errorf("%d object versions kept, want 5 (history is never deleted)", history)
	}
	cur, _ := s.CurrentRevision(ctx)
	if cur.Ref != "b" || cur.ID != r1.ID+1 {
		t.Errorf("current revision = %+v", cur)
	}
	// A failing apply changes nothing.
	_, err = s.ApplyRevision(ctx, Revision{Ref: "bad", Source: "src", AppliedAt: time.Now()}, []spec.Object{
		obj(spec.KindOrchestration, "x", "1"), obj(spec.KindOrchestration, "x", "2"),
	})
	if err == nil {
		t.Fatal("a revision with a duplicate object applied")
	}
	after, _ := s.AppliedObjects(ctx)
	cur, _ = s.CurrentRevision(ctx)
	if len(after) != 3 || cur.Ref != "b" {
		t.Errorf("a failed apply changed the state: %d objects, revision %s", len(after), cur.Ref)
	}
}

func TestRecordFetchTracksStaleSince(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	t0 := time.Date(2026, 11, 25, 6, 0, 0, 0, time.UTC)
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.RecordFetch(ctx, t0, "abc", nil))
	must(s.RecordFetch(ctx, t0.Add(time.Minute), "", errors.New("remote down")))
	must(s.RecordFetch(ctx, t0.Add(2*time.Minute), "", errors.New("still down")))
	st, err := s.SourceStatus(ctx)
	must(err)
	if !st.StaleSince.Equal(t0.Add(time.Minute)) || st.LastError != "still down" || st.Ref != "abc" || !st.LastSuccessAt.Equal(t0) {
		t.Errorf("status after failures = %+v", st)
	}
	must(s.RecordFetch(ctx, t0.Add(3*time.Minute), "def", nil))
	st, _ = s.SourceStatus(ctx)
	if !st.StaleSince.IsZero() || st.LastError != "" || st.Ref != "def" {
		t.Errorf("status after recovery = %+v", st)
	}
}

func TestTableUpdatesKeepTheLatest(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	t0 := time.Date(2026, 11, 25, 6, 0, 0, 0, time.UTC)
	if err := s.RecordTableUpdates(ctx,
		TableUpdate{Table: "a", At: t0.Add(time.Minute), Source: "cli"},
		TableUpdate{Table: "a", At: t0, Source: "watch"}, // late report of an older update
		TableUpdate{Table: "b", At: t0, Source: "api"},
	); err != nil {
		t.Fatal(err)
	}
	tables, err := s.Tables(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(tables) != 2 || tables[0].ID != "a" || !tables[0].UpdatedAt.Equal(t0.Add(time.Minute)) || tables[0].Source != "cli" {
		t.Errorf("tables = %+v", tables)
	}
	at, _ := s.TableUpdatedAt(ctx, []string{"a", "b", "c"})
	if len(at) != 2 || !at["b"].Equal(t0) {
		t.Errorf("TableUpdatedAt = %v", at)
	}
}

// TestTimesKeepNanosecondsAndComeBackInUTC: times are stored as instants;
// the zone they were given in does not survive, the nanoseconds do.
func TestTimesKeepNanosecondsAndComeBackInUTC(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	prague, err := time.LoadLocation("Europe/Prague")
	if err != nil {
		t.Skip(err)
	}
	at := time.Date(2026, 3, 29, 2, 30, 0, 123456789, prague)
	if err := s.RecordFire(ctx, "o", "0", at); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordFire(ctx, "o", "0", at.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	fires, err := s.LastFires(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := fires[[2]string{"o", "0"}]
	if len(fires) != 1 || !got.Equal(at.Add(time.Hour)) || got.Location() != time.UTC || got.Nanosecond() != 123456789 {
		t.Errorf("fires = %v, want one fire at %v in UTC", fires, at.Add(time.Hour).UTC())
	}
}

func TestRevisionsLimitZeroListsAll(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	for _, ref := range []string{"a", "b", "c"} {
		if _, err := s.ApplyRevision(ctx, Revision{Ref: ref, Source: "src", AppliedAt: time.Now()}, nil); err != nil {
			t.Fatal(err)
		}
	}
	for limit, want := range map[int]string{0: "cba", -1: "cba", 2: "cb"} {
		revs, err := s.Revisions(ctx, limit)
		if err != nil {
			t.Fatal(err)
		}
		var got string
		for _, r := range revs {
			got += r.Ref
		}
		if got != want {
			t.Errorf("Revisions(%d) = %s, want %s (newest first)", limit, got, want)
		}
	}
}

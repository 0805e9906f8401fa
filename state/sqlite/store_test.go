package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/baton-dev/baton/spec"
	"github.com/baton-dev/baton/state"
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

// TestApplyRevisionKeepsEveryObjectVersion: changed and removed objects
// stay in the file as history.
func TestApplyRevisionKeepsEveryObjectVersion(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	obj := func(name, hash string) spec.Object {
		return spec.Object{Kind: spec.KindOrchestration, Name: name, Hash: hash, JSON: []byte(`{}`)}
	}
	for _, objs := range [][]spec.Object{
		{obj("keep", "1"), obj("change", "1"), obj("drop", "1")},
		{obj("keep", "1"), obj("change", "2")},
	} {
		if _, err := s.ApplyRevision(ctx, state.Revision{Ref: "r", Source: "src", AppliedAt: time.Now()}, objs); err != nil {
			t.Fatal(err)
		}
	}
	var history int
	if err := s.r.QueryRow("SELECT COUNT(*) FROM objects").Scan(&history); err != nil {
		t.Fatal(err)
	}
	if history != 4 {
		t.Errorf("%d object versions kept, want 4 (history is never deleted)", history)
	}
}

// TestApplyRevisionOfManyObjectsRecordsEachInOrder: objects are recorded
// several to a statement; every one is recorded once, in the revision's
// order, and a later revision replaces exactly the changed ones.
func TestApplyRevisionOfManyObjectsRecordsEachInOrder(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	n := 2*insertBatch + 5
	objs := make([]spec.Object, n)
	for i := range objs {
		name := fmt.Sprintf("o%04d", i)
		objs[i] = spec.Object{Kind: spec.KindOrchestration, Name: name, Hash: "1", JSON: []byte(`{"name":"` + name + `"}`)}
	}
	if _, err := s.ApplyRevision(ctx, state.Revision{Ref: "a", Source: "src", AppliedAt: time.Now()}, objs); err != nil {
		t.Fatal(err)
	}
	rows, err := s.r.Query("SELECT name FROM objects ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		order = append(order, name)
	}
	rows.Close()
	if len(order) != n {
		t.Fatalf("%d objects recorded, want %d", len(order), n)
	}
	for i, name := range order {
		if name != objs[i].Name {
			t.Fatalf("object %d recorded is %s, want %s (the revision's order)", i, name, objs[i].Name)
		}
	}

	next := slices.Clone(objs[1:]) // o0000 is dropped
	next[3].Hash, next[3].JSON = "2", []byte(`{"changed":3}`)
	next[n-2].Hash, next[n-2].JSON = "2", []byte(`{"changed":"last"}`)
	if _, err := s.ApplyRevision(ctx, state.Revision{Ref: "b", Source: "src", AppliedAt: time.Now()}, next); err != nil {
		t.Fatal(err)
	}
	live, err := s.AppliedObjects(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(live) != len(next) {
		t.Fatalf("%d live objects, want %d", len(live), len(next))
	}
	for i := range live {
		if live[i].Name != next[i].Name || live[i].Hash != next[i].Hash || string(live[i].JSON) != string(next[i].JSON) {
			t.Errorf("live object %d = %s %s %s, want %s %s %s", i, live[i].Name, live[i].Hash, live[i].JSON, next[i].Name, next[i].Hash, next[i].JSON)
		}
	}
	var versions int
	if err := s.r.QueryRow("SELECT COUNT(*) FROM objects").Scan(&versions); err != nil {
		t.Fatal(err)
	}
	if versions != n+2 {
		t.Errorf("%d object versions, want %d (two changed)", versions, n+2)
	}
}

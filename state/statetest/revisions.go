package statetest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/baton-dev/baton/spec"

	"github.com/baton-dev/baton/state"
)

func obj(kind spec.Kind, name, hash string) spec.Object {
	return spec.Object{Kind: kind, Name: name, Hash: hash, JSON: []byte(`{"name":"` + name + `"}`)}
}

func testApplyRevisionReplacesLiveObjectsAndKeepsHistory(t *testing.T, s state.Store) {
	ctx := context.Background()
	if _, err := s.CurrentRevision(ctx); !errors.Is(err, state.ErrNoRevision) {
		t.Errorf("empty state: %v, want ErrNoRevision", err)
	}
	r1, err := s.ApplyRevision(ctx, state.Revision{Ref: "a", Source: "src", AppliedAt: time.Now()}, []spec.Object{
		obj(spec.KindOrchestration, "keep", "1"), obj(spec.KindOrchestration, "change", "1"), obj(spec.KindOrchestration, "drop", "1"), obj(spec.KindConfiguration, "c", "1"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.ApplyRevision(ctx, state.Revision{Ref: "b", Source: "src", AppliedAt: time.Now()}, []spec.Object{
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
	cur, _ := s.CurrentRevision(ctx)
	if cur.Ref != "b" || cur.ID != r1.ID+1 {
		t.Errorf("current revision = %+v", cur)
	}
	// A failing apply changes nothing.
	_, err = s.ApplyRevision(ctx, state.Revision{Ref: "bad", Source: "src", AppliedAt: time.Now()}, []spec.Object{
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

func testRecordFetchTracksStaleSince(t *testing.T, s state.Store) {
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

func testTableUpdatesKeepTheLatest(t *testing.T, s state.Store) {
	ctx := context.Background()
	t0 := time.Date(2026, 11, 25, 6, 0, 0, 0, time.UTC)
	if err := s.RecordTableUpdates(ctx,
		state.TableUpdate{Table: "a", At: t0.Add(time.Minute), Source: "cli"},
		state.TableUpdate{Table: "a", At: t0, Source: "watch"}, // late report of an older update
		state.TableUpdate{Table: "b", At: t0, Source: "api"},
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

// testTimesKeepNanosecondsAndComeBackInUTC: times are stored as instants;
// the zone they were given in does not survive, the nanoseconds do.
func testTimesKeepNanosecondsAndComeBackInUTC(t *testing.T, s state.Store) {
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

func testRevisionsLimitZeroListsAll(t *testing.T, s state.Store) {
	ctx := context.Background()
	for _, ref := range []string{"a", "b", "c"} {
		if _, err := s.ApplyRevision(ctx, state.Revision{Ref: ref, Source: "src", AppliedAt: time.Now()}, nil); err != nil {
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

// testRefusedAttemptIsKeptBesideTheSourceStatus: the last attempted
// revision and why it was refused survive fetches, and an applied attempt
// clears the reason.
func testRefusedAttemptIsKeptBesideTheSourceStatus(t *testing.T, s state.Store) {
	ctx := context.Background()
	t0 := time.Date(2026, 11, 25, 6, 0, 0, 0, time.UTC)
	if err := s.RecordAttempt(ctx, t0, "abc", "refusing to delete most orchestrations"); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordFetch(ctx, t0.Add(time.Minute), "abc", nil); err != nil {
		t.Fatal(err)
	}
	st, err := s.SourceStatus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.AttemptRef != "abc" || !st.AttemptAt.Equal(t0) || st.RefusedReason != "refusing to delete most orchestrations" || st.Ref != "abc" {
		t.Errorf("status after a refused attempt = %+v", st)
	}
	if err := s.RecordAttempt(ctx, t0.Add(2*time.Minute), "def", ""); err != nil {
		t.Fatal(err)
	}
	st, _ = s.SourceStatus(ctx)
	if st.AttemptRef != "def" || st.RefusedReason != "" {
		t.Errorf("status after an applied attempt = %+v", st)
	}
}

// testOrchestrationsSinceCountsTheRecentlyDeleted: orchestrations live now
// and those deleted by revisions applied after the instant are named;
// those deleted before it are not.
func testOrchestrationsSinceCountsTheRecentlyDeleted(t *testing.T, s state.Store) {
	ctx := context.Background()
	t0 := time.Date(2026, 11, 25, 6, 0, 0, 0, time.UTC)
	apply := func(at time.Time, names ...string) {
		t.Helper()
		var objs []spec.Object
		for _, n := range names {
			objs = append(objs, obj(spec.KindOrchestration, n, "1"))
		}
		if _, err := s.ApplyRevision(ctx, state.Revision{Ref: at.Format("1504"), Source: "src", AppliedAt: at}, objs); err != nil {
			t.Fatal(err)
		}
	}
	apply(t0, "old", "a", "b", "c")
	apply(t0.Add(time.Minute), "a", "b", "c")   // old deleted before the window
	apply(t0.Add(2*time.Hour), "a", "b")        // c deleted inside it
	apply(t0.Add(2*time.Hour+time.Minute), "a") // b too
	got, err := s.OrchestrationsSince(ctx, t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, " ") != "a b c" {
		t.Errorf("OrchestrationsSince = %v, want [a b c]", got)
	}
}

func testObjectRevisionIsTheLastThatChangedIt(t *testing.T, s state.Store) {
	ctx := context.Background()
	if _, err := s.ApplyRevision(ctx, state.Revision{Ref: "a", Source: "src", Author: "Ada", AppliedAt: time.Now()}, []spec.Object{
		obj(spec.KindOrchestration, "keep", "1"), obj(spec.KindOrchestration, "change", "1"),
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ApplyRevision(ctx, state.Revision{Ref: "b", Source: "src", Message: "tune", AppliedAt: time.Now()}, []spec.Object{
		obj(spec.KindOrchestration, "keep", "1"), obj(spec.KindOrchestration, "change", "2"),
	}); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"keep": "a", "change": "b"} {
		rev, err := s.ObjectRevision(ctx, spec.KindOrchestration, name)
		if err != nil || rev.Ref != want {
			t.Errorf("revision of %s = %q, %v; want %q", name, rev.Ref, err, want)
		}
	}
	if _, err := s.ObjectRevision(ctx, spec.KindOrchestration, "never"); !errors.Is(err, state.ErrNotFound) {
		t.Errorf("revision of a missing object: %v, want ErrNotFound", err)
	}
}

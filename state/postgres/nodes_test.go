package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/baton-dev/baton/internal/waitfor"
	"github.com/baton-dev/baton/state"
	"github.com/baton-dev/baton/state/postgres/pgtest"
)

// A leader last heard of before the database server restarted may have
// lost only its session to the restart: the state says when the server
// started, and a restart moves that past every heartbeat recorded before.
func TestServerStartedAtIsAfterTheHeartbeatsBeforeARestart(t *testing.T) {
	c := pgtest.New(t)
	dsn := c.NewDatabase(t)
	ctx := context.Background()
	st, err := Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	started, err := st.ServerStartedAt(ctx)
	if err != nil {
		t.Fatal(err)
	}
	beat := time.Now()
	if err := st.RecordNode(ctx, state.Node{Name: "n1", Leading: true, StartedAt: beat, HeartbeatAt: beat}); err != nil {
		t.Fatal(err)
	}
	if !started.Before(beat) {
		t.Fatalf("the server started at %v, not before a heartbeat it recorded at %v", started, beat)
	}
	if err := c.Restart(); err != nil {
		t.Fatal(err)
	}
	var restarted time.Time
	waitfor.Cond(t, "the state reachable again", func() bool {
		restarted, err = st.ServerStartedAt(ctx)
		return err == nil
	})
	nodes, err := st.Nodes(ctx)
	if err != nil || len(nodes) != 1 {
		t.Fatalf("Nodes = %v, %v; want n1", nodes, err)
	}
	if !nodes[0].HeartbeatAt.Before(restarted) {
		t.Errorf("the server restarted at %v, not after the heartbeat %v recorded before", restarted, nodes[0].HeartbeatAt)
	}
}

package statetest

import (
	"context"
	"testing"
	"time"

	"github.com/baton-dev/baton/state"
)

// testNodesKeepTheirLatestHeartbeat: a node is added on its first
// heartbeat, later ones replace what it said (leading or not, slots), and
// another handle sees every node by name.
func testNodesKeepTheirLatestHeartbeat(t *testing.T, open func() state.Store) {
	ctx := context.Background()
	a, b := open(), open()
	t0 := time.Date(2026, 11, 26, 10, 0, 0, 123456789, time.UTC)
	if err := a.RecordNode(ctx, state.Node{Name: "vm-2", Process: "pid 2 on vm-2", Slots: 2, StartedAt: t0, HeartbeatAt: t0}); err != nil {
		t.Fatal(err)
	}
	if err := a.RecordNode(ctx, state.Node{Name: "vm-1", Process: "pid 1 on vm-1", Slots: 4, StartedAt: t0, HeartbeatAt: t0}); err != nil {
		t.Fatal(err)
	}
	later := t0.Add(5 * time.Second)
	if err := a.RecordNode(ctx, state.Node{Name: "vm-1", Process: "pid 1 on vm-1", Slots: 3, Leading: true, StartedAt: t0, HeartbeatAt: later}); err != nil {
		t.Fatal(err)
	}
	nodes, err := b.Nodes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(nodes) != 2 || nodes[0].Name != "vm-1" || nodes[1].Name != "vm-2" {
		t.Fatalf("Nodes = %+v, want vm-1 and vm-2 by name", nodes)
	}
	n := nodes[0]
	if !n.Leading || n.Slots != 3 || !n.HeartbeatAt.Equal(later) || !n.StartedAt.Equal(t0) || n.Process != "pid 1 on vm-1" {
		t.Errorf("vm-1 = %+v, want its latest heartbeat: leading, 3 slots, at %s", n, later)
	}
	if nodes[1].Leading || !nodes[1].StoppedAt.IsZero() {
		t.Errorf("vm-2 = %+v, want a standby that has not stopped", nodes[1])
	}
}

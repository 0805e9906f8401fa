package state

import (
	"context"
	"time"
)

// Node is one baton watch process sharing the state with others, each
// named with --node. One of them leads: it holds the executor lease, so it
// applies revisions, fires schedules and triggers and runs the queue; the
// others stand by to take over when it is lost.
type Node struct {
	Name string `json:"name"`
	// Process says where the node runs ("pid 42 on host"), for people.
	Process string `json:"process"`
	// Slots is how many task processes the node runs at once.
	Slots       int       `json:"slots"`
	Leading     bool      `json:"leading"`
	StartedAt   time.Time `json:"started_at"`
	HeartbeatAt time.Time `json:"heartbeat_at"`
	// StoppedAt is set when the node stopped cleanly.
	StoppedAt time.Time `json:"stopped_at,omitzero"`
}

// NodeStore is the registry of nodes and their heartbeats.
type NodeStore interface {
	// RecordNode records a node's heartbeat (and whether it leads),
	// adding the node when it is new.
	RecordNode(ctx context.Context, n Node) error
	// Nodes lists the nodes by name.
	Nodes(ctx context.Context) ([]Node, error)
}

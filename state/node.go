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

// LostAfter is how old a node's heartbeat may be before the node counts
// as lost (baton nodes --lost-after changes it for the listing).
const LostAfter = 30 * time.Second

// Node statuses, as baton nodes and the metrics show them.
const (
	NodeLeading = "leading"
	NodeStandby = "standby"
	NodeStopped = "stopped"
	NodeLost    = "lost"
)

// Status says whether n leads, stands by, stopped cleanly or is lost (no
// heartbeat for longer than lostAfter) at now.
func (n Node) Status(now time.Time, lostAfter time.Duration) string {
	switch {
	case !n.StoppedAt.IsZero():
		return NodeStopped
	case now.Sub(n.HeartbeatAt) > lostAfter:
		return NodeLost
	case n.Leading:
		return NodeLeading
	}
	return NodeStandby
}

// RunningByNode counts the task processes running on each node, given
// the task jobs processing now: the leading node runs them all. A task
// that runs an orchestration has no process (and no log).
func RunningByNode(nodes []Node, processing []Job, now time.Time, lostAfter time.Duration) map[string]int {
	out := make(map[string]int, len(nodes))
	leader := ""
	for _, n := range nodes {
		out[n.Name] = 0
		if n.Status(now, lostAfter) == NodeLeading {
			leader = n.Name
		}
	}
	if leader == "" {
		return out
	}
	for _, j := range processing {
		if j.Kind == KindTaskJob && j.Status == JobProcessing && j.LogPath != "" {
			out[leader]++
		}
	}
	return out
}

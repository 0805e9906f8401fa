package state

import (
	"context"
	"fmt"
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

// ServerStart is a state kept by a database server that can say when the
// server last started. A leader whose last heartbeat came before that lost
// its session to the restart, not necessarily its life: its worker may
// still run tasks.
type ServerStart interface {
	ServerStartedAt(ctx context.Context) (time.Time, error)
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

// RunningByNode counts the task processes running on each node. With a
// state that hands tasks to nodes, each started assignment without an
// outcome counts for its node; otherwise the leading node runs every task
// job processing now (one that runs an orchestration has no process and
// no log, and does not count).
func RunningByNode(ctx context.Context, st Store, nodes []Node, now time.Time, lostAfter time.Duration) (map[string]int, error) {
	out := make(map[string]int, len(nodes))
	leader := ""
	for _, n := range nodes {
		out[n.Name] = 0
		if n.Status(now, lostAfter) == NodeLeading {
			leader = n.Name
		}
	}
	if as, ok := st.(AssignmentStore); ok {
		list, err := as.Assignments(ctx)
		if err != nil {
			return nil, fmt.Errorf("count running tasks: %w", err)
		}
		for _, a := range list {
			if a.Result == nil && !a.StartedAt.IsZero() {
				out[a.Node]++
			}
		}
		return out, nil
	}
	if leader == "" {
		return out, nil
	}
	processing, err := st.ListJobs(ctx, JobFilter{Kind: KindTaskJob, Statuses: []JobStatus{JobProcessing}})
	if err != nil {
		return nil, fmt.Errorf("count running tasks: %w", err)
	}
	for _, j := range processing {
		if j.LogPath != "" {
			out[leader]++
		}
	}
	return out, nil
}

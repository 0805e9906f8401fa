package controller

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/baton-dev/baton/executor"
	"github.com/baton-dev/baton/state"
)

// Node is one of several baton watch processes that share a state (a
// PostgreSQL database). One leads: it holds the executor lease, so it
// alone applies revisions, fires schedules and triggers and decides which
// task runs when; the rules of a single machine hold because one
// dispatcher decides. With a state that hands tasks to nodes (the
// executor's Cluster), every node's worker runs the tasks it is handed;
// the others stand by for the lead and take it when the leader is lost.
type Node struct {
	Name string
	// Slots caps the task processes this node runs.
	Slots int
	// Heartbeat is how often the node records that it is alive (default
	// 5 s); Standby how often a standby tries to take the lead (default
	// 2 s).
	Heartbeat time.Duration
	Standby   time.Duration
}

func (n *Node) process() string { return ProcessName() }

// ProcessName names this process among a cluster's nodes, and this
// incarnation of it: "pid 42 on host since 15:04:05.000".
func ProcessName() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("pid %d on %s since %s", os.Getpid(), host, started.UTC().Format("2006-01-02T15:04:05.000Z"))
}

var started = time.Now()

// runNode leads when it can and stands by when another node leads, until
// ctx ends. A lost lease (this node cut off from the database) stops its
// tasks at once and makes it a standby again; it never exits for it.
func (w *Controller) runNode(ctx context.Context) error {
	n := w.Node
	if n.Heartbeat <= 0 {
		n.Heartbeat = 5 * time.Second
	}
	if n.Standby <= 0 {
		n.Standby = 2 * time.Second
	}
	store := w.Reconciler.Store
	process := n.process()
	if cl := w.Executor.Cluster(); cl != nil {
		process = cl.Process
		// Heartbeats come often enough that a live node is never taken
		// for lost.
		n.Heartbeat = min(n.Heartbeat, max(cl.Lease/4, 100*time.Millisecond))
	}
	beat := &nodeBeat{store: store, node: state.Node{Name: n.Name, Process: process, Slots: n.Slots, StartedAt: w.Clock.Now()}, w: w}
	beatCtx, stopBeat := context.WithCancel(context.WithoutCancel(ctx))
	beatDone := make(chan struct{})
	beating := false
	// The heartbeat starts once the node knows whether it leads or
	// stands by (and has said so), so baton nodes never shows a role the
	// node has not taken yet.
	startBeat := func() {
		if !beating {
			beating = true
			go func() { defer close(beatDone); beat.run(beatCtx, n.Heartbeat) }()
		}
	}
	// The worker runs this node's tasks whether it leads or stands by; it
	// has stored how they ended before the node records its stop.
	workDone := make(chan struct{})
	if w.Executor.Cluster() != nil {
		go func() {
			defer close(workDone)
			if err := w.Executor.Work(ctx, w.Grace); err != nil {
				w.Logger.Error("the node's worker stopped", "node", n.Name, "error", err)
			}
		}()
	} else {
		close(workDone)
	}
	defer func() {
		<-workDone
		stopBeat()
		if beating {
			<-beatDone
		}
		beat.stopped(context.WithoutCancel(ctx))
	}()

	standing := false
	for {
		lease, err := store.AcquireExecutor(ctx, fmt.Sprintf("node %s (%s)", n.Name, beat.node.Process))
		switch {
		case ctx.Err() != nil:
			return nil
		case errors.Is(err, state.ErrBusy):
			if !standing {
				w.Logger.Info("standing by: another node leads", "node", n.Name, "leader", err.Error())
				standing = true
			}
			startBeat()
			if !w.sleep(ctx, n.Standby) {
				return nil
			}
			continue
		case err != nil:
			w.Logger.Error("cannot reach the state to take the lead; trying again", "node", n.Name, "error", err)
			startBeat()
			if !w.sleep(ctx, n.Standby) {
				return nil
			}
			continue
		}
		standing = false
		lost := beat.takeLead(ctx)
		w.Logger.Info("leading", "node", n.Name, "previous_leader_lost", lost)
		startBeat()
		err = w.lead(ctx, executor.RunOptions{Grace: w.Grace, Lease: lease, LostNode: lost})
		beat.leading.Store(false)
		if relErr := lease.Release(); relErr != nil {
			w.Logger.Debug("release the executor lease", "error", relErr)
		}
		if ctx.Err() != nil {
			return w.stopped(err)
		}
		if errors.Is(err, executor.ErrLeaseLost) {
			if w.Executor.Cluster() != nil {
				w.Logger.Error("lost the lead: standing by; the tasks of the nodes run on", "node", n.Name)
			} else {
				w.Logger.Error("lost the lead: this node's tasks were stopped; standing by", "node", n.Name)
			}
			continue
		}
		// Anything else that ended the lead (the database going away
		// while the executor started, say) is no reason for a node to
		// exit: another node, or this one, leads again when it can.
		w.Logger.Error("the lead ended; standing by", "node", n.Name, "error", err)
		if !w.sleep(ctx, n.Standby) {
			return nil
		}
	}
}

// sleep waits d on the controller's clock; false when ctx ended first.
func (w *Controller) sleep(ctx context.Context, d time.Duration) bool {
	t := w.Clock.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C():
		return true
	}
}

// nodeBeat records the node's heartbeat in the state.
type nodeBeat struct {
	store   state.Store
	node    state.Node
	leading atomic.Bool
	w       *Controller
	// mu orders the heartbeat's records and takeLead's: a beat that read
	// "standby" must not land after the record that says "leading".
	mu sync.Mutex
}

func (b *nodeBeat) record(ctx context.Context) {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := b.node
	n.Leading = b.leading.Load()
	n.HeartbeatAt = b.w.Clock.Now()
	if err := b.store.RecordNode(ctx, n); err != nil {
		b.w.Logger.Warn("record the node's heartbeat", "node", n.Name, "error", err)
		return
	}
	b.w.Executor.HeartbeatRecorded(n.HeartbeatAt)
}

func (b *nodeBeat) run(ctx context.Context, every time.Duration) {
	for {
		b.record(ctx)
		if !b.w.sleep(ctx, every) {
			return
		}
	}
}

// takeLead marks this node leading and any other node that was leading as
// not: it was lost, since this node could take the lease. It returns the
// lost node's name ("" when there was none).
func (b *nodeBeat) takeLead(ctx context.Context) string {
	b.leading.Store(true)
	lost := ""
	nodes, err := b.store.Nodes(ctx)
	if err != nil {
		b.w.Logger.Warn("read the nodes", "error", err)
	}
	var restarted time.Time
	if ss, ok := b.store.(state.ServerStart); ok {
		if restarted, err = ss.ServerStartedAt(ctx); err != nil {
			b.w.Logger.Warn("read when the database server started", "error", err)
		}
	}
	for _, other := range nodes {
		if other.Leading && other.Name != b.node.Name {
			if leaderLost(other, restarted) {
				lost = other.Name
			} else {
				b.w.Logger.Info("the node that led lost its session to a restart of the database; its tasks are lost only if it stays unheard of for the lease", "node", other.Name)
			}
			other.Leading = false
			if err := b.store.RecordNode(ctx, other); err != nil {
				b.w.Logger.Warn("record that a node no longer leads", "node", other.Name, "error", err)
			}
		}
	}
	b.record(ctx)
	return lost
}

// leaderLost says whether the node that led until this one could take the
// lead is lost, so that its lease counts from its own last heartbeat: its
// session ended while the database server ran (it died or was cut off). A
// leader last heard of before the server restarted may live on, its worker
// running its tasks: its lease counts from the new lead, as every node's.
// Where the node's clock and the server's differ, the rule errs to one of
// the two counts, both safe: the second only finds a dead leader later.
func leaderLost(leader state.Node, serverStarted time.Time) bool {
	return serverStarted.IsZero() || !leader.HeartbeatAt.Before(serverStarted)
}

// stopped records a clean stop, so baton nodes does not call it lost.
func (b *nodeBeat) stopped(ctx context.Context) {
	n := b.node
	n.HeartbeatAt = b.w.Clock.Now()
	n.StoppedAt = n.HeartbeatAt
	if err := b.store.RecordNode(ctx, n); err != nil {
		b.w.Logger.Warn("record the node's stop", "node", n.Name, "error", err)
	}
}

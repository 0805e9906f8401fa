package executor

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/baton-dev/baton/state"
)

// Cluster makes an executor one node of several that share a state (a
// PostgreSQL database). The leading node's dispatcher decides everything,
// exactly as on one machine, and hands each task it starts to a node with
// a free slot through the state; every node's worker (Work) runs the
// processes it is handed and reports how they ended. Deciding in one place
// keeps every rule of a single machine; running anywhere spreads the load.
type Cluster struct {
	Store state.AssignmentStore
	// Node is this node's name.
	Node string
	// Process names this incarnation of the node ("pid 42 on host"): a
	// node that restarts knows the tasks its previous incarnation ran.
	Process string
	// Lease is how long a node may go unheard of (no heartbeat) while the
	// state is reachable before its tasks end terminated as lost; a
	// worker that cannot reach the state for most of this long stops its
	// processes itself, so that no task runs on two nodes. Default 30 s.
	Lease time.Duration
}

// DefaultLease is the lease time of a node when none is set.
const DefaultLease = 30 * time.Second

func (c *Cluster) lease() time.Duration {
	if c.Lease > 0 {
		return c.Lease
	}
	return DefaultLease
}

// nodesEvery is how often the leading dispatcher reads the nodes' heartbeats
// (for their slots and to find lost ones); it never polls faster when idle.
func (c *Cluster) nodesEvery() time.Duration {
	return min(2*time.Second, max(c.lease()/6, 100*time.Millisecond))
}

// cluster is the dispatcher's view of the nodes.
type cluster struct {
	c *Cluster
	// since is when this dispatcher began to lead: a node's lease counts
	// from then at the earliest, so a state that was unreachable for a
	// while (and every heartbeat with it) does not make nodes lost.
	since time.Time
	// lostLeader is the leader whose session ended so that this one
	// could lead: its lease counts from its own last heartbeat.
	lostLeader string
	nodes      []state.Node // the live nodes, as last read
	load       map[string]int
	// What flush sends after the round's transitions are stored.
	assign []state.Assignment
	stops  map[stopReason][]state.JobID
	forget []state.JobID
	// leaseLost is set when the lead ended because the lease was lost:
	// nothing more can be stored, so the dispatcher leaves at once.
	leaseLost bool
	// handover is set when a stopping dispatcher leaves the runs to the
	// next leader instead of ending them.
	handover bool
}

func newCluster(c *Cluster, since time.Time) *cluster {
	return &cluster{c: c, since: since, load: map[string]int{}, stops: map[stopReason][]state.JobID{}}
}

// capacity is how many tasks node n runs at once: its --slots, else the
// project's limit.
func (cl *cluster) capacity(n state.Node, limit int) int {
	if n.Slots > 0 {
		return n.Slots
	}
	return limit
}

// place picks the live node with the most free slots (this node first on
// a tie, then by name); "" when every slot is taken.
func (cl *cluster) place(limit int) string {
	best, bestFree := "", 0
	for _, n := range cl.nodes {
		free := cl.capacity(n, limit) - cl.load[n.Name]
		if free > bestFree || (free == bestFree && free > 0 && n.Name == cl.c.Node) {
			best, bestFree = n.Name, free
		}
	}
	return best
}

func (cl *cluster) slots(limit int) int {
	total := 0
	for _, n := range cl.nodes {
		total += cl.capacity(n, limit)
	}
	return total
}

// lost says whether node n, as last recorded, is lost at now.
func (cl *cluster) lost(n state.Node, now time.Time) bool {
	if !n.StoppedAt.IsZero() {
		return true
	}
	heard := n.HeartbeatAt
	if heard.Before(cl.since) && n.Name != cl.lostLeader {
		heard = cl.since
	}
	return now.Sub(heard) > cl.c.lease()
}

// refreshNodes reads the nodes, ends the tasks of lost ones as terminated
// and lets waiting tasks use the slots of new ones.
func (d *dispatcher) refreshNodes(ctx context.Context) error {
	nodes, err := d.e.store.Nodes(ctx)
	if err != nil {
		d.e.cfg.Logger.Warn("read the nodes; trying again", "error", err)
		return nil
	}
	now := d.now()
	live := nodes[:0]
	heard := map[string]time.Time{}
	for _, n := range nodes {
		heard[n.Name] = n.HeartbeatAt
		if !d.cl.lost(n, now) {
			live = append(live, n)
		}
	}
	d.cl.nodes = live
	ids := make([]state.JobID, 0, len(d.running))
	for id, t := range d.running {
		if t.node != "" && !slices.ContainsFunc(live, func(n state.Node) bool { return n.Name == t.node }) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	for _, id := range ids {
		t := d.running[id]
		d.e.cfg.Logger.Error("node lost: its task ends terminated", "node", t.node, "job", id, "last_heartbeat", heard[t.node])
		res := taskResult{jobID: id, status: state.JobTerminated, message: fmt.Sprintf("terminated: node %s lost while the job was running", t.node)}
		res.finishedAt = lostAt(heard[t.node], t.job.StartedAt, now)
		if err := d.taskDone(ctx, res); err != nil {
			return err
		}
	}
	return nil
}

// collectResults records the outcomes the nodes reported. Once this node's
// worker is gone (the node stops), a task handed to it that it never
// answered ends here: nothing runs it.
func (d *dispatcher) collectResults(ctx context.Context) error {
	if err := d.collectReported(ctx); err != nil {
		return err
	}
	if !d.draining || d.e.Working() {
		return nil
	}
	var orphans []state.JobID
	for id, t := range d.running {
		if t.node == d.cl.c.Node {
			orphans = append(orphans, id)
		}
	}
	slices.Sort(orphans)
	for _, id := range orphans {
		msg := fmt.Sprintf("terminated: node %s stopped", d.cl.c.Node)
		if err := d.taskDone(ctx, taskResult{jobID: id, status: state.JobTerminated, message: msg}); err != nil {
			return err
		}
	}
	return nil
}

func (d *dispatcher) collectReported(ctx context.Context) error {
	as, err := d.cl.c.Store.Assignments(ctx)
	if err != nil {
		// The next tick or notification reads them again.
		d.e.cfg.Logger.Warn("read the outcomes nodes reported; trying again", "error", err)
		return nil
	}
	for _, a := range as {
		if a.Result == nil {
			continue
		}
		t := d.running[a.JobID]
		if t == nil || t.node != a.Node {
			// Ended otherwise (its node was declared lost): forget it.
			d.cl.forget = append(d.cl.forget, a.JobID)
			continue
		}
		r := a.Result
		res := taskResult{jobID: a.JobID, status: r.Status, message: r.Message, exitCode: r.ExitCode, pid: r.PID, finishedAt: r.FinishedAt, logPath: r.LogPath}
		if err := d.taskDone(ctx, res); err != nil {
			return err
		}
	}
	return nil
}

// assign hands a task that was just recorded processing to node.
func (d *dispatcher) assign(t *task, node string) {
	t.node = node
	d.cl.load[node]++
	d.cl.assign = append(d.cl.assign, state.Assignment{JobID: t.job.ID, RunID: t.run.job.ID, Node: node, AssignedAt: d.now()})
}

// unassign releases the slot of a task that ended; its assignment is
// forgotten once the end is stored.
func (d *dispatcher) unassign(t *task) {
	d.cl.load[t.node]--
	d.cl.forget = append(d.cl.forget, t.job.ID)
}

// stopTask ends a running task's process: in this process, or by asking
// the node that runs it.
func (d *dispatcher) stopTask(t *task, reason stopReason) {
	if t.stop == nil || t.stopReason != stopNone {
		return
	}
	t.stopReason = reason
	if t.node != "" {
		d.cl.stops[reason] = append(d.cl.stops[reason], t.job.ID)
		return
	}
	close(t.stop)
}

// sendToNodes stores what this round hands to, asks of and takes back from
// the nodes, after its transitions were stored.
func (d *dispatcher) sendToNodes() error {
	cl := d.cl
	if len(cl.assign) > 0 {
		if err := d.e.storeRetrying(d.stop, "hand tasks to nodes", func(ctx context.Context) error {
			return cl.c.Store.Assign(ctx, cl.assign)
		}); err != nil {
			return err
		}
		for _, a := range cl.assign {
			if a.Node == cl.c.Node {
				d.e.pokeWorker()
				break
			}
		}
		cl.assign = cl.assign[:0]
	}
	reasons := make([]stopReason, 0, len(cl.stops))
	for r := range cl.stops {
		reasons = append(reasons, r)
	}
	slices.SortFunc(reasons, cmp.Compare)
	for _, r := range reasons {
		ids := cl.stops[r]
		if err := d.e.storeRetrying(d.stop, "ask nodes to stop tasks", func(ctx context.Context) error {
			return cl.c.Store.StopAssignments(ctx, ids, r.String())
		}); err != nil {
			return err
		}
		delete(cl.stops, r)
	}
	if len(cl.forget) > 0 {
		if err := d.e.storeRetrying(d.stop, "forget ended task assignments", func(ctx context.Context) error {
			return cl.c.Store.DeleteAssignments(ctx, cl.forget)
		}); err != nil {
			return err
		}
		cl.forget = cl.forget[:0]
	}
	return nil
}

func (r stopReason) String() string {
	switch r {
	case stopCancel:
		return "cancel"
	case stopShutdown:
		return "shutdown"
	}
	return ""
}

func parseStopReason(s string) stopReason {
	switch s {
	case "cancel":
		return stopCancel
	case "shutdown":
		return stopShutdown
	}
	return stopNone
}

// clusterWaitReason says why a task waits when the project's limit would
// let it start but no live node has a free slot.
func (d *dispatcher) clusterWaitReason() string {
	return fmt.Sprintf("waiting for a free slot: %d task processes are running on %d node(s) with %d slot(s) in all", d.procs, len(d.cl.nodes), d.cl.slots(d.limit))
}

// watchCluster ticks for the nodes' heartbeats and signals reported
// outcomes: a node's notification, or this node's worker directly.
func (d *dispatcher) watchCluster(ctx context.Context) (nodes, results <-chan struct{}, stop func()) {
	tick := make(chan struct{}, 1)
	merged := make(chan struct{}, 1)
	signal := func(ch chan struct{}) {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
	watchCtx, cancel := context.WithCancel(ctx)
	var notified <-chan struct{}
	stopWatch := func() {}
	if ch, stopFn, err := d.cl.c.Store.WatchResults(watchCtx); err != nil {
		d.e.cfg.Logger.Warn("listen for the outcomes nodes report; reading them every few seconds instead", "error", err)
	} else {
		notified, stopWatch = ch, stopFn
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		every := d.cl.c.nodesEvery()
		timer := d.e.clock.NewTimer(every)
		defer timer.Stop()
		for {
			select {
			case <-watchCtx.Done():
				return
			case <-timer.C():
				signal(tick)
				timer.Reset(every)
			case <-notified:
				signal(merged)
			case <-d.e.localResults:
				signal(merged)
			}
		}
	}()
	// The first look happens at once: outcomes reported while no node led.
	signal(tick)
	return tick, merged, func() { cancel(); <-done; stopWatch() }
}

// otherNodesLive reports whether a node other than this one is alive to
// take the lead over; when the nodes cannot be read, it assumes so.
func (d *dispatcher) otherNodesLive(ctx context.Context) bool {
	nodes, err := d.e.store.Nodes(ctx)
	if err != nil {
		return true
	}
	now := d.now()
	for _, n := range nodes {
		if n.Name != d.cl.c.Node && !d.cl.lost(n, now) {
			return true
		}
	}
	return false
}

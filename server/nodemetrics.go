package server

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/baton-dev/baton/clock"
	"github.com/baton-dev/baton/state"
)

// nodeCollector reads the nodes that share the state (baton watch --node)
// from the nodes table at scrape time, so every node serves the figures of
// all of them.
type nodeCollector struct {
	store state.Store
	clock clock.Clock

	up, leader, slots, running, age *prometheus.Desc
}

func newNodeCollector(store state.Store, c clock.Clock) *nodeCollector {
	label := []string{"node"}
	return &nodeCollector{
		store:   store,
		clock:   c,
		up:      prometheus.NewDesc("baton_node_up", "1 while the node's heartbeat is fresh (younger than 30 s) and it has not stopped.", label, nil),
		leader:  prometheus.NewDesc("baton_node_leader", "1 for the node that leads (applies, fires and runs the queue).", label, nil),
		slots:   prometheus.NewDesc("baton_node_slots", "Task processes the node runs at once (--slots; 0 means the project's max_parallel_jobs).", label, nil),
		running: prometheus.NewDesc("baton_node_running_tasks", "Task processes running on the node now.", label, nil),
		age:     prometheus.NewDesc("baton_node_heartbeat_age_seconds", "Time since the node's last heartbeat.", label, nil),
	}
}

func (c *nodeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.up, c.leader, c.slots, c.running, c.age} {
		ch <- d
	}
}

func (c *nodeCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	nodes, err := c.store.Nodes(ctx)
	if err != nil || len(nodes) == 0 {
		return
	}
	now := c.clock.Now()
	running, err := state.RunningByNode(ctx, c.store, nodes, now, state.LostAfter)
	if err != nil {
		return
	}
	for _, n := range nodes {
		status := n.Status(now, state.LostAfter)
		gauge := func(d *prometheus.Desc, v float64) {
			ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, n.Name)
		}
		gauge(c.up, boolValue(status == state.NodeLeading || status == state.NodeStandby))
		gauge(c.leader, boolValue(status == state.NodeLeading))
		gauge(c.slots, float64(n.Slots))
		gauge(c.running, float64(running[n.Name]))
		gauge(c.age, max(now.Sub(n.HeartbeatAt).Seconds(), 0))
	}
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

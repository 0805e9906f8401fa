package server

import (
	"context"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/baton-dev/baton/clock"
	"github.com/baton-dev/baton/executor"
	"github.com/baton-dev/baton/state"
)

// collector reads its figures from the state at scrape time, so that they
// are right whichever process ran the jobs.
type collector struct {
	store state.Store
	clock clock.Clock

	jobs, queue, waiting, active, processes, revision, lastSuccess, stale, refused, lateness, loops, suspended *prometheus.Desc
}

func newCollector(store state.Store, c clock.Clock) *collector {
	return &collector{
		store:       store,
		clock:       c,
		jobs:        prometheus.NewDesc("baton_jobs", "Orchestration jobs by status (the last 1000).", []string{"status"}, nil),
		queue:       prometheus.NewDesc("baton_queue_depth", "Jobs created or waiting, not yet running.", nil, nil),
		waiting:     prometheus.NewDesc("baton_waiting_jobs", "Jobs waiting for another job of their configuration.", nil, nil),
		lastSuccess: prometheus.NewDesc("baton_last_successful_fetch_timestamp_seconds", "When the source was last fetched successfully.", nil, nil),
		stale:       prometheus.NewDesc("baton_source_stale_seconds", "How long fetching the source has failed (0 when it works).", nil, nil),
		refused:     prometheus.NewDesc("baton_revision_refused", "1 when the last revision apply tried was refused (invalid, or a guard such as a mass delete); baton revisions says why.", nil, nil),
		active:      prometheus.NewDesc("baton_active_jobs", "Orchestration jobs not yet ended, by status (created, waiting, processing).", []string{"status"}, nil),
		processes:   prometheus.NewDesc("baton_running_task_processes", "Task processes running now.", nil, nil),
		revision:    prometheus.NewDesc("baton_revision_info", "The applied revision (value 1).", []string{"revision"}, nil),
		loops:       prometheus.NewDesc("baton_trigger_loops", "Event jobs not run because their chain of triggers came back to their orchestration (of the last 1000 jobs).", []string{"orchestration"}, nil),
		suspended:   prometheus.NewDesc("baton_orchestration_suspended", "1 for each orchestration suspended with baton suspend: its schedules and trigger do not fire.", []string{"orchestration"}, nil),
		lateness:    prometheus.NewDesc("baton_schedule_lateness_seconds", "From the due instant of an orchestration's last schedule fire to the start of its job.", []string{"orchestration"}, nil),
	}
}

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.jobs, c.queue, c.waiting, c.active, c.processes, c.revision, c.lastSuccess, c.stale, c.refused, c.lateness, c.loops, c.suspended} {
		ch <- d
	}
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if jobs, err := c.store.ListJobs(ctx, state.JobFilter{Kind: state.KindOrchestrationJob, Limit: 1000}); err == nil {
		counts := map[state.JobStatus]int{}
		loops := map[string]int{}
		for _, j := range jobs {
			counts[j.Status]++
			if executor.LoopStopped(j) {
				loops[j.Orchestration]++
			}
		}
		for o, n := range loops {
			ch <- prometheus.MustNewConstMetric(c.loops, prometheus.GaugeValue, float64(n), o)
		}
		for st, n := range counts {
			ch <- prometheus.MustNewConstMetric(c.jobs, prometheus.GaugeValue, float64(n), string(st))
		}
	}
	if active, err := c.store.ActiveJobs(ctx); err == nil {
		var queued, waiting, processes int
		byStatus := map[state.JobStatus]int{state.JobCreated: 0, state.JobWaiting: 0, state.JobProcessing: 0}
		for _, j := range active {
			if j.Kind != state.KindOrchestrationJob {
				// A task that runs an orchestration has no log: no process.
				if j.Status == state.JobProcessing && j.LogPath != "" {
					processes++
				}
				continue
			}
			byStatus[j.Status]++
			switch j.Status {
			case state.JobCreated:
				queued++
			case state.JobWaiting:
				queued++
				waiting++
			}
		}
		ch <- prometheus.MustNewConstMetric(c.queue, prometheus.GaugeValue, float64(queued))
		ch <- prometheus.MustNewConstMetric(c.waiting, prometheus.GaugeValue, float64(waiting))
		ch <- prometheus.MustNewConstMetric(c.processes, prometheus.GaugeValue, float64(processes))
		for st, n := range byStatus {
			ch <- prometheus.MustNewConstMetric(c.active, prometheus.GaugeValue, float64(n), string(st))
		}
	}
	if rev, err := c.store.CurrentRevision(ctx); err == nil {
		ch <- prometheus.MustNewConstMetric(c.revision, prometheus.GaugeValue, 1, rev.Ref)
	}
	c.collectLateness(ctx, ch)
	if st, err := c.store.SourceStatus(ctx); err == nil {
		if !st.LastSuccessAt.IsZero() {
			ch <- prometheus.MustNewConstMetric(c.lastSuccess, prometheus.GaugeValue, float64(st.LastSuccessAt.Unix()))
		}
		stale := 0.0
		if !st.StaleSince.IsZero() {
			stale = c.clock.Now().Sub(st.StaleSince).Seconds()
		}
		ch <- prometheus.MustNewConstMetric(c.stale, prometheus.GaugeValue, stale)
		refused := 0.0
		if st.RefusedReason != "" {
			refused = 1
		}
		ch <- prometheus.MustNewConstMetric(c.refused, prometheus.GaugeValue, refused)
	}
	if list, err := c.store.Suspensions(ctx); err == nil {
		for _, sp := range list {
			ch <- prometheus.MustNewConstMetric(c.suspended, prometheus.GaugeValue, 1, sp.Orchestration)
		}
	}
}

func (c *collector) collectLateness(ctx context.Context, ch chan<- prometheus.Metric) {
	fires, err := c.store.LastFires(ctx)
	if err != nil {
		return
	}
	last := map[string]time.Time{}
	for key, at := range fires {
		if strings.HasPrefix(key[1], executor.TriggerKeyPrefix) {
			continue // when a trigger came into force, not a schedule fire
		}
		if at.After(last[key[0]]) {
			last[key[0]] = at
		}
	}
	for orch, at := range last {
		jobs, err := c.store.ListJobs(ctx, state.JobFilter{Orchestration: orch, Kind: state.KindOrchestrationJob, Limit: 1})
		if err != nil || len(jobs) == 0 || jobs[0].Trigger != "schedule" || jobs[0].StartedAt.Before(at) {
			continue
		}
		ch <- prometheus.MustNewConstMetric(c.lateness, prometheus.GaugeValue, jobs[0].StartedAt.Sub(at).Seconds(), orch)
	}
}

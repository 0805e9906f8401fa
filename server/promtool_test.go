package server

import (
	"bytes"
	"context"
	"io"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/baton-dev/baton/clock"
	"github.com/baton-dev/baton/executor"
	"github.com/baton-dev/baton/notify"
	"github.com/baton-dev/baton/state"
)

// /metrics passes Prometheus' own linter after a job ran, the observed
// job, task, wait and fetch figures and the notification deliveries
// included as they were counted.
func TestMetricsPassPromtoolCheck(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("promtool is not installed; .ci/run installs Debian's prometheus package for it")
		}
		t.Skip("promtool is not installed (Debian: apt-get install prometheus)")
	}
	r := newRig(t)
	if _, err := r.exec.Submit(context.Background(), executor.Request{Orchestration: "ok", Trigger: executor.TriggerManual}); err != nil {
		t.Fatal(err)
	}
	r.runQueue()
	r.metrics.SourceFetched(nil)
	if err := r.store.RecordNode(context.Background(), state.Node{Name: "vm-1", Slots: 2, Leading: true, StartedAt: time.Now(), HeartbeatAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	deliveries := notify.NewDeliveryCounter()
	deliveries.WithLabelValues("ops", notify.OutcomeSent).Inc()
	deliveries.WithLabelValues("ops", notify.OutcomeUndeliverable).Inc()
	api := httptest.NewServer((&Server{Store: r.store, Clock: clock.Real(), PublicMetrics: true, Collectors: append(r.metrics.Collectors(), deliveries)}).Handler())
	defer api.Close()
	resp, err := api.Client().Get(api.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`baton_notification_deliveries_total{channel="ops",outcome="undeliverable"} 1`,
		`baton_jobs_total{orchestration="ok",status="success",trigger="manual"} 1`,
		`baton_task_duration_seconds_count 1`,
		`baton_job_duration_seconds_count{orchestration="ok"} 1`,
		`baton_job_wait_seconds_count{orchestration="ok"} 1`,
		`baton_source_fetches_total{outcome="ok"} 1`,
		`baton_revision_info{revision="r1"} 1`,
		`baton_active_jobs{status="processing"} 0`,
		`baton_running_task_processes 0`,
		`baton_node_up{node="vm-1"} 1`,
		`baton_node_leader{node="vm-1"} 1`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics has no %s:\n%s", want, body)
		}
	}
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = bytes.NewReader(body)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("promtool check metrics: %v\n%s\n--- metrics:\n%s", err, out, body)
	}
}

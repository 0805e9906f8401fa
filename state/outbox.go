package state

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/baton-dev/baton/spec"
)

// OutboxEntry is one notification to deliver.
type OutboxEntry struct {
	ID            int64
	JobID         JobID
	Channel       string
	Target        string
	Event         string
	Payload       json.RawMessage
	CreatedAt     time.Time
	Attempts      int
	NextAttemptAt time.Time
	LastError     string
}

// OutboxStore is the queue of notifications to deliver.
type OutboxStore interface {
	// AddOutbox queues notifications; one already queued for the same
	// job, channel, target and event is not queued again.
	AddOutbox(ctx context.Context, entries ...OutboxEntry) error
	// PendingOutbox lists unsent notifications due by now, oldest first;
	// limit <= 0 lists all.
	PendingOutbox(ctx context.Context, now time.Time, limit int) ([]OutboxEntry, error)
	// MarkOutboxSent records a delivery.
	MarkOutboxSent(ctx context.Context, id int64, at time.Time) error
	// MarkOutboxFailed records a failed attempt and when to try again.
	MarkOutboxFailed(ctx context.Context, id int64, next time.Time, errText string) error
	// MarkOutboxUndeliverable records the last failed attempt of a
	// notification that will not be tried again.
	MarkOutboxUndeliverable(ctx context.Context, id int64, at time.Time, errText string) error
}

// Notification is the payload of an outbox entry: the webhook body, and
// what the e-mail is written from.
type Notification struct {
	Event         spec.Event `json:"event"`
	Orchestration string     `json:"orchestration"`
	JobID         JobID      `json:"job_id"`
	Status        JobStatus  `json:"status"`
	Trigger       string     `json:"trigger"`
	TriggeredBy   string     `json:"triggered_by,omitempty"`
	Message       string     `json:"message,omitempty"`
	StartedAt     time.Time  `json:"started_at,omitzero"`
	FinishedAt    time.Time  `json:"finished_at,omitzero"`
}

// Subject is a one-line summary of a notification.
func (n Notification) Subject() string {
	return fmt.Sprintf("[baton] %s: job %d of %s ended %s", n.Event, n.JobID, n.Orchestration, n.Status)
}

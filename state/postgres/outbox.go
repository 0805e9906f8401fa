package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/baton-dev/baton/state"
)

// AddOutbox queues notifications; one already queued for the same job,
// channel, target and event is not queued again.
func (s *Store) AddOutbox(ctx context.Context, entries ...state.OutboxEntry) error {
	return s.tx(ctx, func(tx pgx.Tx) error { return addOutbox(ctx, tx, entries) })
}

func addOutbox(ctx context.Context, tx pgx.Tx, entries []state.OutboxEntry) error {
	for _, e := range entries {
		next := e.NextAttemptAt
		if next.IsZero() {
			next = e.CreatedAt
		}
		_, err := tx.Exec(ctx, `INSERT INTO notification_outbox (job_id, channel, target, event, payload, created_at, next_attempt_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (job_id, channel, target, event) DO NOTHING`,
			int64(e.JobID), e.Channel, e.Target, e.Event, string(e.Payload), toDB(e.CreatedAt), toDB(next))
		if err != nil {
			return fmt.Errorf("queue notification of job %d: %w", e.JobID, err)
		}
	}
	return nil
}

// PendingOutbox lists unsent notifications due by now, oldest first;
// limit <= 0 lists all.
func (s *Store) PendingOutbox(ctx context.Context, now time.Time, limit int) ([]state.OutboxEntry, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, job_id, channel, target, event, payload, created_at, attempts, next_attempt_at, last_error
		FROM notification_outbox WHERE sent_at IS NULL AND undeliverable_at IS NULL AND next_attempt_at <= $1 ORDER BY id LIMIT $2`, toDB(now), limitArg(limit))
	if err != nil {
		return nil, fmt.Errorf("read outbox: %w", err)
	}
	defer rows.Close()
	var out []state.OutboxEntry
	for rows.Next() {
		var e state.OutboxEntry
		var payload string
		var created, next *int64
		if err := rows.Scan(&e.ID, &e.JobID, &e.Channel, &e.Target, &e.Event, &payload, &created, &e.Attempts, &next, &e.LastError); err != nil {
			return nil, fmt.Errorf("read outbox: %w", err)
		}
		e.Payload, e.CreatedAt, e.NextAttemptAt = json.RawMessage(payload), fromDB(created), fromDB(next)
		out = append(out, e)
	}
	return out, rows.Err()
}

// MarkOutboxSent records a delivery.
func (s *Store) MarkOutboxSent(ctx context.Context, id int64, at time.Time) error {
	if _, err := s.pool.Exec(ctx, "UPDATE notification_outbox SET sent_at = $1 WHERE id = $2", toDB(at), id); err != nil {
		return fmt.Errorf("mark notification %d sent: %w", id, err)
	}
	return nil
}

// MarkOutboxFailed records a failed attempt and when to try again.
func (s *Store) MarkOutboxFailed(ctx context.Context, id int64, next time.Time, errText string) error {
	if _, err := s.pool.Exec(ctx, "UPDATE notification_outbox SET attempts = attempts + 1, next_attempt_at = $1, last_error = $2 WHERE id = $3", toDB(next), errText, id); err != nil {
		return fmt.Errorf("mark notification %d failed: %w", id, err)
	}
	return nil
}

// MarkOutboxUndeliverable records the last failed attempt of a notification
// that will not be tried again.
func (s *Store) MarkOutboxUndeliverable(ctx context.Context, id int64, at time.Time, errText string) error {
	if _, err := s.pool.Exec(ctx, "UPDATE notification_outbox SET attempts = attempts + 1, undeliverable_at = $1, last_error = $2 WHERE id = $3", toDB(at), errText, id); err != nil {
		return fmt.Errorf("mark notification %d undeliverable: %w", id, err)
	}
	return nil
}

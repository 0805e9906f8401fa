package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/baton-dev/baton/state"
)

// RecordNode records a node's heartbeat, adding the node when it is new.
func (s *Store) RecordNode(ctx context.Context, n state.Node) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO nodes (name, process, slots, is_leader, started_at, heartbeat_at, stopped_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (name) DO UPDATE SET process = $2, slots = $3, is_leader = $4, started_at = $5, heartbeat_at = $6, stopped_at = $7`,
		n.Name, n.Process, n.Slots, n.Leading, toDB(n.StartedAt), toDB(n.HeartbeatAt), toDB(n.StoppedAt))
	if err != nil {
		return fmt.Errorf("record node %s: %w", n.Name, err)
	}
	return nil
}

// Nodes lists the nodes by name.
func (s *Store) Nodes(ctx context.Context) ([]state.Node, error) {
	rows, err := s.pool.Query(ctx, "SELECT name, process, slots, is_leader, started_at, heartbeat_at, stopped_at FROM nodes ORDER BY name")
	if err != nil {
		return nil, fmt.Errorf("list nodes: %w", err)
	}
	defer rows.Close()
	var out []state.Node
	for rows.Next() {
		var n state.Node
		var started, beat, stopped *int64
		if err := rows.Scan(&n.Name, &n.Process, &n.Slots, &n.Leading, &started, &beat, &stopped); err != nil {
			return nil, fmt.Errorf("list nodes: %w", err)
		}
		n.StartedAt, n.HeartbeatAt, n.StoppedAt = fromDB(started), fromDB(beat), fromDB(stopped)
		out = append(out, n)
	}
	return out, rows.Err()
}

// ServerStartedAt is when the PostgreSQL server last started.
func (s *Store) ServerStartedAt(ctx context.Context) (time.Time, error) {
	var at time.Time
	if err := s.pool.QueryRow(ctx, "SELECT pg_postmaster_start_time()").Scan(&at); err != nil {
		return time.Time{}, fmt.Errorf("read when the server of %s started: %w", s.where, err)
	}
	return at, nil
}

package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/baton-dev/baton/state"
)

var _ state.LogStore = (*Store)(nil)

// logChunk is the size of one row of a kept log: small enough that a
// reader never holds much more than it prints.
const logChunk = 256 << 10

// StoreLog keeps the whole log of a task job in chunks, replacing what was
// kept, in one transaction.
func (s *Store) StoreLog(ctx context.Context, id state.JobID, log []byte) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "DELETE FROM task_logs WHERE job_id = $1", int64(id)); err != nil {
			return err
		}
		if log == nil {
			log = []byte{}
		}
		batch := &pgx.Batch{}
		for seq := 0; seq == 0 || seq*logChunk < len(log); seq++ {
			end := min((seq+1)*logChunk, len(log))
			batch.Queue("INSERT INTO task_logs (job_id, seq, data) VALUES ($1, $2, $3)", int64(id), seq, log[seq*logChunk:end])
		}
		return tx.SendBatch(ctx, batch).Close()
	})
	if err != nil {
		return fmt.Errorf("keep the log of job %d: %w", id, err)
	}
	return nil
}

// Log returns the kept log of a task job.
func (s *Store) Log(ctx context.Context, id state.JobID) ([]byte, bool, error) {
	rows, err := s.pool.Query(ctx, "SELECT data FROM task_logs WHERE job_id = $1 ORDER BY seq", int64(id))
	if err != nil {
		return nil, false, fmt.Errorf("read the log of job %d: %w", id, err)
	}
	defer rows.Close()
	var out []byte
	found := false
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			return nil, false, fmt.Errorf("read the log of job %d: %w", id, err)
		}
		out, found = append(out, b...), true
	}
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("read the log of job %d: %w", id, err)
	}
	return out, found, nil
}

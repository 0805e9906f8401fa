package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/baton-dev/baton/state"
)

var _ state.LogStore = (*Store)(nil)

// logChunk is the size of one row of a kept log. Every row but a log's
// last is full, so the row of an offset is offset / logChunk. A running
// task's output is appended to its last row every second, and PostgreSQL
// writes a row whole on every update: small rows keep what a slow, chatty
// task costs the database near what it prints (a 10 MiB log is 640 rows).
const logChunk = 16 << 10

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

// AppendLog writes data at offset of a task's kept log, in one
// transaction: the chunk that holds offset is cut there and extended,
// the chunks after it are written whole, and any beyond are dropped.
func (s *Store) AppendLog(ctx context.Context, id state.JobID, offset int64, data []byte) error {
	if offset < 0 {
		return fmt.Errorf("append to the log of job %d: negative offset %d", id, offset)
	}
	type piece struct{ seq, within, n int64 }
	var pieces []piece
	batch := &pgx.Batch{}
	pos, rest := offset, data
	for first := true; first || len(rest) > 0; first = false {
		p := piece{seq: pos / logChunk, within: pos % logChunk}
		p.n = min(int64(len(rest)), logChunk-p.within)
		// substring keeps the chunk's bytes before offset; a retried
		// write replaces what the first attempt left after them.
		batch.Queue(`INSERT INTO task_logs (job_id, seq, data) VALUES ($1, $2, $3)
			ON CONFLICT (job_id, seq) DO UPDATE SET data = substring(task_logs.data FROM 1 FOR $4) || excluded.data
			RETURNING length(data)`, int64(id), p.seq, rest[:p.n], p.within)
		pieces = append(pieces, p)
		pos, rest = pos+p.n, rest[p.n:]
	}
	last := pieces[len(pieces)-1].seq
	batch.Queue("DELETE FROM task_logs WHERE job_id = $1 AND seq > $2", int64(id), last)
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		br := tx.SendBatch(ctx, batch)
		for _, p := range pieces {
			var length int64
			if err := br.QueryRow().Scan(&length); err != nil {
				br.Close()
				return err
			}
			if length != p.within+p.n {
				br.Close()
				return fmt.Errorf("the kept log has a gap before offset %d; keep it whole instead", p.seq*logChunk+p.within)
			}
		}
		return br.Close()
	})
	if err != nil {
		return fmt.Errorf("append to the log of job %d: %w", id, err)
	}
	return nil
}

// Log returns the kept log of a task job from offset on, reading only the
// chunks from offset's on (and whether the first chunk exists, to tell an
// empty log from none).
func (s *Store) Log(ctx context.Context, id state.JobID, offset int64) ([]byte, bool, error) {
	if offset < 0 {
		offset = 0
	}
	from := offset / logChunk
	rows, err := s.pool.Query(ctx, `SELECT seq, CASE WHEN seq >= $2 THEN data ELSE ''::bytea END FROM task_logs
		WHERE job_id = $1 AND (seq >= $2 OR seq = 0) ORDER BY seq`, int64(id), from)
	if err != nil {
		return nil, false, fmt.Errorf("read the log of job %d: %w", id, err)
	}
	defer rows.Close()
	var out []byte
	found := false
	for rows.Next() {
		var seq int64
		var b []byte
		if err := rows.Scan(&seq, &b); err != nil {
			return nil, false, fmt.Errorf("read the log of job %d: %w", id, err)
		}
		found = true
		if seq == from {
			b = b[min(offset%logChunk, int64(len(b))):]
		}
		out = append(out, b...)
	}
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("read the log of job %d: %w", id, err)
	}
	return out, found, nil
}

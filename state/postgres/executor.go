package postgres

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/baton-dev/baton/state"
)

// A held lease pings its connection every leaseCheckEvery and counts
// itself lost when a ping fails or takes longer than leasePingTimeout. The
// server, for its part, ends a session whose peer stopped answering TCP
// keepalives (leaseKeepalives: about 25 s after the last traffic) and so
// releases the lock. The holder thus stops its tasks well before another
// node can take the lease: there are never two leaders at once.
const (
	leaseCheckEvery  = 2 * time.Second
	leasePingTimeout = 5 * time.Second
	leaseKeepalives  = "SET tcp_keepalives_idle = 10; SET tcp_keepalives_interval = 5; SET tcp_keepalives_count = 3"
)

// lease is a session advisory lock held on a connection of its own: the
// server releases it when that session ends, so a killed executor never
// blocks the next one.
type lease struct {
	conn *pgx.Conn
	lost chan struct{}
	stop chan struct{}
	done chan struct{}
	once sync.Once
}

// Lost is closed when the lease's connection is gone: the server has then
// released the lock, and another process may hold it.
func (l *lease) Lost() <-chan struct{} { return l.lost }

// Release unlocks and closes the lease's connection.
func (l *lease) Release() error {
	var err error
	l.once.Do(func() {
		close(l.stop)
		<-l.done
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, unlockErr := l.conn.Exec(ctx, "SELECT pg_advisory_unlock($1)", executorLockKey)
		err = errors.Join(unlockErr, l.conn.Close(ctx))
		if l.conn.IsClosed() && unlockErr != nil {
			err = nil // the session is gone, and its lock with it
		}
	})
	return err
}

func (l *lease) watch() {
	defer close(l.done)
	t := time.NewTicker(leaseCheckEvery)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), leasePingTimeout)
			err := l.conn.Ping(ctx)
			cancel()
			if err != nil {
				close(l.lost)
				return
			}
		}
	}
}

// connect opens a connection outside the pool, for a session that must
// last: the lease and the LISTEN of wake-ups.
func (s *Store) connect(ctx context.Context) (*pgx.Conn, error) {
	return pgx.ConnectConfig(ctx, s.pool.Config().ConnConfig.Copy())
}

// AcquireExecutor takes the executor lease for holder; it fails with an
// error wrapping ErrBusy while another session holds it.
func (s *Store) AcquireExecutor(ctx context.Context, holder string) (state.Lease, error) {
	conn, err := s.connect(ctx)
	if err != nil {
		return nil, fmt.Errorf("take the executor lease in %s: %w", s.where, err)
	}
	var ok bool
	if err := conn.QueryRow(ctx, "SELECT pg_try_advisory_lock($1)", executorLockKey).Scan(&ok); err != nil {
		conn.Close(ctx)
		return nil, fmt.Errorf("take the executor lease in %s: %w", s.where, err)
	}
	if !ok {
		conn.Close(ctx)
		who := "another process"
		var h string
		if err := s.pool.QueryRow(ctx, "SELECT holder FROM executor_lease WHERE id = 1").Scan(&h); err == nil && h != "" {
			who = h
		}
		return nil, fmt.Errorf("%w (%s holds the executor lease of %s); jobs you submit are picked up by it, or stop it first", state.ErrBusy, who, s.where)
	}
	if _, err := conn.Exec(ctx, leaseKeepalives); err != nil {
		conn.Close(ctx)
		return nil, fmt.Errorf("take the executor lease in %s: %w", s.where, err)
	}
	if holder != "" {
		if _, err := conn.Exec(ctx, `INSERT INTO executor_lease (id, holder, acquired_at) VALUES (1, $1, $2)
			ON CONFLICT (id) DO UPDATE SET holder = $1, acquired_at = $2`, holder, time.Now().UnixNano()); err != nil {
			conn.Close(ctx)
			return nil, fmt.Errorf("record the executor lease's holder: %w", err)
		}
	}
	l := &lease{conn: conn, lost: make(chan struct{}), stop: make(chan struct{}), done: make(chan struct{})}
	go l.watch()
	return l, nil
}

// ExecutorRunning tries the lease and gives it back at once.
func (s *Store) ExecutorRunning(ctx context.Context) (bool, error) {
	l, err := s.AcquireExecutor(ctx, "")
	if errors.Is(err, state.ErrBusy) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	return false, l.Release()
}

// Wake notifies every session that listens for wake-ups.
func (s *Store) Wake(ctx context.Context) error {
	if _, err := s.pool.Exec(ctx, "SELECT pg_notify($1, '')", wakeChannel); err != nil {
		return fmt.Errorf("wake the executor: %w", err)
	}
	return nil
}

// reconnectEvery is how long WatchWake waits before it listens again
// after its connection was lost.
const reconnectEvery = time.Second

// WatchWake listens for wake-ups on a connection of its own.
func (s *Store) WatchWake(ctx context.Context) (<-chan struct{}, func(), error) {
	return s.watch(ctx, wakeChannel, nil)
}

// watch listens on channel on a connection of its own and signals for
// every notification whose payload keep accepts (nil: every one). When
// that connection is lost it connects again and signals once, since a
// notification may have been missed meanwhile.
func (s *Store) watch(ctx context.Context, channel string, keep func(payload string) bool) (<-chan struct{}, func(), error) {
	conn, err := s.listen(ctx, channel)
	if err != nil {
		return nil, nil, err
	}
	ch := make(chan struct{}, 1)
	signal := func() {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
	watchCtx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			if conn != nil {
				n, err := conn.WaitForNotification(watchCtx)
				if err == nil {
					if keep == nil || keep(n.Payload) {
						signal()
					}
					continue
				}
				closeCtx, c := context.WithTimeout(context.Background(), time.Second)
				conn.Close(closeCtx)
				c()
				conn = nil
			}
			select {
			case <-watchCtx.Done():
				return
			case <-time.After(reconnectEvery):
			}
			if conn, _ = s.listen(watchCtx, channel); conn != nil {
				signal()
			}
		}
	}()
	return ch, func() { cancel(); <-done }, nil
}

func (s *Store) listen(ctx context.Context, channel string) (*pgx.Conn, error) {
	conn, err := s.connect(ctx)
	if err != nil {
		return nil, fmt.Errorf("listen for %s in %s: %w", channel, s.where, err)
	}
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{channel}.Sanitize()); err != nil {
		conn.Close(ctx)
		return nil, fmt.Errorf("listen for %s in %s: %w", channel, s.where, err)
	}
	return conn, nil
}

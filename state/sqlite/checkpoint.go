package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/mattn/go-sqlite3"

	"github.com/baton-dev/baton/clock"
)

// SQLite copies the write-ahead log back into the database file in the
// commit that fills it past a bound (a checkpoint), and with synchronous =
// NORMAL that copy syncs both files: on a busy disk the commit then takes
// milliseconds instead of a fraction of one, and when it is the commit of a
// burst of jobs due together, every task of the burst starts that much
// later. So the writer checkpoints only as a last resort (at
// writerCheckpointPages), and a checkpointer of its own connection copies
// the log in the background once the writes have paused.
const (
	// writerCheckpointPages bounds the log should the background fall
	// behind (SQLite's default is 1000 pages).
	writerCheckpointPages = 10000
	// checkpointQuiet is how long writes pause before the checkpoint;
	// checkpointAtMost bounds how long it waits for a pause.
	checkpointQuiet  = 100 * time.Millisecond
	checkpointAtMost = time.Second
)

// connector opens connections of the sqlite3 driver that run hook first.
type connector struct {
	dsn    string
	driver *sqlite3.SQLiteDriver
}

func (c connector) Connect(context.Context) (driver.Conn, error) { return c.driver.Open(c.dsn) }
func (c connector) Driver() driver.Driver                        { return c.driver }

// openWriter opens the writer's pool, whose commits checkpoint only past
// writerCheckpointPages.
func openWriter(dsn string) *sql.DB {
	return sql.OpenDB(connector{dsn: dsn, driver: &sqlite3.SQLiteDriver{ConnectHook: func(c *sqlite3.SQLiteConn) error {
		_, err := c.Exec(fmt.Sprintf("PRAGMA wal_autocheckpoint = %d", writerCheckpointPages), nil)
		return err
	}}})
}

// checkpointer runs the checkpoints on its own connection, a moment after
// the writes that made them due.
type checkpointer struct {
	db    *sql.DB
	clock clock.Clock
	poke  chan struct{}
	stop  chan struct{}
	done  chan struct{}
	// runs counts the checkpoints made (tests wait on it).
	runs atomic.Int64
	// ran, if set, hears of each checkpoint made (tests).
	ran chan<- struct{}
}

func newCheckpointer(db *sql.DB, c clock.Clock) *checkpointer {
	return &checkpointer{db: db, clock: c, poke: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
}

// wrote notes a commit; it never blocks.
func (c *checkpointer) wrote() {
	select {
	case c.poke <- struct{}{}:
	default:
	}
}

// run checkpoints after each pause of the writes until close.
func (c *checkpointer) run() {
	defer close(c.done)
	for {
		select {
		case <-c.poke:
		case <-c.stop:
			return
		}
		if !c.waitForPause() {
			return
		}
		// PASSIVE neither waits for nor blocks readers and the writer;
		// what it cannot copy now, the next one does.
		_, _ = c.db.Exec("PRAGMA wal_checkpoint(PASSIVE)")
		c.runs.Add(1)
		if c.ran != nil {
			c.ran <- struct{}{}
		}
	}
}

// waitForPause waits until no write came for checkpointQuiet, or
// checkpointAtMost passed; false when the checkpointer is closed.
func (c *checkpointer) waitForPause() bool {
	deadline := c.clock.NewTimer(checkpointAtMost)
	defer deadline.Stop()
	for {
		quiet := c.clock.NewTimer(checkpointQuiet)
		select {
		case <-c.poke:
			quiet.Stop()
		case <-quiet.C():
			return true
		case <-deadline.C():
			quiet.Stop()
			return true
		case <-c.stop:
			quiet.Stop()
			return false
		}
	}
}

// close stops the checkpointer and closes its connection.
func (c *checkpointer) close() error {
	close(c.stop)
	<-c.done
	return c.db.Close()
}

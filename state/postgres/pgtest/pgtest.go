// Package pgtest starts a throwaway PostgreSQL cluster for tests: initdb and
// pg_ctl from Debian's postgresql package in a temporary directory, on a free
// loopback port, stopped and removed when the test binary ends. Each test gets
// a database of its own in the one cluster of its package.
//
// Without PostgreSQL binaries the tests that need it are skipped with a
// message that says what to install; under CI (CI=true) they fail instead, so
// a CI machine that lost its PostgreSQL cannot pass by skipping.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Cluster is a running throwaway PostgreSQL server.
type Cluster struct {
	dir     string // data directory, socket directory and log live below it
	bin     string // the directory of initdb, pg_ctl and postgres
	port    int
	cred    *syscall.Credential // the postgres user, when running as root
	stopped bool
}

var (
	shared     *Cluster
	sharedErr  error
	sharedOnce sync.Once
	sharedMu   sync.Mutex
)

// Main runs a test binary and stops the shared cluster, if one was started,
// when its tests end. Use it from TestMain: os.Exit(pgtest.Main(m)).
func Main(m *testing.M) int {
	code := m.Run()
	sharedMu.Lock()
	defer sharedMu.Unlock()
	if shared != nil {
		if err := shared.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "pgtest: stop the throwaway PostgreSQL: %v\n", err)
		}
	}
	return code
}

// DSN starts the package's shared cluster on first use, creates a fresh
// database for tb and returns its connection URL. The database is dropped
// when tb ends.
func DSN(tb testing.TB) string {
	tb.Helper()
	return Shared(tb).NewDatabase(tb)
}

// NewDatabase creates a fresh database in c for tb and returns its
// connection URL; it is dropped when tb ends.
func (c *Cluster) NewDatabase(tb testing.TB) string {
	tb.Helper()
	name := "t_" + randomHex(6)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin, err := pgx.Connect(ctx, c.URL("postgres"))
	if err != nil {
		tb.Fatalf("pgtest: connect to the throwaway PostgreSQL: %v", err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		tb.Fatalf("pgtest: create database %s: %v", name, err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, c.URL("postgres"))
		if err != nil {
			return // the cluster is gone; its directory goes with it
		}
		defer conn.Close(ctx)
		_, _ = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	})
	return c.URL(name)
}

// New starts a cluster of tb's own, stopped when tb ends: for test binaries
// whose TestMain cannot call Main. It skips (or, under CI, fails) tb when
// PostgreSQL is not installed.
func New(tb testing.TB) *Cluster {
	tb.Helper()
	bin, err := FindBin()
	if err == nil {
		var c *Cluster
		if c, err = Start(bin); err == nil {
			tb.Cleanup(func() {
				if err := c.Stop(); err != nil {
					tb.Errorf("pgtest: stop the throwaway PostgreSQL: %v", err)
				}
			})
			return c
		}
	}
	skipOrFail(tb, err)
	return nil
}

func skipOrFail(tb testing.TB, err error) {
	tb.Helper()
	var missing *MissingError
	if errors.As(err, &missing) && os.Getenv("CI") != "true" {
		tb.Skipf("pgtest: %v", err)
	}
	tb.Fatalf("pgtest: %v", err)
}

// Shared returns the package's cluster, starting it on first use; it skips
// (or, under CI, fails) tb when PostgreSQL is not installed.
func Shared(tb testing.TB) *Cluster {
	tb.Helper()
	sharedOnce.Do(func() {
		bin, err := FindBin()
		if err != nil {
			sharedErr = err
			return
		}
		c, err := Start(bin)
		sharedMu.Lock()
		shared, sharedErr = c, err
		sharedMu.Unlock()
	})
	if sharedErr != nil {
		skipOrFail(tb, sharedErr)
	}
	return shared
}

// MissingError says that no PostgreSQL server binaries were found.
type MissingError struct{ Looked []string }

func (e *MissingError) Error() string {
	return fmt.Sprintf("no PostgreSQL server binaries (initdb, pg_ctl) found in %s; install Debian's postgresql package or set BATON_TEST_PG_BIN to their directory",
		strings.Join(e.Looked, ", "))
}

// FindBin returns the directory holding initdb and pg_ctl: BATON_TEST_PG_BIN,
// else the newest /usr/lib/postgresql/*/bin, else the directory of pg_ctl on
// PATH.
func FindBin() (string, error) {
	var looked []string
	if dir := os.Getenv("BATON_TEST_PG_BIN"); dir != "" {
		if hasServer(dir) {
			return dir, nil
		}
		looked = append(looked, dir)
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return versionOf(dirs[i]) > versionOf(dirs[j]) })
	for _, dir := range dirs {
		if hasServer(dir) {
			return dir, nil
		}
	}
	looked = append(looked, "/usr/lib/postgresql/*/bin")
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil && hasServer(filepath.Dir(real)) {
			return filepath.Dir(real), nil
		}
	}
	looked = append(looked, "PATH")
	return "", &MissingError{Looked: looked}
}

func hasServer(dir string) bool {
	for _, name := range []string{"initdb", "pg_ctl", "postgres"} {
		if fi, err := os.Stat(filepath.Join(dir, name)); err != nil || fi.IsDir() {
			return false
		}
	}
	return true
}

// versionOf reads the major version from /usr/lib/postgresql/<v>/bin.
func versionOf(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

// Start initialises and starts a cluster with the server binaries in bin.
// As root it runs them as the postgres user, which PostgreSQL requires.
func Start(bin string) (*Cluster, error) {
	dir, err := os.MkdirTemp("", "baton-pg-")
	if err != nil {
		return nil, fmt.Errorf("create the cluster directory: %w", err)
	}
	c := &Cluster{dir: dir, bin: bin}
	if os.Geteuid() == 0 {
		cred, err := postgresUser()
		if err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		c.cred = cred
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("hand the cluster directory to the postgres user: %w", err)
		}
	}
	if err := c.run("initdb", "-D", c.dataDir(), "-U", "baton", "--auth=trust", "-E", "UTF8", "--no-sync", "--no-instructions"); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if err := c.startServer(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return c, nil
}

func (c *Cluster) startServer() error {
	var lastErr error
	for attempt := 0; attempt < 5; attempt++ {
		port, err := freePort()
		if err != nil {
			return err
		}
		c.port = port
		opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c max_connections=200", port, c.dir)
		lastErr = c.run("pg_ctl", "-D", c.dataDir(), "-l", filepath.Join(c.dir, "server.log"), "-o", opts, "-w", "-t", "60", "start")
		if lastErr == nil {
			return nil
		}
	}
	return lastErr
}

// Restart stops the server at once (as a crash would) and starts it again on
// the same port, for tests of a database that goes away and comes back.
func (c *Cluster) Restart() error {
	if err := c.StopServer(); err != nil {
		return err
	}
	return c.StartServer()
}

// StartServer starts a server that StopServer stopped, on the same port.
func (c *Cluster) StartServer() error {
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c max_connections=200", c.port, c.dir)
	return c.run("pg_ctl", "-D", c.dataDir(), "-l", filepath.Join(c.dir, "server.log"), "-o", opts, "-w", "-t", "60", "start")
}

// StopServer stops the server immediately but keeps its data, so that Restart
// can bring it back.
func (c *Cluster) StopServer() error {
	return c.run("pg_ctl", "-D", c.dataDir(), "-m", "immediate", "-w", "stop")
}

// Stop stops the server and removes its directory.
func (c *Cluster) Stop() error {
	if c.stopped {
		return nil
	}
	c.stopped = true
	err := c.StopServer()
	return errors.Join(err, os.RemoveAll(c.dir))
}

// URL is the connection URL of database db.
func (c *Cluster) URL(db string) string {
	return fmt.Sprintf("postgres://baton@127.0.0.1:%d/%s?sslmode=disable", c.port, db)
}

// Port is the server's TCP port on 127.0.0.1.
func (c *Cluster) Port() int { return c.port }

func (c *Cluster) dataDir() string { return filepath.Join(c.dir, "data") }

func (c *Cluster) run(name string, args ...string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(c.bin, name), args...)
	cmd.Dir = c.dir
	cmd.Env = append(os.Environ(), "LC_ALL=C", "TZ=UTC")
	if c.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
		cmd.Env = append(cmd.Env, "HOME="+c.dir)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		log, _ := os.ReadFile(filepath.Join(c.dir, "server.log"))
		return fmt.Errorf("%s %s: %w\n%s\n%s", name, strings.Join(args, " "), err, out, tail(log, 2000))
	}
	return nil
}

func postgresUser() (*syscall.Credential, error) {
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root, PostgreSQL needs the postgres user (Debian's postgresql package creates it): %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func tail(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

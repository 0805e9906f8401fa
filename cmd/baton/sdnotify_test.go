package main

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// notifySocket is a systemd notification socket a script listens on: a
// real unixgram socket whose path the baton processes of the script get
// as $NOTIFY_SOCKET.
type notifySocket struct {
	conn *net.UnixConn
	mu   sync.Mutex
	msgs []string
	seen int // messages sdnotify-wait consumed
	more chan struct{}
}

var (
	socketsMu sync.Mutex
	sockets   = map[*testscript.TestScript]*notifySocket{}
)

// notifyCommands are the script commands of the systemd test:
//
//	sdnotify-listen          listen and set $NOTIFY_SOCKET
//	sdnotify-wait STATE      wait for the next message that holds STATE (e.g. READY=1)
//	sdnotify-signal SIGNAL   send HUP or TERM to the MAINPID baton reported
var notifyCommands = map[string]func(ts *testscript.TestScript, neg bool, args []string){
	"sdnotify-listen": func(ts *testscript.TestScript, neg bool, args []string) {
		// A socket path must fit in 108 bytes: not below the work dir.
		dir, err := os.MkdirTemp("", "sd")
		ts.Check(err)
		ts.Defer(func() { os.RemoveAll(dir) })
		path := filepath.Join(dir, "notify")
		conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
		ts.Check(err)
		s := &notifySocket{conn: conn, more: make(chan struct{}, 1)}
		ts.Defer(func() { conn.Close() })
		go s.read()
		socketsMu.Lock()
		sockets[ts] = s
		socketsMu.Unlock()
		ts.Setenv("NOTIFY_SOCKET", path)
	},
	"sdnotify-wait": func(ts *testscript.TestScript, neg bool, args []string) {
		if len(args) != 1 {
			ts.Fatalf("usage: sdnotify-wait STATE")
		}
		msg, ok := socketOf(ts).next(args[0], time.Minute)
		if !ok {
			ts.Fatalf("no message with %s within a minute; got %q", args[0], socketOf(ts).all())
		}
		ts.Logf("systemd got %q", msg)
	},
	"sdnotify-signal": func(ts *testscript.TestScript, neg bool, args []string) {
		sig := map[string]syscall.Signal{"HUP": syscall.SIGHUP, "TERM": syscall.SIGTERM}[strings.Join(args, "")]
		if sig == 0 {
			ts.Fatalf("usage: sdnotify-signal HUP|TERM")
		}
		pid := 0
		for _, m := range socketOf(ts).all() {
			for _, line := range strings.Split(m, "\n") {
				if v, ok := strings.CutPrefix(line, "MAINPID="); ok {
					pid, _ = strconv.Atoi(v)
				}
			}
		}
		if pid == 0 {
			ts.Fatalf("baton reported no MAINPID")
		}
		ts.Check(syscall.Kill(pid, sig))
	},
}

func socketOf(ts *testscript.TestScript) *notifySocket {
	socketsMu.Lock()
	defer socketsMu.Unlock()
	s := sockets[ts]
	if s == nil {
		ts.Fatalf("run sdnotify-listen first")
	}
	return s
}

func (s *notifySocket) read() {
	buf := make([]byte, 4096)
	for {
		n, err := s.conn.Read(buf)
		if err != nil {
			return
		}
		s.mu.Lock()
		s.msgs = append(s.msgs, string(buf[:n]))
		s.mu.Unlock()
		select {
		case s.more <- struct{}{}:
		default:
		}
	}
}

func (s *notifySocket) all() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.msgs...)
}

// next consumes messages until one holds state as a line of its own.
func (s *notifySocket) next(state string, within time.Duration) (string, bool) {
	deadline := time.After(within)
	for {
		s.mu.Lock()
		for s.seen < len(s.msgs) {
			m := s.msgs[s.seen]
			s.seen++
			for _, line := range strings.Split(m, "\n") {
				if line == state {
					s.mu.Unlock()
					return m, true
				}
			}
		}
		s.mu.Unlock()
		select {
		case <-s.more:
		case <-deadline:
			return "", false
		}
	}
}

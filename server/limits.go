package server

import (
	"errors"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Limits that keep slow or hostile clients from exhausting the server:
// every connection is bounded in time, every body in size, and one client
// address holds only so many connections at once.
const (
	// MaxBodyBytes is the largest request body the API reads.
	MaxBodyBytes = 1 << 20
	// DefaultMaxConnsPerClient is how many connections one client address
	// may hold at once.
	DefaultMaxConnsPerClient = 64

	readHeaderTimeout = 10 * time.Second
	readTimeout       = 30 * time.Second
	writeTimeout      = 60 * time.Second
	idleTimeout       = 120 * time.Second
)

// NewHTTPServer returns an http.Server for h with timeouts on reading the
// headers, the whole request, writing the response and idle keep-alive
// connections. A handler that streams for longer (server-sent events)
// lifts its own write deadline with http.ResponseController.
func NewHTTPServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    64 << 10,
	}
}

// limitBody caps every request body at MaxBodyBytes; reading past it fails
// with *http.MaxBytesError, which decodeBody answers with 413.
func limitBody(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > MaxBodyBytes {
			refuseBody(w)
			writeError(w, http.StatusRequestEntityTooLarge, "request body is larger than 1 MiB", "send a smaller body")
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
		h.ServeHTTP(w, r)
	})
}

// refuseBody makes the server answer without reading the request body and
// close the connection: a client that declared a body and sends it slowly
// would otherwise hold the connection while the server drains it.
func refuseBody(w http.ResponseWriter) {
	w.Header().Set("Connection", "close")
	_ = http.NewResponseController(w).SetReadDeadline(time.Now())
}

// isTooLarge reports a body read that passed MaxBodyBytes.
func isTooLarge(err error) bool {
	var mbe *http.MaxBytesError
	return errors.As(err, &mbe)
}

// LimitPerClient wraps l so that one client address holds at most max
// connections at once; further ones get a 503 and are closed at once, so
// that one client cannot use up the process's file descriptors.
func LimitPerClient(l net.Listener, max int) net.Listener {
	if max <= 0 {
		max = DefaultMaxConnsPerClient
	}
	return &clientLimiter{Listener: l, max: max, open: map[string]int{}}
}

type clientLimiter struct {
	net.Listener
	max  int
	mu   sync.Mutex
	open map[string]int
}

func (l *clientLimiter) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		host := clientHost(c)
		l.mu.Lock()
		ok := l.open[host] < l.max
		if ok {
			l.open[host]++
		}
		l.mu.Unlock()
		if ok {
			return &limitedConn{Conn: c, release: func() { l.release(host) }}, nil
		}
		go refuseConn(c)
	}
}

func (l *clientLimiter) release(host string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open[host]--; l.open[host] <= 0 {
		delete(l.open, host)
	}
}

func clientHost(c net.Conn) string {
	if host, _, err := net.SplitHostPort(c.RemoteAddr().String()); err == nil {
		return host
	}
	return c.RemoteAddr().String()
}

// refuseConn tells a client over its limit why, without waiting for it.
func refuseConn(c net.Conn) {
	_ = c.SetWriteDeadline(time.Now().Add(time.Second))
	body := `{"error":"too many connections from this address","hint":"close idle connections or wait for running requests"}` + "\n"
	_, _ = c.Write([]byte("HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: " +
		strconv.Itoa(len(body)) + "\r\n\r\n" + body))
	_ = c.Close()
}

// limitedConn gives its slot back once, when closed.
type limitedConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}

package server

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// serveHardened serves the rig's API the way baton watch does: the
// server's timeouts and the per-client connection limit.
func serveHardened(t *testing.T, r *rig, perClient int) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := NewHTTPServer(r.api.Config.Handler)
	go srv.Serve(LimitPerClient(ln, perClient))
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// dialFrom connects to addr from a loopback address of its own, so that the
// server sees another client.
func dialFrom(t *testing.T, from, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial %s from %s: %v", addr, from, err)
	}
	return c
}

// statusOf reads one response's status code within the deadline; 0 when
// none came.
func statusOf(c net.Conn, within time.Duration) int {
	_ = c.SetReadDeadline(time.Now().Add(within))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

func healthz(t *testing.T, from, addr string) int {
	t.Helper()
	c := dialFrom(t, from, addr)
	defer c.Close()
	if _, err := io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: baton\r\nConnection: close\r\n\r\n"); err != nil {
		return 0
	}
	return statusOf(c, 10*time.Second)
}

// The attack, bounded: connections that declare 100 body bytes,
// send 1 and no token. Each is answered 401 at once and closed, without the
// server waiting for the body, so they hold nothing.
func TestSlowBodiesWithoutATokenAreAnsweredAndClosedAtOnce(t *testing.T) {
	r := newRig(t)
	addr := serveHardened(t, r, 1000)
	const n = 200
	conns := make([]net.Conn, 0, n)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range n {
		c := dialFrom(t, "127.0.0.1", addr)
		conns = append(conns, c)
		if _, err := io.WriteString(c, "POST /v1/tables/in.c-x.y/updates HTTP/1.1\r\nHost: baton\r\nContent-Length: 100\r\n\r\nx"); err != nil {
			t.Fatal(err)
		}
	}
	// Well below the server's read timeout: a server that waits for the
	// body answers none of them in time.
	for i, c := range conns {
		if code := statusOf(c, 5*time.Second); code != http.StatusUnauthorized {
			t.Fatalf("connection %d: status %d, want 401 at once", i, code)
		}
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := c.Read(make([]byte, 1)); !errors.Is(err, io.EOF) && !isReset(err) {
			t.Fatalf("connection %d is still open after the 401: %v", i, err)
		}
	}
	if code := healthz(t, "127.0.0.1", addr); code != http.StatusOK {
		t.Errorf("/healthz after the attack: %d", code)
	}
}

func isReset(err error) bool {
	return err != nil && strings.Contains(err.Error(), "connection reset")
}

// Connections that never finish their headers, all from one address: past
// the per-client limit they are refused at once, and other clients are
// served meanwhile.
func TestOneClientAddressCannotHoldMoreThanItsConnections(t *testing.T) {
	r := newRig(t)
	const limit, n = 16, 200
	addr := serveHardened(t, r, limit)
	var held, refused []net.Conn
	defer func() {
		for _, c := range append(held, refused...) {
			c.Close()
		}
	}()
	for range n {
		c := dialFrom(t, "127.0.0.1", addr)
		if _, err := io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: bat"); err != nil {
			refused = append(refused, c)
			continue
		}
		held = append(held, c)
	}
	// Read every answer at once: the refused get theirs at once, the held
	// ones none until the deadline.
	codes := make([]int, len(held))
	var wg sync.WaitGroup
	for i, c := range held {
		wg.Add(1)
		go func() { defer wg.Done(); codes[i] = statusOf(c, 3*time.Second) }()
	}
	wg.Wait()
	var open []net.Conn
	count503 := 0
	for i, code := range codes {
		switch code {
		case http.StatusServiceUnavailable:
			count503++
		case 0:
			open = append(open, held[i]) // still waiting for its headers
		default:
			t.Fatalf("a connection with half its headers got %d", code)
		}
	}
	if len(open) > limit || count503 < n-limit-len(refused) {
		t.Errorf("%d connections held open, %d refused with 503 (limit %d of %d)", len(open), count503, limit, n)
	}
	if code := healthz(t, "127.0.0.2", addr); code != http.StatusOK {
		t.Errorf("/healthz from another address while one is at its limit: %d", code)
	}
	for _, c := range open {
		c.Close()
	}
	// The slots come back when the server sees the connections close.
	deadline := time.Now().Add(10 * time.Second)
	for healthz(t, "127.0.0.1", addr) != http.StatusOK {
		if time.Now().After(deadline) {
			t.Fatal("the address got no connection back after closing its connections")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestBodiesOverTheLimitAre413(t *testing.T) {
	r := newRig(t)
	big := `{"only": ["` + strings.Repeat("a", MaxBodyBytes) + `"]}`
	for _, chunked := range []bool{false, true} {
		var body io.Reader = strings.NewReader(big)
		if chunked {
			body = io.MultiReader(bytes.NewReader([]byte(big))) // unknown length: sent chunked
		}
		req, _ := http.NewRequest("POST", r.api.URL+"/v1/orchestrations/ok/jobs", body)
		req.Header.Set("Authorization", "Bearer "+r.admin)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("chunked=%v: status %d, want 413", chunked, resp.StatusCode)
		}
	}
}

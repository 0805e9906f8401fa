package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// remote calls the API of a baton watch --listen with BATON_TOKEN, for
// run and tables touch with --server.
func remote(ctx context.Context, server, method, path string, body, out any) error {
	token := os.Getenv("BATON_TOKEN")
	if token == "" {
		return fmt.Errorf("--server needs a token: set BATON_TOKEN (baton tokens create prints one)")
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(server, "/")+path, rd)
	if err != nil {
		return fmt.Errorf("--server %s: %w", server, err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		return fmt.Errorf("call %s: %w", server, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 10<<20))
	if resp.StatusCode/100 != 2 {
		var e struct{ Error, Hint string }
		if json.Unmarshal(b, &e) == nil && e.Error != "" {
			if e.Hint != "" {
				return fmt.Errorf("%s: %s (%s)", resp.Status, e.Error, e.Hint)
			}
			return fmt.Errorf("%s: %s", resp.Status, e.Error)
		}
		return fmt.Errorf("%s %s: %s", method, path, resp.Status)
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

func pathEscape(s string) string { return url.PathEscape(s) }

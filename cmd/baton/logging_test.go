package main

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

func TestJSONLogsWriteDurationsAsText(t *testing.T) {
	var buf bytes.Buffer
	logger, err := newLogger(&buf, "json")
	if err != nil {
		t.Fatal(err)
	}
	logger.Info("watching", "interval", 30*time.Second, "grace", 1500*time.Millisecond)
	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("%v: %s", err, buf.String())
	}
	if line["interval"] != "30s" || line["grace"] != "1.5s" {
		t.Errorf("durations logged as %v and %v, want \"30s\" and \"1.5s\"", line["interval"], line["grace"])
	}
}

package main

import (
	"runtime/debug"
	"testing"
)

func TestVersionReportsModuleCommitDateAndGo(t *testing.T) {
	read := func() (*debug.BuildInfo, bool) {
		return &debug.BuildInfo{
			GoVersion: "go1.26.8",
			Main:      debug.Module{Path: "github.com/baton-dev/baton", Version: "v1.2.3"},
			Settings: []debug.BuildSetting{
				{Key: "vcs.revision", Value: "0123abcd"},
				{Key: "vcs.time", Value: "2026-11-26T10:00:00Z"},
				{Key: "vcs.modified", Value: "true"},
			},
		}, true
	}
	got := readBuildInfo(read).String()
	want := "baton v1.2.3 (commit 0123abcd, modified, 2026-11-26T10:00:00Z) go1.26.8"
	if got != want {
		t.Errorf("version = %q, want %q", got, want)
	}
}

func TestVersionWithoutBuildInfoSaysUnknown(t *testing.T) {
	got := readBuildInfo(func() (*debug.BuildInfo, bool) { return nil, false }).String()
	if got != "baton unknown unknown" {
		t.Errorf("version = %q", got)
	}
}

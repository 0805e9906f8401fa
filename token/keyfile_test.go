package token

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestTokenKeyFileIsPrivate(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	path := filepath.Join(t.TempDir(), "state.db.key")
	noEnv := func(string) string { return "" }
	key, err := LoadKey(noEnv, path)
	if err != nil {
		t.Fatal(err)
	}
	if info, _ := os.Stat(path); info.Mode().Perm() != 0o600 {
		t.Errorf("new key file: mode %o, want 600", info.Mode().Perm())
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	again, err := LoadKey(noEnv, path)
	if err != nil || string(again) != string(key) {
		t.Fatalf("reloading the key: %v", err)
	}
	if info, _ := os.Stat(path); info.Mode().Perm() != 0o600 {
		t.Errorf("key file readable by others was left at mode %o", info.Mode().Perm())
	}
}

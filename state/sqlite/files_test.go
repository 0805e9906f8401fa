package sqlite

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/baton-dev/baton/state"
)

func modeOf(t *testing.T, path string) os.FileMode {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return info.Mode().Perm()
}

func TestStateFilesAreCreatedPrivateWhateverTheUmask(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	path := filepath.Join(t.TempDir(), "state", "state.db")
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.RecordTableUpdates(context.Background(), state.TableUpdate{Table: "t", At: time.Now().UTC(), Source: "cli"}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if m := modeOf(t, p); m != 0o600 {
			t.Errorf("%s: mode %o, want 600", filepath.Base(p), m)
		}
	}
	if m := modeOf(t, filepath.Dir(path)); m != 0o700 {
		t.Errorf("state directory: mode %o, want 700", m)
	}
}

func TestExistingStateFilesAreTightened(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if _, err := os.Stat(p); err == nil {
			if err := os.Chmod(p, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	s, err = Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if m := modeOf(t, p); m != 0o600 {
			t.Errorf("%s: mode %o after reopening, want 600", filepath.Base(p), m)
		}
	}
}

// A state on a read-only file system (mounted so, here by a read-only bind
// mount) is refused with that reason, not SQLite's "no such file".
func TestReadOnlyFileSystemIsNamed(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ro")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "state.db")
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if out, err := exec.Command("mount", "-o", "bind,ro", dir, dir).CombinedOutput(); err != nil {
		t.Skipf("a read-only bind mount needs root and CAP_SYS_ADMIN: %v: %s", err, out)
	}
	defer exec.Command("umount", dir).Run()
	_, err = Open(context.Background(), path)
	if err == nil {
		t.Fatal("opening a state on a read-only file system succeeded")
	}
	if !strings.Contains(err.Error(), "is on a read-only file system") || !strings.Contains(err.Error(), "mount it read-write") {
		t.Errorf("error does not say the state is read-only: %v", err)
	}
}

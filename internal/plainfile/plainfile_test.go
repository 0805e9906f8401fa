package plainfile

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// TestWriteThenReadGivesTheBytesAndTheMode: what WriteFile writes,
// ReadFile reads back whole, whatever its size; the file gets the mode
// asked for, and a second write truncates.
func TestWriteThenReadGivesTheBytesAndTheMode(t *testing.T) {
	dir := t.TempDir()
	for _, size := range []int{0, 1, 4095, 4096, 1 << 20} {
		path := filepath.Join(dir, "f")
		want := bytes.Repeat([]byte("x"), size)
		if err := WriteFile(path, append(want, "longer"...), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := WriteFile(path, want, 0o600); err != nil {
			t.Fatal(err)
		}
		got, err := ReadFile(path, -1)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("size %d: read %d bytes", size, len(got))
		}
		// With a limit: the whole file when it fits, else one byte over.
		for _, limit := range []int64{0, 1, 4096, 2 << 20} {
			got, err := ReadFile(path, limit)
			if err != nil {
				t.Fatal(err)
			}
			if wantLen := min(int64(size), limit+1); int64(len(got)) != wantLen {
				t.Fatalf("size %d, limit %d: read %d bytes, want %d", size, limit, len(got), wantLen)
			}
		}
		info, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode().Perm() != 0o600 {
			t.Fatalf("mode %v, want 0600", info.Mode().Perm())
		}
		os.Remove(path)
	}
}

// TestErrorsNameThePathAndTheCause: a missing file is fs.ErrNotExist with
// its path, like os.ReadFile's.
func TestErrorsNameThePathAndTheCause(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing")
	_, err := ReadFile(path, -1)
	var pe *fs.PathError
	if !errors.Is(err, fs.ErrNotExist) || !errors.As(err, &pe) || pe.Path != path {
		t.Fatalf("err = %v", err)
	}
	if err := WriteFile(filepath.Join(path, "sub"), nil, 0o600); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("write err = %v", err)
	}
}

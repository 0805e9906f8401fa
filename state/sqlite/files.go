package sqlite

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// privateFiles makes the state file and its companions readable by their
// owner only: the state holds webhook URLs, token hashes and job messages.
// SQLite creates a new database 0644 and gives the -wal and -shm files the
// database's mode, so the database is created here first, 0600 whatever the
// umask; files that exist are tightened where the owner may.
func privateFiles(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	switch {
	case err == nil:
		f.Close()
	case errors.Is(err, fs.ErrExist):
	default:
		// Opening reports what is wrong with a clearer message.
		return nil
	}
	for _, p := range []string{path, path + "-wal", path + "-shm", path + ".lock", path + ".wake"} {
		if err := tighten(p); err != nil {
			return err
		}
	}
	return nil
}

// tighten takes the group's and others' permissions off an existing file.
func tighten(path string) error {
	info, err := os.Stat(path)
	if err != nil || info.Mode().Perm()&0o077 == 0 {
		return nil
	}
	if err := os.Chmod(path, info.Mode().Perm()&^0o077); err != nil && !errors.Is(err, fs.ErrPermission) && !errors.Is(err, syscall.EROFS) {
		return fmt.Errorf("make %s private to its owner: %w", path, err)
	}
	return nil
}

// explainOpen turns SQLite's "unable to open database file" into what is
// wrong: SQLite needs to write beside the state (its -wal and -shm files)
// even to read it.
func explainOpen(path string, err error) error {
	dir := filepath.Dir(path)
	what := ""
	if f, oerr := os.OpenFile(path, os.O_RDWR, 0); oerr != nil {
		switch {
		case errors.Is(oerr, syscall.EROFS):
			what = "is on a read-only file system"
		case errors.Is(oerr, fs.ErrPermission):
			what = "is not writable by this user"
		}
	} else {
		f.Close()
		if aerr := syscall.Access(dir, 2 /* W_OK */); errors.Is(aerr, syscall.EROFS) {
			what = "is on a read-only file system"
		} else if aerr != nil {
			what = fmt.Sprintf("is in a directory this user cannot write (%s)", dir)
		}
	}
	if what == "" {
		return err
	}
	return fmt.Errorf("state %s %s: baton writes the state and its -wal and -shm files beside it, even to read it; mount it read-write, fix its permissions, or copy it to a writable place and pass --state: %w", path, what, err)
}

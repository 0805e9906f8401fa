package reconciler

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"github.com/baton-dev/baton/hcl"
	"github.com/baton-dev/baton/internal/plainfile"
)

// Head returns the revision of the directory as it is now without parsing a
// file: its ref is the content hash of the files. When the files' names,
// sizes, inodes and change times are those recorded with the last hash,
// and none of them changed in the same clock tick as that record (git's
// "racily clean" rule), the recorded hash is the answer without reading a
// file; otherwise the files are read and hashed, and the record renewed.
func (d *DirSource) Head(ctx context.Context) (Revision, error) {
	rev := Revision{Message: "directory " + d.Dir}
	stamp, newest, err := d.stamp(ctx)
	if err != nil {
		// Fetch says what is wrong in the words it always uses.
		snap, ferr := d.Fetch(ctx)
		if ferr == nil {
			ferr = fmt.Errorf("read source %s: %w", d.Dir, err)
		}
		return snap.Revision, ferr
	}
	if d.Cache != "" {
		if ref, ok := readStamp(d.Cache, stamp, newest); ok {
			rev.Ref = ref
			return rev, nil
		}
	}
	snap, err := d.Fetch(ctx)
	if err != nil {
		return snap.Revision, err
	}
	if d.Cache != "" {
		// The record only saves work; a directory that cannot hold it
		// costs a full read the next time, nothing else.
		_ = writeStamp(d.Cache, stamp, snap.Revision.Ref)
	}
	return snap.Revision, nil
}

// stamp hashes what stat says of every file Fetch would read, and returns
// the newest modification or change time among them.
func (d *DirSource) stamp(ctx context.Context) ([]byte, int64, error) {
	names, err := hcl.ListDir(d.Dir)
	if err != nil {
		return nil, 0, err
	}
	if len(names) == 0 {
		return nil, 0, ErrNoFiles
	}
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	h := sha256.New()
	var newest int64
	var buf [40]byte
	for _, name := range names {
		var st syscall.Stat_t
		if err := syscall.Stat(filepath.Join(d.Dir, filepath.FromSlash(name)), &st); err != nil {
			return nil, 0, fmt.Errorf("stat %s: %w", name, err)
		}
		mtime, ctime := st.Mtim.Nano(), st.Ctim.Nano()
		newest = max(newest, mtime, ctime)
		h.Write([]byte(name))
		binary.LittleEndian.PutUint64(buf[0:], uint64(st.Size))
		binary.LittleEndian.PutUint64(buf[8:], uint64(mtime))
		binary.LittleEndian.PutUint64(buf[16:], uint64(ctime))
		binary.LittleEndian.PutUint64(buf[24:], st.Ino)
		binary.LittleEndian.PutUint64(buf[32:], uint64(st.Dev))
		h.Write(buf[:])
	}
	return h.Sum(nil), newest, nil
}

// A stamp file holds the hex stat hash, a space and the content ref.
func readStamp(path string, stamp []byte, newest int64) (string, bool) {
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		return "", false
	}
	if newest >= st.Mtim.Nano() {
		return "", false // a file changed in the tick the record was made
	}
	b, err := plainfile.ReadFile(path, 256)
	if err != nil {
		return "", false
	}
	want, ref, ok := bytes.Cut(b, []byte(" "))
	if !ok || string(want) != hex.EncodeToString(stamp) || len(ref) == 0 {
		return "", false
	}
	return string(ref), true
}

func writeStamp(path string, stamp []byte, ref string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := plainfile.WriteFile(tmp, []byte(hex.EncodeToString(stamp)+" "+ref), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// stampPath is where the record of a directory source lives in the cache.
func stampPath(cacheDir, dir string) string {
	if cacheDir == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(dir))
	return filepath.Join(cacheDir, "dirs", hex.EncodeToString(sum[:8]))
}

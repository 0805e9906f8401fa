// Package plainfile reads and writes whole small files with the fewest
// system calls. os.ReadFile and os.WriteFile hand every file to the
// runtime's poller first (two fcntl calls each way and an epoll_ctl that
// regular files refuse); for a thousand source files per poll or a
// config.json per task, that doubles the calls.
package plainfile

import (
	"errors"
	"io/fs"
	"syscall"
)

// ReadFile reads a file whole, or, when it has more than max bytes, its
// first max+1 bytes: enough for a caller to tell that it is over its limit
// without holding more of it. A negative max means no limit.
func ReadFile(path string, max int64) ([]byte, error) {
	fd, err := openRetry(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	defer syscall.Close(fd)
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		return nil, &fs.PathError{Op: "stat", Path: path, Err: err}
	}
	size := st.Size
	if max >= 0 {
		size = min(size, max)
	}
	// One byte more than the size, so that the end is seen by the first
	// read unless the file grew meanwhile.
	buf := make([]byte, 0, size+1)
	for {
		n, err := syscall.Read(fd, buf[len(buf):cap(buf)])
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil {
			return nil, &fs.PathError{Op: "read", Path: path, Err: err}
		}
		if n == 0 {
			return buf, nil
		}
		buf = buf[:len(buf)+n]
		if max >= 0 && int64(len(buf)) > max {
			return buf[:max+1], nil
		}
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
	}
}

// WriteFile creates or truncates path with mode perm and writes data:
// open, write, close.
func WriteFile(path string, data []byte, perm uint32) error {
	fd, err := openRetry(path, syscall.O_WRONLY|syscall.O_CREAT|syscall.O_TRUNC|syscall.O_CLOEXEC, perm)
	if err != nil {
		return &fs.PathError{Op: "open", Path: path, Err: err}
	}
	for len(data) > 0 {
		n, err := syscall.Write(fd, data)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil {
			syscall.Close(fd)
			return &fs.PathError{Op: "write", Path: path, Err: err}
		}
		data = data[n:]
	}
	if err := syscall.Close(fd); err != nil {
		return &fs.PathError{Op: "close", Path: path, Err: err}
	}
	return nil
}

func openRetry(path string, flags int, perm uint32) (int, error) {
	for {
		fd, err := syscall.Open(path, flags, perm)
		if !errors.Is(err, syscall.EINTR) {
			return fd, err
		}
	}
}

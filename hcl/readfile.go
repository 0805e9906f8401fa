package hcl

import (
	"errors"
	"io/fs"
	"syscall"
)

// readFile reads a whole file with plain system calls. os.ReadFile hands
// every file to the runtime poller first (two fcntl calls each way and an
// epoll_ctl that regular files refuse), which doubles the calls a
// repository of a thousand small files costs on every poll.
func readFile(path string) ([]byte, error) {
	fd, err := openRetry(path)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	defer syscall.Close(fd)
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		return nil, &fs.PathError{Op: "stat", Path: path, Err: err}
	}
	// One byte more than the size, so that the end is seen by the first
	// read unless the file grew meanwhile; of a file over the limit, one
	// byte more than the limit, which is all CheckLimits needs.
	buf := make([]byte, 0, min(st.Size, MaxFileSize)+1)
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
		if len(buf) > MaxFileSize {
			return buf[:MaxFileSize+1], nil
		}
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
	}
}

func openRetry(path string) (int, error) {
	for {
		fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		if !errors.Is(err, syscall.EINTR) {
			return fd, err
		}
	}
}

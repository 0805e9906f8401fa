package proctree

import (
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// A task's cgroup outlives the task: once empty, it is kept for the next
// task of its group instead of being removed, as making and removing a
// cgroup costs about as much as starting a small process. The job a kept
// cgroup runs is an extended attribute of its directory, so that recovery
// still finds the cgroup of one lost job after a crash. Where the
// hierarchy takes no extended attributes, every task gets a cgroup named
// after its job and removed after it, as before.

// jobAttr holds the key of the job a kept cgroup runs; none while idle.
const jobAttr = "user.baton.job"

// maxIdle bounds the empty cgroups kept per group.
const maxIdle = 16

// slot is a kept cgroup: its directory, a descriptor of it and one of
// its cgroup.events, read at each task's end.
type slot struct {
	dir    string
	fd     int
	events int
}

// populated tells whether the cgroup still holds a process; one that
// cannot be read counts as populated.
func (s slot) populated() bool {
	var buf [128]byte
	n, err := syscall.Pread(s.events, buf[:], 0)
	if err != nil {
		return true
	}
	for _, line := range strings.Split(string(buf[:n]), "\n") {
		if v, ok := strings.CutPrefix(line, "populated "); ok {
			return v != "0"
		}
	}
	return true
}

func (s slot) close() {
	_ = syscall.Close(s.fd)
	_ = syscall.Close(s.events)
}

var pool = struct {
	sync.Mutex
	idle map[string][]slot
	made int
	// noAttr is set once the hierarchy refused an extended attribute.
	noAttr bool
}{idle: map[string][]slot{}}

// slotPrefix starts the names of a group's kept cgroups; the process id
// keeps those of two processes (one dead) apart.
func slotPrefix(group string) string { return group + "-slot-" }

// takeSlot gives a cgroup of group marked as running key: a kept one, or
// a new one. ok is false where cgroups cannot be kept.
func takeSlot(base, group, key string) (slot, bool) {
	pool.Lock()
	if pool.noAttr {
		pool.Unlock()
		return slot{}, false
	}
	var s slot
	if idle := pool.idle[group]; len(idle) > 0 {
		s = idle[len(idle)-1]
		pool.idle[group] = idle[:len(idle)-1]
	} else {
		pool.made++
		n := pool.made
		pool.Unlock()
		dir := base + "/" + slotPrefix(group) + strconv.Itoa(os.Getpid()) + "-" + strconv.Itoa(n)
		if err := syscall.Mkdir(dir, 0o755); err != nil {
			return slot{}, false
		}
		fd, err := openDir(dir)
		if err != nil {
			_ = syscall.Rmdir(dir)
			return slot{}, false
		}
		events, err := syscall.Open(dir+"/cgroup.events", syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		if err != nil {
			_ = syscall.Close(fd)
			_ = syscall.Rmdir(dir)
			return slot{}, false
		}
		s = slot{dir: dir, fd: fd, events: events}
		pool.Lock()
	}
	pool.Unlock()
	if err := syscall.Setxattr(s.dir, jobAttr, []byte(key), 0); err != nil {
		pool.Lock()
		pool.noAttr = true
		pool.Unlock()
		dropSlot(s)
		return slot{}, false
	}
	return s, true
}

// giveBack keeps an emptied cgroup for the next task of group.
func giveBack(group string, s slot) {
	if syscall.Removexattr(s.dir, jobAttr) != nil {
		dropSlot(s)
		return
	}
	pool.Lock()
	kept := len(pool.idle[group]) < maxIdle
	if kept {
		pool.idle[group] = append(pool.idle[group], s)
	}
	pool.Unlock()
	if !kept {
		dropSlot(s)
	}
}

func dropSlot(s slot) {
	s.close()
	_ = syscall.Rmdir(s.dir)
}

// ReleaseIdle removes the empty cgroups kept for group, when the executor
// that used them stops.
func ReleaseIdle(group string) {
	pool.Lock()
	idle := pool.idle[group]
	delete(pool.idle, group)
	pool.Unlock()
	for _, s := range idle {
		dropSlot(s)
	}
}

// killKeptLeftovers kills and removes the kept cgroup of group that ran
// key when its process died, and removes the empty ones that dead
// processes kept.
func killKeptLeftovers(base, group, key string) {
	entries, err := os.ReadDir(base)
	if err != nil {
		return
	}
	prefix := slotPrefix(group)
	buf := make([]byte, 256)
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), prefix)
		if !ok || !e.IsDir() {
			continue
		}
		dir := base + "/" + e.Name()
		n, err := syscall.Getxattr(dir, jobAttr, buf)
		switch {
		case err == nil && string(buf[:n]) == key:
			killCgroup(dir, 0)
			removeCgroup(dir)
		case err != nil && !ownerAlive(rest):
			// Idle, and kept by a process that is gone: nobody will
			// use it again. A busy one stays (rmdir refuses it).
			_ = syscall.Rmdir(dir)
		}
	}
}

// ownerAlive tells whether the process that named a kept cgroup
// ("PID-N") still runs.
func ownerAlive(name string) bool {
	pidText, _, _ := strings.Cut(name, "-")
	pid, err := strconv.Atoi(pidText)
	if err != nil {
		return true
	}
	return pid == os.Getpid() || syscall.Kill(pid, 0) != syscall.ESRCH
}

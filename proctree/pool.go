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
	// users counts the executors of a group that run now: cgroups are
	// kept only while one does.
	users map[string]int
	made  int
	// noAttr is set once the hierarchy refused an extended attribute.
	noAttr bool
}{idle: map[string][]slot{}, users: map[string]int{}}

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
	kept := pool.users[group] > 0 && len(pool.idle[group]) < maxIdle
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

// Keep keeps the cgroups of group's tasks for one another until the
// returned release is called, when the executor that runs them stops; the
// last release removes the idle ones. The first also removes those that
// a process of the group left when it died.
func Keep(group string) (release func()) {
	pool.Lock()
	pool.users[group]++
	first := pool.users[group] == 1
	pool.Unlock()
	if base := cgroupBase(); first && base != "" {
		sweepDead(base, group)
	}
	var once sync.Once
	return func() { once.Do(func() { unkeep(group) }) }
}

func unkeep(group string) {
	pool.Lock()
	pool.users[group]--
	var idle []slot
	if pool.users[group] <= 0 {
		delete(pool.users, group)
		idle = pool.idle[group]
		delete(pool.idle, group)
	}
	pool.Unlock()
	for _, s := range idle {
		dropSlot(s)
	}
}

// killKeptLeftovers kills and removes the kept cgroup of group that ran
// key when its process died, and removes the empty ones that dead
// processes kept.
func killKeptLeftovers(base, group, key string) {
	eachSlot(base, group, func(dir, owner string) {
		buf := make([]byte, 256)
		n, err := syscall.Getxattr(dir, jobAttr, buf)
		switch {
		case err == nil && string(buf[:n]) == key:
			killCgroup(dir, 0)
			removeCgroup(dir)
		case err != nil && !ownerAlive(owner):
			// Idle, and kept by a process that is gone: nobody will
			// use it again.
			_ = syscall.Rmdir(dir)
		}
	})
}

// sweepDead removes the cgroups of group that dead processes kept and
// that are empty; rmdir refuses one that still holds a process, which
// the recovery of its job kills.
func sweepDead(base, group string) {
	eachSlot(base, group, func(dir, owner string) {
		if !ownerAlive(owner) {
			_ = syscall.Rmdir(dir)
		}
	})
}

// eachSlot calls f with each kept cgroup of group and the name part
// ("PID-N") that says which process made it.
func eachSlot(base, group string, f func(dir, owner string)) {
	entries, err := os.ReadDir(base)
	if err != nil {
		return
	}
	prefix := slotPrefix(group)
	for _, e := range entries {
		if owner, ok := strings.CutPrefix(e.Name(), prefix); ok && e.IsDir() {
			f(base+"/"+e.Name(), owner)
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

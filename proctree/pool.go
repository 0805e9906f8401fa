package proctree

import (
	"bytes"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// A task's cgroup outlives the task: once empty, it is kept for the next
// task of its group instead of being removed, as making and removing a
// cgroup costs about as much as starting a small process. The job a kept
// cgroup runs is an extended attribute of its directory, so that recovery
// still finds the cgroup of one lost job after a crash. Where the
// hierarchy takes no extended attributes, every task gets a cgroup named
// after its job and removed after it.
//
// A kept cgroup is named GROUP-slot-OWNER-N, OWNER being "PID.START" of
// the process that made it (its pid and start time, so that a reused pid
// is not taken for it): the cgroups a dead process kept are found and
// removed.

// jobAttr holds the key of the job a kept cgroup runs; none while idle.
const jobAttr = "user.baton.job"

// maxIdle bounds the empty cgroups kept per group. A group keeps as many
// as it ran tasks at the same time, up to this many.
const maxIdle = 64

// slotInfix separates a group from the owner of its kept cgroups.
const slotInfix = "-slot-"

// slot is a kept cgroup: its directory, a descriptor of it and one of
// its cgroup.events.
type slot struct {
	dir    string
	fd     int
	events int
}

// populated tells whether the cgroup holds a process (cgroup.events says
// "populated 1" from the moment one enters until the last one exited); one
// that cannot be read counts as populated.
func (s slot) populated() bool {
	var buf [128]byte
	for {
		n, err := syscall.Pread(s.events, buf[:], 0)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return true
		}
		i := bytes.Index(buf[:n], []byte("populated "))
		return i < 0 || i+10 >= n || buf[i+10] != '0'
	}
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

// self is this process's owner name ("PID.START").
var self = sync.OnceValue(func() string { return ownerName(os.Getpid()) })

// ownerName is "PID.START" of a running process, "" when it is gone.
func ownerName(pid int) string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return ""
	}
	// The start time is the 22nd field, the 20th after the command
	// name, which may hold spaces and parentheses.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return ""
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 20 {
		return ""
	}
	return strconv.Itoa(pid) + "." + f[19]
}

// takeSlot gives a cgroup of group marked as running key: a kept one
// that is empty, or a new one. ok is false where cgroups cannot be kept.
func takeSlot(base, group, key string) (slot, bool) {
	for {
		pool.Lock()
		if pool.noAttr {
			pool.Unlock()
			return slot{}, false
		}
		idle := pool.idle[group]
		if len(idle) == 0 {
			pool.made++
			n := pool.made
			pool.Unlock()
			return newSlot(base, group, key, n)
		}
		s := idle[len(idle)-1]
		pool.idle[group] = idle[:len(idle)-1]
		pool.Unlock()
		// It was empty when it was given back and nothing starts in
		// an idle cgroup; a task starts in it only if it still is.
		if s.populated() {
			killCgroup(s.dir, 0) // it is never taken again
			s.close()
			removeCgroup(s.dir)
			continue
		}
		if !mark(s, key) {
			return slot{}, false
		}
		return s, true
	}
}

// newSlot makes the n-th cgroup of this process for group.
func newSlot(base, group, key string, n int) (slot, bool) {
	dir := base + "/" + group + slotInfix + self() + "-" + strconv.Itoa(n)
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
	s := slot{dir: dir, fd: fd, events: events}
	if !mark(s, key) {
		return slot{}, false
	}
	return s, true
}

// mark records the job s runs; a hierarchy that refuses it keeps no
// cgroups from then on.
func mark(s slot, key string) bool {
	// Through the descriptor: by path, half the cost is the lookup.
	if err := unix.Fsetxattr(s.fd, jobAttr, []byte(key), 0); err != nil {
		pool.Lock()
		pool.noAttr = true
		pool.Unlock()
		dropSlot(s)
		return false
	}
	return true
}

// giveBack keeps an emptied cgroup for the next task of group while an
// executor of the group runs, else removes it.
func giveBack(group string, s slot) {
	if unix.Fremovexattr(s.fd, jobAttr) != nil {
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
// last release removes the idle ones. Keep first removes the empty
// cgroups that dead processes kept (of any group: nobody uses them again).
func Keep(group string) (release func()) {
	pool.Lock()
	pool.users[group]++
	pool.Unlock()
	if base := cgroupBase(); base != "" {
		sweepDead(base)
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

// KeepsCgroups reports whether tasks here run in cgroups that are kept
// for the next task: the cgroup v2 hierarchy is writable and takes
// extended attributes.
func KeepsCgroups() bool {
	if cgroupBase() == "" {
		return false
	}
	probe := Prepare("baton-probe", "probe", "", false)
	kept := probe.kept
	probe.Close()
	return kept
}

// Cgroups lists the cgroups of group's tasks that exist now, running a
// task or kept for the next: for operators and tests.
func Cgroups(group string) []string {
	base := cgroupBase()
	if base == "" {
		return nil
	}
	entries, err := os.ReadDir(base)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), group+"-") && e.IsDir() {
			out = append(out, base+"/"+e.Name())
		}
	}
	return out
}

// killKeptLeftovers kills and removes the kept cgroup of group that ran
// key when its owner died.
func killKeptLeftovers(base, group, key string) {
	prefix := group + slotInfix
	buf := make([]byte, 256)
	eachSlot(base, func(dir, name, _ string) {
		if !strings.HasPrefix(name, prefix) {
			return
		}
		if n, err := syscall.Getxattr(dir, jobAttr, buf); err == nil && string(buf[:n]) == key {
			killCgroup(dir, 0)
			removeCgroup(dir)
		}
	})
}

// sweepDead removes the kept cgroups whose owner is dead and that are
// empty; rmdir refuses one that still holds a process, which the recovery
// of its job kills.
func sweepDead(base string) {
	eachSlot(base, func(dir, _, owner string) {
		if !ownerAlive(owner) {
			_ = syscall.Rmdir(dir)
		}
	})
}

// eachSlot calls f with each kept cgroup under base (every group's name
// starts with "baton-"), its name and the owner part of the name
// ("PID.START").
func eachSlot(base string, f func(dir, name, owner string)) {
	entries, err := os.ReadDir(base)
	if err != nil {
		return
	}
	for _, e := range entries {
		_, rest, ok := strings.Cut(e.Name(), slotInfix)
		if !ok || !e.IsDir() || !strings.HasPrefix(e.Name(), "baton-") {
			continue
		}
		if owner, _, ok := strings.Cut(rest, "-"); ok {
			f(base+"/"+e.Name(), e.Name(), owner)
		}
	}
}

// ownerAlive tells whether the process that named a kept cgroup still
// runs: its pid runs a process that started when it did. A name that
// does not parse counts as alive (it is not ours to remove).
func ownerAlive(owner string) bool {
	pidText, _, ok := strings.Cut(owner, ".")
	pid, err := strconv.Atoi(pidText)
	if !ok || err != nil || pid <= 0 {
		return true
	}
	return ownerName(pid) == owner
}

// Package proctree keeps every process a task starts together, so that the
// whole tree ends with the task: in a cgroup of its own (cgroup v2, when the
// hierarchy is writable), else found through /proc by process group, parent
// chain and an environment marker, with the caller as child subreaper so
// that orphans of the tree are reparented to it and reaped.
package proctree

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/baton-dev/baton/internal/plainfile"
)

// Tree is the process tree of one task.
type Tree struct {
	group, key string
	marker     []byte
	pid        int
	// mu orders Signal, Kill and Close: once closed, a kept cgroup may
	// run the next task, which a late signal or kill must not reach.
	mu     sync.Mutex
	closed bool
	// cgroup is the directory of the task's cgroup; "" without one.
	cgroup string
	// cgfd is a descriptor of that directory, for CLONE_INTO_CGROUP;
	// held raw, as the runtime's poller has no use for it.
	cgfd int
	// kept is set when the cgroup is kept for the group's next task.
	kept bool
	slot slot
	// killed is set once cgroup.kill was written. The kernel then kills
	// every process that later starts in the cgroup through
	// CLONE_INTO_CGROUP (so Linux 6.18 does, long after the kill), so
	// such a cgroup is never kept.
	killed bool
}

// Prepare makes the tree of a task before its process starts. group is
// shared by the tasks whose cgroups may be kept for one another (those of
// one jobs dir); key names the task within it (unique per task, stable
// across restarts so recovery finds it). marker is an environment entry
// ("NAME=value") that every process of the task inherits, used to find
// escaped processes without a cgroup. With noCgroup, the tree is found
// through /proc even where cgroups work.
func Prepare(group, key, marker string, noCgroup bool) *Tree {
	t := &Tree{group: group, key: key, marker: []byte(marker + "\x00"), cgfd: -1}
	if base := cgroupBase(); base != "" && !noCgroup {
		if s, ok := takeSlot(base, group, key); ok {
			t.cgroup, t.cgfd, t.kept, t.slot = s.dir, s.fd, true, s
		} else {
			dir := base + "/" + group + "-" + key
			if err := syscall.Mkdir(dir, 0o755); err == nil || err == syscall.EEXIST {
				if fd, err := openDir(dir); err == nil {
					t.cgroup, t.cgfd = dir, fd
				}
			}
		}
	}
	if t.cgroup == "" {
		becomeSubreaper()
	}
	return t
}

// Attr sets the process attributes that put a new process into the tree:
// its own process group, the cgroup from its first instruction on, and a
// parent-death signal.
func (t *Tree) Attr() *syscall.SysProcAttr {
	a := &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if t.cgfd >= 0 {
		a.UseCgroupFD, a.CgroupFD = true, t.cgfd
	}
	return a
}

// InCgroup reports whether the tree has a cgroup.
func (t *Tree) InCgroup() bool { return t.cgroup != "" }

// WithoutCgroup drops the cgroup, for a start that the kernel refused
// with it (e.g. a cgroup whose parent has controllers and processes).
func (t *Tree) WithoutCgroup() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.cgroup == "" {
		return
	}
	if t.kept {
		dropSlot(t.slot)
	} else {
		_ = syscall.Close(t.cgfd)
		_ = syscall.Rmdir(t.cgroup)
	}
	t.cgroup, t.cgfd, t.kept = "", -1, false
	becomeSubreaper()
}

// Start starts cmd (made with Attr) as the task's own process. Starts run
// side by side: a burst of tasks forks on every core.
func (t *Tree) Start(cmd *exec.Cmd) error {
	mains.starting.RLock()
	defer mains.starting.RUnlock()
	if err := cmd.Start(); err != nil {
		return err
	}
	t.pid = cmd.Process.Pid
	mains.Lock()
	mains.pids[t.pid] = true
	mains.Unlock()
	return nil
}

// mains are the task processes started and not yet waited for: the
// children of this process that are not orphans. Every start holds
// starting for reading until its process is listed, and reapOrphans holds
// it for writing, so that a process that exits at once is never taken for
// an orphan.
var mains = struct {
	starting sync.RWMutex
	sync.Mutex
	pids map[int]bool
}{pids: map[int]bool{}}

// reapOrphans collects every orphan reparented to this process (the
// subreaper) that has exited, also those no tree knew of (one that left
// its group and session and exited while the task ran). Baton starts no
// other child processes than tasks.
func reapOrphans() {
	mains.starting.Lock()
	defer mains.starting.Unlock()
	mains.Lock()
	defer mains.Unlock()
	self := os.Getpid()
	for _, p := range allProcs() {
		if p.ppid == self && p.state == 'Z' && !mains.pids[p.pid] {
			var ws syscall.WaitStatus
			_, _ = syscall.Wait4(p.pid, &ws, syscall.WNOHANG, nil)
		}
	}
}

// Signal sends sig to the task's process group and, in a cgroup, to every
// process of it, wherever it moved. After Close it does nothing.
func (t *Tree) Signal(sig syscall.Signal) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return
	}
	if t.pid > 0 {
		_ = syscall.Kill(-t.pid, sig)
	}
	if t.cgroup != "" {
		for _, pid := range cgroupProcs(t.cgroup) {
			_ = syscall.Kill(pid, sig)
		}
	}
}

// Kill kills every process of the tree and waits, up to a few seconds,
// until they are gone. It is safe to call more than once; after Close it
// does nothing.
func (t *Tree) Kill() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.closed {
		t.kill()
	}
}

func (t *Tree) kill() {
	if t.cgroup != "" {
		t.killed = true
		killCgroup(t.cgroup, t.pid)
		return
	}
	killMembers(func(p procInfo) bool { return t.pid > 0 && p.pgrp == t.pid }, t.marker, t.pid)
	reapOrphans()
}

// Close kills what is left and removes the cgroup, or keeps it for the
// next task of the group once it is empty. The task's own process must
// have been waited for. It is safe to call more than once.
func (t *Tree) Close() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return
	}
	t.closed = true
	mains.Lock()
	delete(mains.pids, t.pid)
	mains.Unlock()
	if t.cgroup == "" {
		t.kill()
		return
	}
	if t.kept {
		// cgroup.events says whether the task left a process. Only a
		// cgroup that is empty and was never killed is given back.
		s := t.slot
		t.cgroup, t.cgfd, t.kept = "", -1, false
		if !t.killed && !s.populated() {
			giveBack(t.group, s)
			return
		}
		killCgroup(s.dir, t.pid)
		s.close()
		removeCgroup(s.dir)
		return
	}
	_ = syscall.Close(t.cgfd)
	t.cgfd = -1
	// The kernel refuses to remove a cgroup that still holds a process
	// (EBUSY), so a removal that succeeds proves nothing was left: the
	// usual end of a task costs one call instead of a kill and a scan.
	if err := syscall.Rmdir(t.cgroup); err == nil || err == syscall.ENOENT {
		return
	}
	killCgroup(t.cgroup, t.pid)
	removeCgroup(t.cgroup)
}

// KillLeftovers kills what is left of a task whose owner died: the processes
// of its cgroup (kept or named after it), and every process carrying its
// marker.
func KillLeftovers(group, key, marker string) {
	if base := cgroupBase(); base != "" {
		dir := filepath.Join(base, group+"-"+key)
		if _, err := os.Stat(dir); err == nil {
			killCgroup(dir, 0)
			removeCgroup(dir)
		}
		killKeptLeftovers(base, group, key)
	}
	killMembers(func(procInfo) bool { return false }, []byte(marker+"\x00"), 0)
}

var (
	baseOnce sync.Once
	base     string
)

// cgroupBase returns the cgroup v2 directory of this process when it can
// hold task cgroups, else "". BATON_NO_CGROUP=1 turns cgroups off.
func cgroupBase() string {
	baseOnce.Do(func() {
		if os.Getenv("BATON_NO_CGROUP") == "1" {
			return
		}
		mnt := cgroup2Mount()
		rel := ownCgroup()
		if mnt == "" || rel == "" {
			return
		}
		dir := filepath.Join(mnt, rel)
		probe, err := os.MkdirTemp(dir, ".baton-probe-")
		if err != nil {
			return
		}
		_ = os.Remove(probe)
		if _, err := os.Stat(filepath.Join(dir, "cgroup.procs")); err == nil {
			base = dir
		}
	})
	return base
}

// cgroup2Mount finds where the cgroup v2 hierarchy is mounted (also in a
// hybrid layout, e.g. /sys/fs/cgroup/unified).
func cgroup2Mount() string {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(b), "\n") {
		pre, post, ok := strings.Cut(line, " - ")
		if !ok || !strings.HasPrefix(post, "cgroup2 ") {
			continue
		}
		f := strings.Fields(pre)
		if len(f) >= 5 && f[3] == "/" {
			return f[4]
		}
	}
	return ""
}

// ownCgroup is this process's cgroup v2 path ("0::/path").
func ownCgroup() string {
	b, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(b), "\n") {
		if p, ok := strings.CutPrefix(line, "0::"); ok {
			return p
		}
	}
	return ""
}

var subreaperOnce sync.Once

// openDir opens a directory for its descriptor alone.
func openDir(dir string) (int, error) {
	for {
		fd, err := syscall.Open(dir, syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
		if err != syscall.EINTR {
			return fd, err
		}
	}
}

// becomeSubreaper makes orphans of task processes this process's
// children instead of init's, so they are found and reaped.
func becomeSubreaper() {
	subreaperOnce.Do(func() {
		const prSetChildSubreaper = 36
		_, _, _ = syscall.RawSyscall(syscall.SYS_PRCTL, prSetChildSubreaper, 1, 0)
	})
}

func cgroupProcs(dir string) []int {
	b, err := plainfile.ReadFile(dir+"/cgroup.procs", -1)
	if err != nil {
		return nil
	}
	var pids []int
	for _, f := range strings.Fields(string(b)) {
		var pid int
		if _, err := fmt.Sscan(f, &pid); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids
}

// killCgroup kills every process of a cgroup (cgroup.kill, or each listed
// process on kernels before 5.14) and waits until it is empty. The task's
// own process (main) is left for its waiter to reap.
func killCgroup(dir string, main int) {
	useKill := plainfile.WriteFile(dir+"/cgroup.kill", []byte("1"), 0) == nil
	deadline := time.Now().Add(5 * time.Second)
	for {
		pids := cgroupProcs(dir)
		if len(pids) == 0 || time.Now().After(deadline) {
			return
		}
		if !useKill {
			stopThenKill(pids)
		}
		reap(pids, main)
		time.Sleep(5 * time.Millisecond)
	}
}

func removeCgroup(dir string) {
	deadline := time.Now().Add(2 * time.Second)
	for syscall.Rmdir(dir) != nil && !errorsIsNotExist(dir) && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
}

func errorsIsNotExist(dir string) bool {
	_, err := os.Stat(dir)
	return errors.Is(err, os.ErrNotExist)
}

// reap collects the exit status of those pids that are children of this
// process (orphans reparented to it); others are left to their parents,
// and main to the goroutine that waits for it.
func reap(pids []int, main int) {
	self := os.Getpid()
	for _, pid := range pids {
		if pid == main {
			continue
		}
		if p, ok := readProc(pid); ok && p.ppid == self && p.state == 'Z' {
			var ws syscall.WaitStatus
			_, _ = syscall.Wait4(pid, &ws, syscall.WNOHANG, nil)
		}
	}
}

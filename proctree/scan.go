package proctree

import (
	"bytes"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// procInfo is what /proc/PID/stat says of a process.
type procInfo struct {
	pid, ppid, pgrp int
	state           byte
}

func readProc(pid int) (procInfo, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return procInfo{}, false
	}
	// The command name may hold spaces and parentheses; fields follow the
	// last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return procInfo{}, false
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 3 || len(f[0]) != 1 {
		return procInfo{}, false
	}
	ppid, err1 := strconv.Atoi(f[1])
	pgrp, err2 := strconv.Atoi(f[2])
	if err1 != nil || err2 != nil {
		return procInfo{}, false
	}
	return procInfo{pid: pid, ppid: ppid, pgrp: pgrp, state: f[0][0]}, true
}

func allProcs() []procInfo {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	out := make([]procInfo, 0, len(entries))
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if p, ok := readProc(pid); ok {
			out = append(out, p)
		}
	}
	return out
}

func hasMarker(pid int, marker []byte) bool {
	if len(marker) <= 1 {
		return false
	}
	env, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/environ")
	return err == nil && bytes.Contains(append(env, 0), marker)
}

// members finds the processes of a tree: those seed selects (its process
// group), those carrying the marker (whatever group or session they moved
// to), and every descendant of either.
func members(seed func(procInfo) bool, marker []byte) map[int]procInfo {
	self := os.Getpid()
	procs := allProcs()
	in := map[int]procInfo{}
	for _, p := range procs {
		if p.pid != self && (seed(p) || (p.state != 'Z' && hasMarker(p.pid, marker))) {
			in[p.pid] = p
		}
	}
	for grew := true; grew; {
		grew = false
		for _, p := range procs {
			if _, ok := in[p.pid]; ok || p.pid == self {
				continue
			}
			if _, ok := in[p.ppid]; ok {
				in[p.pid] = p
				grew = true
			}
		}
	}
	return in
}

// killMembers kills the tree found by members until none of it is alive,
// and reaps those that were reparented to this process. Processes may fork
// while they are killed, so it looks again until a pass finds no one; and
// one that was killed counts until it has exited, also once it is no
// longer found (while it exits its environment reads empty, and its parent
// may be gone).
func killMembers(seed func(procInfo) bool, marker []byte, main int) {
	deadline := time.Now().Add(5 * time.Second)
	killed := map[int]bool{}
	for {
		in := members(seed, marker)
		alive := 0
		pids := make([]int, 0, len(in)+len(killed))
		living := make([]int, 0, len(in))
		for pid, p := range in {
			pids = append(pids, pid)
			if p.state != 'Z' {
				alive++
				living = append(living, pid)
				killed[pid] = true
			}
		}
		stopThenKill(living)
		for pid := range killed {
			if _, ok := in[pid]; ok {
				continue
			}
			if p, ok := readProc(pid); ok && p.state != 'Z' {
				alive++
			} else {
				delete(killed, pid)
			}
			pids = append(pids, pid)
		}
		reap(pids, main)
		if alive == 0 || time.Now().After(deadline) {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// stopThenKill kills pids one by one, but stops them all first: killed in
// turn, a process whose child died before it would otherwise get a turn to
// run on (a shell writing after its command was killed, say) before its
// own kill arrives.
func stopThenKill(pids []int) {
	for _, pid := range pids {
		_ = syscall.Kill(pid, syscall.SIGSTOP)
	}
	for _, pid := range pids {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
}

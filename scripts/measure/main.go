// Command measure is the stopwatch of make bench: it runs a command N times
// and prints the medians of the whole process's wall time and CPU time
// (user + system) in seconds and of its peak resident memory in MB, so that
// the script needs no tool beyond Go. On a machine shared with other work,
// the CPU time is the steadier figure. Paths given with -rm are removed before every run (a fresh
// state for a cold apply).
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"time"
)

type paths []string

func (p *paths) String() string     { return strings.Join(*p, ",") }
func (p *paths) Set(v string) error { *p = append(*p, v); return nil }

func main() {
	n := flag.Int("n", 5, "runs")
	var rm paths
	flag.Var(&rm, "rm", "path to remove before each run (repeatable)")
	flag.Parse()
	argv := flag.Args()
	if len(argv) == 0 {
		fmt.Fprintln(os.Stderr, "usage: measure [-n N] [-rm PATH]... -- COMMAND [ARG]...")
		os.Exit(2)
	}
	var walls []float64
	var rss, cpu []float64
	for range *n {
		for _, p := range rm {
			if err := os.RemoveAll(p); err != nil {
				fmt.Fprintln(os.Stderr, "measure:", err)
				os.Exit(1)
			}
		}
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Stderr = os.Stderr
		start := time.Now()
		if err := cmd.Run(); err != nil {
			fmt.Fprintf(os.Stderr, "measure: %s: %v\n", strings.Join(argv, " "), err)
			os.Exit(1)
		}
		walls = append(walls, time.Since(start).Seconds())
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			rss = append(rss, float64(ru.Maxrss)/1024) // KiB on Linux
		}
		cpu = append(cpu, (cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()).Seconds())
	}
	fmt.Printf("%.6f %.6f %.1f\n", median(walls), median(cpu), median(rss))
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	slices.Sort(v)
	return v[len(v)/2]
}

// Command spawnloop is the baseline of make bench: it runs a command N times
// with P workers and nothing else, so the cost of baton's bookkeeping can be
// read as a ratio to bare process spawning.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"time"
)

func main() {
	n := flag.Int("n", 1000, "processes to run")
	p := flag.Int("p", 2, "processes at once")
	flag.Parse()
	argv := flag.Args()
	if len(argv) == 0 {
		argv = []string{"/bin/true"}
	}
	start := time.Now()
	jobs := make(chan struct{})
	var wg sync.WaitGroup
	var failed sync.Once
	for w := 0; w < *p; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range jobs {
				if err := exec.Command(argv[0], argv[1:]...).Run(); err != nil {
					failed.Do(func() { fmt.Fprintln(os.Stderr, "spawnloop:", err) })
				}
			}
		}()
	}
	for i := 0; i < *n; i++ {
		jobs <- struct{}{}
	}
	close(jobs)
	wg.Wait()
	fmt.Printf("%.6f\n", time.Since(start).Seconds())
}

// Command parseloop is the parsing baseline of make bench: it reads every
// .hcl file below a directory and runs hclsyntax.ParseConfig on each, one
// after another, and nothing else. It prints the seconds it took, start-up
// excluded.
package main

import (
	"fmt"
	"os"
	"time"

	"github.com/baton-dev/baton/internal/parsebaseline"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: parseloop DIR")
		os.Exit(2)
	}
	start := time.Now()
	if err := parsebaseline.Loop(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "parseloop:", err)
		os.Exit(1)
	}
	fmt.Printf("%.6f\n", time.Since(start).Seconds())
}

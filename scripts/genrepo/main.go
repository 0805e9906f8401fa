// Command genrepo writes the benchmark repository of `make bench` into a
// directory: N files of 10 configurations and one orchestration each.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/baton-dev/baton/internal/benchrepo"
)

func main() {
	n := flag.Int("n", 1000, "files to write")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: genrepo [-n N] DIR")
		os.Exit(2)
	}
	if err := benchrepo.Write(flag.Arg(0), *n); err != nil {
		fmt.Fprintln(os.Stderr, "genrepo:", err)
		os.Exit(1)
	}
}

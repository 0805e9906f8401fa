// Command baton runs data-pipeline orchestrations defined as HCL files in a
// Git repository. This package only parses flags and wires packages together.
package main

import (
	"os"

	_ "time/tzdata" // schedules name IANA zones; do not depend on the host's zoneinfo
)

func main() {
	os.Exit(run(os.Args[1:]))
}

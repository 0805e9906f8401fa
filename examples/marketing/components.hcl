# Components are reusable ways to run a configuration. Both run a POSIX shell
# script of this repository: "./" at the start of an argv element means "from
# the source root", whatever the job's working directory.

component "extractor" {
  command = ["sh", "./scripts/extract.sh"]
  timeout = "30m"
}

component "transformation" {
  command = ["sh", "./scripts/transform.sh"]
  timeout = "1h"
}

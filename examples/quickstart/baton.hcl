# The quickstart: two phases, a parallel pair of extracts next to a source
# that fails, and a report that runs once the first phase has ended.
# Needs only a POSIX shell. Run it from the repository root with
#
#   go run ./cmd/baton reconcile --once --source examples/quickstart --state /tmp/baton-quickstart.db --run quickstart
#
# Scripts are named "./scripts/...": an argv element that starts with "./" is
# resolved against this directory, while the task itself runs in a fresh job
# data directory that holds config.json.

project {
  max_parallel_jobs = 2
}

# One way to run a configuration, shared by the extract configurations. What
# to extract comes from each configuration's parameters.
component "sh" {
  command = ["sh", "./scripts/extract.sh"]
  timeout = "1m"
}

configuration "extract-customers" {
  component  = "sh"
  parameters = { table = "customers", rows = 3 }
  outputs    = ["in.c-quickstart.customers"]
}

configuration "extract-orders" {
  component  = "sh"
  parameters = { table = "orders", rows = 5 }
  outputs    = ["in.c-quickstart.orders"]
}

# A configuration may also carry its own command instead of a component.
configuration "extract-partners" {
  command    = ["sh", "./scripts/flaky.sh"]
  timeout    = "30s"
  parameters = { exit_code = 3 }
  outputs    = ["in.c-quickstart.partners"]
}

configuration "build-report" {
  command    = ["sh", "./scripts/report.sh"]
  timeout    = "30s"
  parameters = { title = "daily" }
  inputs     = ["in.c-quickstart.customers", "in.c-quickstart.orders"]
  outputs    = ["out.c-quickstart.summary"]
}

orchestration "quickstart" {
  description = "Extract two tables in parallel, then build a report"

  schedule {
    cron = "@daily"
  }

  phase "extract" {
    task "customers" { configuration = "extract-customers" }
    task "orders" { configuration = "extract-orders" }
    task "partners" {
      configuration       = "extract-partners"
      continue_on_failure = true # it fails with exit 3: the run ends "warning"
    }
  }

  phase "report" {
    task "report" {
      configuration = "build-report"
      parameters    = { title = "quickstart" } # deep-merged over the configuration's
    }
  }
}

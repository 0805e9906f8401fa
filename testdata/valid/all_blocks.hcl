# Every block and attribute of the language, once.
project {
  max_parallel_jobs = 4
  timezone          = "America/New_York"
}

component "python" {
  command = ["python3", "main.py"]
  timeout = "2h"
}

configuration "orders" {
  component  = "python"
  timeout    = "30m"
  parameters = { since = "-2 days", limits = { rows = 1000, ratio = 0.25 }, tags = ["a", "b"], full = false }
  inputs     = ["in.c-shared.customers"]
  outputs    = ["in.c-shared.orders"]
  env        = { API_KEY = env("ORDERS_API_KEY"), REGION = "eu" }
}

configuration "report" {
  command = ["sh", "./report.sh"]
  timeout = "1d"
}

table "in.c-shared.customers" {
  watch = "/srv/shared/customers.csv"
}

notification "ops" {
  email = ["ops@example.com"]
}

notification "hook" {
  webhook = "https://hooks.example.com/baton"
}

orchestration "hourly-sync" {
  on_overlap = "skip"
  schedule {
    cron = "@every 1h"
  }
  phase "sync" {
    task "orders" { configuration = "orders" }
  }
}

orchestration "daily" {
  description = "everything, every morning"
  on_overlap  = "queue"

  schedule {
    cron = "0 6 * * 1-5"
  }
  schedule {
    cron     = "30 2 * * *"
    timezone = "Europe/Prague"
  }
  trigger {
    tables   = ["in.c-shared.orders", "in.c-shared.customers"]
    cooldown = "50m"
  }
  notify {
    on = ["error", "warning", "long_running"]
    to = ["ops", "hook"]
  }

  phase "extract" {
    task "orders" {
      configuration       = "orders"
      continue_on_failure = true
      enabled             = true
      parameters          = { since = "-7 days", limits = { rows = 10 } }
    }
    task "sync" { orchestration = "hourly-sync" }
  }
  phase "report" {
    task "report" {
      configuration = "report"
      enabled       = false
    }
  }
}

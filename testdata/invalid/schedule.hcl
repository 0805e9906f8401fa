configuration "c" { command = ["true"] }

orchestration "o" {
  schedule {
    cron = "0 25 * * *"
  }
  schedule {
    cron     = "0 6 * * *"
    timezone = "Europe/Pargue"
  }
  schedule {
    timezone = "UTC"
  }
  phase "p" {
    task "t" { configuration = "c" }
  }
}

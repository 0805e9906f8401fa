orchestration "daily" {
  schedule { cron = "0 6 * * *" }
  phase "load" {
    task "extract" { configuration = "extract" }
  }
}

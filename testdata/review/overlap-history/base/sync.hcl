orchestration "sync" {
  schedule { cron = "0 * * * *" }
  phase "load" {
    task "extract" { configuration = "extract" }
  }
}

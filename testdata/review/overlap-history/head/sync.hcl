orchestration "sync" {
  schedule { cron = "*/15 * * * *" }
  phase "load" {
    task "extract" { configuration = "extract" }
  }
}

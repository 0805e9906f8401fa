orchestration "month-end" {
  schedule {
    cron     = "0 0 30 2 *"
    timezone = "UTC"
  }
  phase "load" {
    task "extract" { configuration = "extract" }
  }
}

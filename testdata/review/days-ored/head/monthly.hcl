orchestration "monthly" {
  description = "meant: the first Monday of the month"
  schedule {
    cron     = "0 6 1-7 * 1"
    timezone = "UTC"
  }
  phase "load" {
    task "extract" { configuration = "extract" }
  }
}

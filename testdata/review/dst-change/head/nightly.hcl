orchestration "nightly" {
  schedule {
    cron     = "30 2 * * *"
    timezone = "Europe/Prague"
  }
  phase "load" {
    task "extract" { configuration = "extract" }
  }
}

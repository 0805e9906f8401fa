orchestration "nightly" {
  schedule {
    cron     = "0 6 * * *"
    timezone = "Europe/Prague"
  }
  phase "load" {
    task "extract" { configuration = "extract" }
  }
}

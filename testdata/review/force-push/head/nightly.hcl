orchestration "nightly" {
  schedule {
    cron     = "0 5 * * *"
    timezone = "Europe/Prague"
  }
  phase "load" {
    task "extract" { configuration = "extract" }
  }
}

configuration "c" { command = ["true"] }

orchestration "o" {
  schedules {
    cron = "0 6 * * *"
  }
  phase "p" {
    task "t" { configuration = "c" }
  }
}

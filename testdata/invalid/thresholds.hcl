configuration "c" { command = ["true"] }
orchestration "o" {
  long_running     = "fast"
  waiting_too_long = "-5m"
  phase "p" {
    task "t" { configuration = "c" }
  }
}
orchestration "q" {
  long_running = "0%"
  phase "p" {
    task "t" { configuration = "c" }
  }
}

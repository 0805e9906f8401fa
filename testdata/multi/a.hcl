project {
  max_parallel_jobs = "many"
}
configuration "extract" {
  command    = ["true"]
  parameters = { n = 1.5, big = 12345678901234567890, neg = -3, tiny = 0.1 }
}
orchestration "daily" {
  schedule { cron = "0 6 * * *" }
  phase "p" {
    task "t" { configuration = "missing" }
  }
}

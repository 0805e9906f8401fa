project {
  timezone = 5
  bogus    = 1
}
project {
  timezone = "UTC"
}
configuration "extract" { command = "true" }
orchestration "daily" {
  phase "p" {
    task "t" {
      configuration = "extract"
      colour        = "red"
    }
  }
}

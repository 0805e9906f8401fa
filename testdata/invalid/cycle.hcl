orchestration "a" {
  phase "p" {
    task "run-b" { orchestration = "b" }
  }
}

orchestration "b" {
  phase "p" {
    task "run-a" { orchestration = "a" }
  }
}

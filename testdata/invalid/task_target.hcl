configuration "c" { command = ["true"] }

orchestration "sub" {
  phase "p" {
    task "t" { configuration = "c" }
  }
}

orchestration "o" {
  phase "p" {
    task "both" {
      configuration = "c"
      orchestration = "sub"
    }
    task "neither" {
      enabled = false
    }
  }
}

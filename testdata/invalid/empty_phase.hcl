configuration "c" { command = ["true"] }

orchestration "o" {
  phase "extract" {
    task "t" { configuration = "c" }
  }
  phase "transform" {
  }
}

orchestration "nothing" {
  description = "no phases at all"
}

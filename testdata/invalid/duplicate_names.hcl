configuration "extract" { command = ["true"] }
configuration "extract" { command = ["false"] }

orchestration "o" {
  phase "p" {
    task "t" { configuration = "extract" }
    task "t" { configuration = "extract" }
  }
}

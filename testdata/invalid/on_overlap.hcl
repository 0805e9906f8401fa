configuration "c" { command = ["true"] }

orchestration "o" {
  on_overlap = "merge"
  phase "p" {
    task "t" { configuration = "c" }
  }
}

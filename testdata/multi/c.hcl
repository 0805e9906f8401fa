orchestration "broken" {
  phase "p" {
    task "t" { configuration = "nowhere" 
  }

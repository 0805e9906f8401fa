configuration "c" { command = ["true"] }

notification "ops" { webhook = "https://hooks.example.com/baton" }

orchestration "o" {
  notify {
    on = ["error", "failure", "longrunning"]
    to = ["ops"]
  }
  phase "p" {
    task "t" { configuration = "c" }
  }
}

configuration "adform-campaigns" {
  component = "pyhton"
}

component "python" { command = ["python3", "main.py"] }

notification "ops" { email = ["ops@example.com"] }

orchestration "o" {
  notify {
    on = ["error"]
    to = ["opps"]
  }
  phase "p" {
    task "a" { configuration = "adform-campaign" }
    task "b" { orchestration = "hourly" }
  }
}

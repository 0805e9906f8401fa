component "sh\u001b[2J" {
  command = ["sh"]
}

configuration "c" {
  command = ["sh"]
  outputs = ["in.c-main.orders\u0007", "has space"]
}

notification "ops\nINFO forged line" {
  email = ["ops@example.com"]
}

orchestration " padded" {
  trigger {
    tables = ["in.c-main.orders\u202e"]
  }
  phase "p,q" {
    task "Adform - Campaigns" { configuration = "c" }
    task "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" { configuration = "c" }
  }
}

orchestration "described" {
  description = "line one\nFORGED\u001b[2J"
  phase "p" {
    task "t" { configuration = "c" }
  }
}

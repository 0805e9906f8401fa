component "sh" {
  command = ["sh"]
  timeout = "5 minutes"
}

configuration "c" { component = "sh" }

orchestration "o" {
  trigger {
    tables   = ["in.c-main.orders"]
    cooldown = "-5m"
  }
  phase "p" {
    task "t" { configuration = "c" }
  }
}

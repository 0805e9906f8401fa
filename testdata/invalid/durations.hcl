component "sh" {
  command = ["sh"]
  timeout = "5 minutes"
}

configuration "c" { component = "sh" }

configuration "wraps" {
  command = ["sh"]
  timeout = "135586085299701d"
}

configuration "just-too-long" {
  command = ["sh"]
  timeout = "106752d"
}

orchestration "o" {
  trigger {
    tables   = ["in.c-main.orders"]
    cooldown = "-5m"
  }
  phase "p" {
    task "t" { configuration = "c" }
  }
}

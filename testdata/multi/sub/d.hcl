project {}
table "in.c-main.orders" { watch = 3 }
orchestration "trig" {
  trigger { tables = ["in.c-main.orders", "in.c-main.nope"] }
  trigger { tables = [] }
  notify { on = ["sometimes"] }
  phase "p" {
    task "x" {
      orchestration = "daily"
      enabled       = "yes"
    }
  }
}

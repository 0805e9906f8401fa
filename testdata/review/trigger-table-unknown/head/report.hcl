orchestration "report" {
  trigger {
    tables = ["in.c-shop.order"]
  }
  phase "load" {
    task "extract" { configuration = "extract" }
  }
}

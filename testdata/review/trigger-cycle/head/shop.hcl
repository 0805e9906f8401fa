orchestration "orders" {
  trigger {
    tables = ["out.c-shop.totals"]
  }
  phase "load" {
    task "orders" { configuration = "orders" }
  }
}

orchestration "totals" {
  trigger {
    tables = ["out.c-shop.orders"]
  }
  phase "sum" {
    task "totals" { configuration = "totals" }
  }
}

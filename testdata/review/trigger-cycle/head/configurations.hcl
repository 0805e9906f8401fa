configuration "orders" {
  command = ["sh", "orders.sh"]
  outputs = ["out.c-shop.orders"]
}

configuration "totals" {
  command = ["sh", "totals.sh"]
  outputs = ["out.c-shop.totals"]
}

configuration "extract" {
  command = ["sh", "extract.sh"]
  outputs = ["in.c-shop.orders"]
}

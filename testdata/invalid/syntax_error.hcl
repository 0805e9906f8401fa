configuration "c" {
  command = ["true"
}

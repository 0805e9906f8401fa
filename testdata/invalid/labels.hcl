configuration { command = ["true"] }

project "main" {
  timezone = "UTC"
}

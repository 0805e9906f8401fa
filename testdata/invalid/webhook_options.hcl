notification "ops" {
  webhook    = "https://hooks.example.com/baton"
  format     = "teams"
  secret_env = "1BAD"
}

notification "mail" {
  email  = ["ops@example.com"]
  format = "slack"
}

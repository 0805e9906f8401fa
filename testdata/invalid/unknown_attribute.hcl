component "sh" {
  comand  = ["sh", "run.sh"]
  timeout = "1m"
}

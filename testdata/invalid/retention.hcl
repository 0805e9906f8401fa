project {
  retention {
    jobs = "30m"
    logs = "7d"
  }
}

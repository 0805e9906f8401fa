project {
  timezone = "America/New_York"
}

project {
  timezone = "Europe/Prague"
}

configuration "c" {
  command    = ["sh", env("SCRIPT")]
  parameters = { token = env("1BAD") }
  env        = { KEY = env("API_KEY") }
}

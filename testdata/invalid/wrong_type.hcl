project {
  max_parallel_jobs = "many"
}

configuration "c" {
  command    = "python3 main.py"
  parameters = ["a", "b"]
}

orchestration "o" {
  phase "p" {
    task "t" {
      configuration = "c"
      enabled       = "yes"
    }
  }
}

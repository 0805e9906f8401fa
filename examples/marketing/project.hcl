# Settings for every orchestration of this repository.
project {
  timezone          = "Europe/Prague" # schedules without their own timezone use it
  max_parallel_jobs = 4               # task processes at once; orchestrations take no slot
}

orchestration "crm" {
  phase "all" {
    task "extract" { configuration = "extract" }
    task "report" { configuration = "report" }
  }
}

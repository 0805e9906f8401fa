configuration "extract" {
  command = ["sh", "extract.sh"]
  outputs = ["in.c-crm.accounts"]
}

configuration "report" {
  command = ["sh", "report.sh"]
  inputs  = ["in.c-crm.accounts"]
}

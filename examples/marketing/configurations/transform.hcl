# Transformations read what the extracts wrote and produce output tables.

configuration "sales-transform" {
  component  = "transformation"
  parameters = { query = "campaign-recipients" }
  inputs     = ["in.c-adform.campaigns", "in.c-snowflake.recipients"]
  outputs    = ["out.c-marketing.campaign-recipients"]
}

configuration "marketing-report" {
  component  = "transformation"
  parameters = { query = "weekly-report" }
  inputs     = ["in.c-adform.campaigns", "in.c-snowflake.recipients"]
  outputs    = ["out.c-marketing.report"]
}

# Data sources. Each configuration is the unit of serialization: two jobs of
# the same configuration never run at the same time.

configuration "adform-campaigns" {
  component = "extractor"
  parameters = {
    source  = "adform"
    account = "123"
    since   = "-2 days"
    fail    = false # set to true to replay the manual's failed first phase and retry
    report = {
      metrics  = "impressions clicks"
      currency = "EUR"
    }
  }
  outputs = ["in.c-adform.campaigns"]
  # The token never goes to Git: it is read from baton's own environment when
  # the task starts. The task does not start while ADFORM_TOKEN is unset.
  env = { ADFORM_TOKEN = env("ADFORM_TOKEN") }
}

configuration "snowflake-recipient-index" {
  component  = "extractor"
  parameters = { source = "snowflake", warehouse = "MARKETING_XS" }
  outputs    = ["in.c-snowflake.recipients"]
}

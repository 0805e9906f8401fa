# The manual's scenario: an extract phase with two parallel tasks, then a
# transformation phase that starts only when both extracts have ended.
orchestration "daily-marketing" {
  description = "Marketing data, every morning"
  on_overlap  = "queue" # a second job waits for the first (the default)

  schedule {
    cron     = "0 6 * * *"     # 06:00 every day...
    timezone = "Europe/Prague" # ...Prague time; across DST it still fires once a day
  }

  notify {
    on = ["error", "warning", "long_running"]
    to = ["data-team", "ops-webhook"]
  }

  phase "extract" {
    task "Adform - Campaigns" {
      configuration = "adform-campaigns"
      # Deep-merged over the configuration's parameters: since and
      # report.currency change, account and report.metrics stay.
      parameters = {
        since  = "-7 days"
        report = { currency = "CZK" }
      }
    }
    task "Snowflake - Email recipient index" {
      configuration = "snowflake-recipient-index"
    }
  }

  phase "transformation" {
    task "Sales" {
      configuration = "sales-transform"
    }
  }
}

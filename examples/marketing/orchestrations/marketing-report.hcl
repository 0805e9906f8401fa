# Event-triggered: runs once both tables that daily-marketing's extracts write
# (their configurations list them in outputs) were updated since this
# orchestration last ran. Updates within 50 minutes after a run are ignored.
orchestration "marketing-report" {
  description = "Campaign report, whenever fresh campaigns and recipients are in"

  trigger {
    tables   = ["in.c-adform.campaigns", "in.c-snowflake.recipients"]
    cooldown = "50m"
  }

  notify {
    on = ["error"]
    to = ["ops-webhook"]
  }

  phase "report" {
    task "report" {
      configuration = "marketing-report"
    }
  }
}

# Channels that orchestrations notify in their notify blocks. Notifications
# are sent for unattended runs (schedule, trigger, API); a manual run notifies
# only the user who started it.
notification "data-team" {
  email = ["data-team@example.com", "oncall@example.com"]
}

notification "ops-webhook" {
  webhook = "https://hooks.example.com/baton"
}

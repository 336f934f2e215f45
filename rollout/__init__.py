"""rollout: the programme rules and adapters behind the Digital Health Hubs rollout."""

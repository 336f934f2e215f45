"""The pure programme rules: working days, the plan of a wave, audiences, invitations, statuses."""

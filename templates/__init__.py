"""Email and check-in page templates, shipped inside the rollout package as rollout.templates."""

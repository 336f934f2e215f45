"""Prefect flows: orchestration only; the rules live in rollout/."""

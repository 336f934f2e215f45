"""Prefect deployments: schedules and parameters for the flows."""

"""Prefect tasks: each wraps one side effect."""

"""Who actually came to each workshop: Teams reports (teams.py), CSV imports and marks (record.py), the
"I'm here" page (here.py), and the figures (figures.py). Follow-ups depend on it (rollout.reconcile.attended)."""

"""The whole programme in simulated time: the real flows against a Graph emulator, with synthetic partners.

    simulate(Options(config_path, directory, first, last, seed)) -> Result

schedule.py   when launches, reconciles and digests run; the default window
behaviour.py  seeded partners: replies, actions done on time / late / never, hubs moving on or stalling
due.py        would a reconcile at a moment change anything? (the reconciler's own pure deciders)
engine.py     the flows as the simulation calls them (Prefect flow runs with a simulated as_of)
world.py      the simulation's own database, emulator, settings and Prefect API
ledger.py     what the outbox intended against what the mailboxes received: duplicates and lost
report.py     the month-by-month timeline and the totals
previews.py   each week's digest as HTML
runner.py     the day loop
"""

from rollout_lab.simulation.runner import Options, Result, simulate

__all__ = ["Options", "Result", "simulate"]
